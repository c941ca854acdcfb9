/**
 * The clock of the TOTP throttle, the same for its three runners (the marker path of `requireTotp`, the memory
 * store's attempts and the Redis script): a day of lock-outs is a UTC day, and every counter outlives the last
 * moment it is read by a slack, so clock drift between instances never drops one early.
 */
export const TOTP_DAY_MS = 24 * 60 * 60 * 1000;
export const TOTP_COUNTER_SLACK_MS = 1_000;

/** The moment the UTC day numbered `day` (`floor(now / TOTP_DAY_MS)`) ends: when its lock-out count stops counting. */
export function totpDayEnd(day: number): number {
  return (day + 1) * TOTP_DAY_MS;
}
