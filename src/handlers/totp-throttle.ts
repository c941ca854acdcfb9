import { LogoutError } from "../errors.js";
import type { CheckedStore } from "../store/checked-store.js";
import { TOTP_COUNTER_SLACK_MS, TOTP_DAY_MS, totpDayEnd } from "../totp/throttle-clock.js";

/** Default number of wrong codes per user within `failureWindowMs` that locks the user out. */
export const DEFAULT_TOTP_MAX_FAILURES = 5;
/** Default throttling window, and the length of a lock-out: 5 minutes. */
export const DEFAULT_TOTP_FAILURE_WINDOW_MS = 5 * 60 * 1000;
/**
 * Default number of lock-outs per user and UTC day after which every attempt is refused until the day ends.
 * With the other defaults that is at most 10 wrong codes a day, about 310 a month: a 6-digit code with a window
 * of ±1 step is then guessed with a probability below 0.1 % a month (docs/rocket-chat.md has the arithmetic).
 */
export const DEFAULT_TOTP_MAX_LOCKOUTS_PER_DAY = 2;


export interface TotpThrottleSettings {
  readonly maxFailures: number;
  readonly failureWindowMs: number;
  readonly maxLockoutsPerDay: number;
}

/**
 * The store calls the throttle makes: the marker capability's markers and counters, which every instance sharing
 * the store sees, each under the deadline with its answer checked.
 */
type ThrottleStore = Pick<CheckedStore, "claim" | "isClaimed" | "incrementCounter" | "readCounter">;

/** One counted attempt: the code is checked only when `begin` answered one. */
export interface CountedAttempt {
  /** Wrong codes counted in the current throttling window, this attempt included. */
  readonly failures: number;
  /** The code was right and spent: the attempt was not a failure. */
  passed(): Promise<void>;
  /** The code was wrong (or replayed): locks the user out when this failure reaches `maxFailures`. */
  failed(): Promise<void>;
  /**
   * The attempt ended without a verdict, because a store call after the count failed: takes it back, so a store
   * hiccup does not use up the user's tries. Best effort: when the store cannot take that either, it counts.
   */
  excuse(): void;
}

/** Store keys never contain a raw user id separator: `encodeURIComponent` keeps `a:b` from colliding with `a` + `b`. */
export function totpKey(kind: string, userId: string, suffix?: number): string {
  return `totp:${kind}:${encodeURIComponent(userId)}${suffix === undefined ? "" : `:${String(suffix)}`}`;
}

/**
 * Throttles TOTP guesses per user, across every instance sharing the store:
 * - Every attempt is counted before its code is looked at, so a parallel burst cannot outrun the count.
 * - A lock-out starts with the failure that reaches `maxFailures` wrong codes within the current and the
 *   previous clock-aligned window, and lasts `failureWindowMs` from that failure (a marker with that TTL), on
 *   every instance. While it holds, nothing is counted. Failures a lock-out punished do not count again after it.
 * - Escalation: after `maxLockoutsPerDay` lock-outs in a UTC day, every attempt is refused until the day ends.
 * - Right codes (and attempts excused after a store failure) are not failures.
 */
export function totpThrottle(store: ThrottleStore, settings: TotpThrottleSettings) {
  const { maxFailures, failureWindowMs: windowMs, maxLockoutsPerDay } = settings;

  /** Counts an attempt of `userId` at `now`, or throws `throttled` (429 with `Retry-After`) and counts nothing. */
  async function begin(userId: string, now: number): Promise<CountedAttempt> {
    const window = Math.floor(now / windowMs);
    const day = Math.floor(now / TOTP_DAY_MS);
    const dayEnd = totpDayEnd(day);
    // A window's counters are read in that window and, as "previous", in the next one.
    const counterTtl = (window + 2) * windowMs - now + TOTP_COUNTER_SLACK_MS;
    const key = {
      lock: totpKey("lock", userId),
      lockouts: totpKey("lockouts", userId, day),
      attempts: totpKey("attempts", userId, window),
      passes: totpKey("passes", userId, window),
      previousAttempts: totpKey("attempts", userId, window - 1),
      previousPasses: totpKey("passes", userId, window - 1),
      previousPunished: totpKey("punished", userId, window - 1),
      punished: totpKey("punished", userId, window),
    };

    const [locked, lockouts, passes, previousAttempts, previousPasses, previousPunished] = await Promise.all([
      store.isClaimed(key.lock),
      store.readCounter(key.lockouts),
      store.readCounter(key.passes),
      store.readCounter(key.previousAttempts),
      store.readCounter(key.previousPasses),
      store.isClaimed(key.previousPunished),
    ]);
    if (lockouts >= maxLockoutsPerDay) throw throttled(dayEnd - now);
    // The store keeps whether the lock-out holds, not since when: its full length is the longest wait left.
    if (locked) throw throttled(windowMs);

    const attempts = await store.incrementCounter(key.attempts, counterTtl);
    const earlier = previousPunished ? 0 : Math.max(0, previousAttempts - previousPasses);
    const failures = Math.max(0, attempts - passes) + earlier;

    /**
     * Starts a lock-out: a marker that lives `windowMs` from this failure, unless one already holds. The one
     * request that sets it counts it towards the day's cap and marks this window's failures as punished.
     */
    async function lockOut(): Promise<void> {
      if (!(await store.claim(key.lock, windowMs))) return;
      await Promise.all([store.incrementCounter(key.lockouts, dayEnd - now + TOTP_COUNTER_SLACK_MS), store.claim(key.punished, counterTtl)]);
    }

    if (failures > maxFailures) {
      // More attempts than the limit got counted at once (a parallel burst): none of them is checked.
      await lockOut();
      throw throttled(windowMs);
    }
    return {
      failures,
      passed: async () => {
        await store.incrementCounter(key.passes, counterTtl);
      },
      failed: async () => {
        if (failures >= maxFailures) await lockOut();
      },
      excuse: () => {
        // Not awaited: the 503 it follows is not held up by a store that is failing anyway.
        store.incrementCounter(key.passes, counterTtl).catch(() => undefined);
      },
    };
  }

  return { begin };
}

/** The refusal of an attempt while a lock-out or the day's cap holds: 429 with `Retry-After`. */
export function throttled(waitMs: number): LogoutError {
  return new LogoutError("throttled", "too many wrong TOTP codes", { retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) });
}
