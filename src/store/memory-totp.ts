import { TOTP_COUNTER_SLACK_MS, TOTP_DAY_MS, totpDayEnd } from "../totp/throttle-clock.js";
import { DeadlineMap } from "./deadline-map.js";
import type { TotpAttempt, TotpAttemptResult } from "./types.js";


/** One clock-aligned failure window of a user: its attempts, its passes, and whether it already locked out. */
interface WindowCounts {
  /** The window's number: `floor(now / failureWindowMs)`. */
  readonly win: number;
  attempts: number;
  passes: number;
  punished: boolean;
  readonly expiresAt: number;
}

/**
 * Everything a TOTP attempt of one user reads and writes, behind one lookup: the lock-out, the day's count of
 * lock-outs, the failure windows still counted, and the steps spent. Each part keeps its own expiry, the one
 * its Redis key would have (a TTL from the attempt's `now`), so the rules read exactly as the script's do.
 */
interface TotpUserState {
  /** The app's time the lock-out ends (0: none), kept until `lockExpiresAt` by the real clock. */
  lockedUntil: number;
  lockExpiresAt: number;
  /** The app's day whose lock-outs `lockouts` counts, kept until `lockoutsExpireAt` by the real clock. */
  lockoutDay: number;
  lockouts: number;
  lockoutsExpireAt: number;
  /**
   * The failure windows still counted (the current one and the one before it, at most a few), and the spent
   * steps as pairs `[step, until, ...]`, each until it can no longer be presented (`(step + window + 2) *
   * periodMs`; at most `2 × window + 2` of them). Arrays of their exact size, replaced when they grow, not Maps
   * (or arrays grown in place, which reserve 17 slots): a user holds a window or two and a few steps, and a
   * record cost 698 bytes a user with Maps against 442 now (`npm run bench`, "heap per TOTP attempt record").
   * A scan of so few entries is no slower than a Map's lookup.
   */
  windows: WindowCounts[];
  steps: number[];
  /** When every part has expired: the record itself goes then. */
  expiresAt: number;
}

/** Records a pass's step-up on a session of `userId` live at `now`; answers whether there was one. */
export type RecordStepUp = (sessionId: string, userId: string, now: number, method: string) => boolean;

/**
 * `MemorySessionStore`'s TOTP attempts: the throttle's rules, as `RedisSessionStore`'s script runs them
 * (`redis-totp.ts`, where they are written out), over one record per user. An attempt is one map lookup and a
 * few field updates instead of a dozen keyed counters, and it is synchronous, so it runs in one turn of the event
 * loop: no other attempt can interleave with it.
 */
export class MemoryTotpAttempts {
  /** A record lives as long as its longest-lived part; it is updated in place, and the sweep refiles it. */
  readonly #users: DeadlineMap<TotpUserState>;

  constructor(bucketMs: number) {
    this.#users = new DeadlineMap<TotpUserState>(bucketMs, (state) => state.expiresAt);
  }

  /**
   * One attempt: refused while a lock-out or the day's cap holds; counted in the clock-aligned window of `now`;
   * a burst past the limit locks out; a matching step spent once, with the earlier steps the window still takes;
   * the failure that reaches `maxFailures` starts a lock-out of `failureWindowMs` from `now`. Every window, day
   * and lock-out is reckoned from the app's `now`; expiry, like a Redis TTL, from the real clock.
   */
  attempt(attempt: TotpAttempt, recordStepUp: RecordStepUp): TotpAttemptResult {
    const { now, failureWindowMs: windowMs, maxFailures, maxLockoutsPerDay, periodMs, window: steps } = attempt;
    // The real clock, read once: what every expiry is reckoned from, as a Redis TTL is.
    const clock = Date.now();
    const state = this.#stateOf(attempt.userId, clock);
    const win = Math.floor(now / windowMs);
    const day = Math.floor(now / TOTP_DAY_MS);
    const dayEnd = totpDayEnd(day);

    if (state.lockoutDay === day && state.lockouts >= maxLockoutsPerDay) return { outcome: "throttled", retryAfterMs: dayEnd - now };
    if (state.lockedUntil > now) return { outcome: "throttled", retryAfterMs: state.lockedUntil - now };

    const current = windowOf(state, win, windowMs, now, clock);
    current.attempts += 1;
    const previous = findWindow(state, win - 1);
    const earlier = previous === undefined || previous.punished ? 0 : Math.max(0, previous.attempts - previous.passes);
    const failures = Math.max(0, current.attempts - current.passes) + earlier;

    let result: TotpAttemptResult;
    if (failures > maxFailures) {
      lockOut(state, current, windowMs, now, clock, day);
      result = { outcome: "throttled", retryAfterMs: windowMs };
    } else if (attempt.step !== undefined && spend(state, attempt.step, steps, periodMs, now, clock)) {
      for (const older of attempt.olderSteps) spend(state, older, steps, periodMs, now, clock);
      current.passes += 1;
      const stepUp = attempt.stepUp;
      result = stepUp === undefined ? { outcome: "passed", failures } : { outcome: "passed", failures, steppedUp: recordStepUp(stepUp.sessionId, attempt.userId, now, stepUp.method) };
    } else {
      if (failures >= maxFailures) lockOut(state, current, windowMs, now, clock, day);
      result = { outcome: attempt.step === undefined ? "wrong" : "replayed", failures };
    }
    this.#keep(attempt.userId, state);
    return result;
  }

