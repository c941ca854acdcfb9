import { TOTP_COUNTER_SLACK_MS, TOTP_DAY_MS } from "../totp/throttle-clock.js";
import { DeadlineMap } from "./deadline-map.js";
import type { TotpAttempt, TotpAttemptResult } from "./types.js";


/** One clock-aligned failure window of a user: its attempts, its passes, and whether it already locked out. */
interface WindowCounts {
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
  readonly windows: Map<number, WindowCounts>;
  /** Spent steps, each until it can no longer be presented (`(step + window + 2) * periodMs`). */
  readonly steps: Map<number, number>;
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
    const dayEnd = (day + 1) * TOTP_DAY_MS;

    if (state.lockoutDay === day && state.lockouts >= maxLockoutsPerDay) return { outcome: "throttled", retryAfterMs: dayEnd - now };
    if (state.lockedUntil > now) return { outcome: "throttled", retryAfterMs: state.lockedUntil - now };

    const current = windowOf(state, win, windowMs, now, clock);
    current.attempts += 1;
    const previous = state.windows.get(win - 1);
    const earlier = previous === undefined || previous.punished ? 0 : Math.max(0, previous.attempts - previous.passes);
    const failures = Math.max(0, current.attempts - current.passes) + earlier;

    const lockOut = (): void => {
      state.lockedUntil = now + windowMs;
      state.lockExpiresAt = clock + windowMs + TOTP_COUNTER_SLACK_MS;
      // The day's count starts with its first lock-out and lives until the day's end, as its counter key would.
      if (state.lockoutDay !== day) {
        state.lockoutDay = day;
        state.lockouts = 0;
        state.lockoutsExpireAt = clock + dayEnd - now + TOTP_COUNTER_SLACK_MS;
      }
      state.lockouts += 1;
      current.punished = true;
    };

    let result: TotpAttemptResult;
    if (failures > maxFailures) {
      lockOut();
      result = { outcome: "throttled", retryAfterMs: windowMs };
    } else if (attempt.step !== undefined && spend(state, attempt.step, steps, periodMs, now, clock)) {
      for (const older of attempt.olderSteps) spend(state, older, steps, periodMs, now, clock);
      current.passes += 1;
      const stepUp = attempt.stepUp;
      result = stepUp === undefined ? { outcome: "passed", failures } : { outcome: "passed", failures, steppedUp: recordStepUp(stepUp.sessionId, attempt.userId, now, stepUp.method) };
    } else {
      if (failures >= maxFailures) lockOut();
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
      return { lockedUntil: 0, lockExpiresAt: 0, lockoutDay: Number.NaN, lockouts: 0, lockoutsExpireAt: 0, windows: new Map(), steps: new Map(), expiresAt: 0 };
    }
    if (state.lockExpiresAt <= clock) state.lockedUntil = 0;
    if (state.lockoutsExpireAt <= clock) {
      state.lockoutDay = Number.NaN;
      state.lockouts = 0;
    }
    for (const [win, counts] of state.windows) if (counts.expiresAt <= clock) state.windows.delete(win);
    for (const [step, until] of state.steps) if (until <= clock) state.steps.delete(step);
    return state;
  }

  /** Files the record under its longest-lived part (a new record is added; a known one only moves later). */
  #keep(userId: string, state: TotpUserState): void {
    let until = Math.max(state.lockoutsExpireAt, state.lockExpiresAt);
    for (const counts of state.windows.values()) until = Math.max(until, counts.expiresAt);
    for (const stepUntil of state.steps.values()) until = Math.max(until, stepUntil);
    state.expiresAt = until;
    this.#users.set(userId, state);
  }
}

/** The counts of window `win`, started (to be read through the next window, as its counter key lives) if new. */
function windowOf(state: TotpUserState, win: number, windowMs: number, now: number, clock: number): WindowCounts {
  let counts = state.windows.get(win);
  if (counts === undefined) {
    counts = { attempts: 0, passes: 0, punished: false, expiresAt: clock + (win + 2) * windowMs - now + TOTP_COUNTER_SLACK_MS };
    state.windows.set(win, counts);
  }
  return counts;
}

/** Spends a step unless it is spent already; answers whether this call spent it. */
function spend(state: TotpUserState, step: number, window: number, periodMs: number, now: number, clock: number): boolean {
  if (state.steps.has(step)) return false;
  state.steps.set(step, clock + Math.max(1, (step + window + 2) * periodMs - now));
  return true;
}