  /** Users with a record (expired ones not yet swept included). */
  get size(): number {
    return this.#users.size;
  }

  sweep(now: number): void {
    this.#users.sweep(now);
  }

  clear(): void {
    this.#users.clear();
  }

  /** The user's record with whatever has expired by the real clock dropped, or a fresh one. */
  #stateOf(userId: string, clock: number): TotpUserState {
    const state = this.#users.get(userId, clock);
    if (state === undefined) {
      return { lockedUntil: 0, lockExpiresAt: 0, lockoutDay: Number.NaN, lockouts: 0, lockoutsExpireAt: 0, windows: [], steps: [], expiresAt: 0 };
    }
    if (state.lockExpiresAt <= clock) state.lockedUntil = 0;
    if (state.lockoutsExpireAt <= clock) {
      state.lockoutDay = Number.NaN;
      state.lockouts = 0;
    }
    dropExpired(state, clock);
    return state;
  }

  /** Files the record under its longest-lived part (a new record is added; a known one only moves later). */
  #keep(userId: string, state: TotpUserState): void {
    let until = Math.max(state.lockoutsExpireAt, state.lockExpiresAt);
    for (const counts of state.windows) until = Math.max(until, counts.expiresAt);
    for (let i = 1; i < state.steps.length; i += 2) until = Math.max(until, state.steps[i] ?? 0);
    state.expiresAt = until;
    this.#users.set(userId, state);
  }
}

/** Drops the windows and spent steps that have expired by the real clock, keeping the rest in order. */
function dropExpired(state: TotpUserState, clock: number): void {
  const { windows, steps } = state;
  let kept = 0;
  for (const counts of windows) if (counts.expiresAt > clock) windows[kept++] = counts;
  windows.length = kept;
  kept = 0;
  for (let i = 0; i < steps.length; i += 2) {
    const until = steps[i + 1] ?? 0;
    if (until <= clock) continue;
    steps[kept++] = steps[i] ?? 0;
    steps[kept++] = until;
  }
  steps.length = kept;
}

/** The counts of window `win`, if the user has them. */
function findWindow(state: TotpUserState, win: number): WindowCounts | undefined {
  for (const counts of state.windows) if (counts.win === win) return counts;
  return undefined;
}

/** The counts of window `win`, started (to be read through the next window, as its counter key lives) if new. */
function windowOf(state: TotpUserState, win: number, windowMs: number, now: number, clock: number): WindowCounts {
  let counts = findWindow(state, win);
  if (counts === undefined) {
    counts = { win, attempts: 0, passes: 0, punished: false, expiresAt: clock + (win + 2) * windowMs - now + TOTP_COUNTER_SLACK_MS };
    // A new array of the exact size (see `TotpUserState.windows`).
    state.windows = state.windows.concat(counts);
  }
  return counts;
}

/**
 * Starts a lock-out of `windowMs` from `now` and counts it in the day of `now`: the day's count starts with its
 * first lock-out and lives until the day's end, as its counter key would. The window that caused it is punished
 * (its failures no longer count into the next window's).
 */
function lockOut(state: TotpUserState, current: WindowCounts, windowMs: number, now: number, clock: number, day: number): void {
  state.lockedUntil = now + windowMs;
  state.lockExpiresAt = clock + windowMs + TOTP_COUNTER_SLACK_MS;
  if (state.lockoutDay !== day) {
    state.lockoutDay = day;
    state.lockouts = 0;
    state.lockoutsExpireAt = clock + totpDayEnd(day) - now + TOTP_COUNTER_SLACK_MS;
  }
  state.lockouts += 1;
  current.punished = true;
}

/** Spends a step unless it is spent already; answers whether this call spent it. */
function spend(state: TotpUserState, step: number, window: number, periodMs: number, now: number, clock: number): boolean {
  const { steps } = state;
  for (let i = 0; i < steps.length; i += 2) if (steps[i] === step) return false;
  state.steps = steps.concat(step, clock + Math.max(1, (step + window + 2) * periodMs - now));
  return true;
}
