import type { TotpAttempt, TotpAttemptResult } from "./types.js";

const DAY_MS = 24 * 60 * 60 * 1000;
/** Counters outlive the last moment they are read by this much, as in the marker-based throttle. */
const SLACK_MS = 1_000;

/**
 * What a TOTP attempt reads and writes in `MemorySessionStore`: its counters and markers, expiring on the real
 * clock like Redis keys (a TTL from now), and the step-up of a session. Every call is synchronous, so the whole
 * attempt runs in one turn of the event loop: no other attempt can interleave with it.
 */
export interface TotpAttemptMaps {
  /** A counter's value, 0 when there is none. */
  readNumber(key: string): number;
  /** Adds one to a counter, starting it (with `ttlMs`) when there is none; answers the new value. */
  count(key: string, ttlMs: number): number;
  /** Sets a value that lives `ttlMs`, replacing any. */
  setNumber(key: string, value: number, ttlMs: number): void;
  /** Sets a marker that lives `ttlMs` unless one is set already; answers whether this call set it. */
  claim(key: string, ttlMs: number): boolean;
  /** Records a pass's step-up on a session of `userId` live at `now`; answers whether there was one. */
  recordStepUp(sessionId: string, userId: string, now: number, method: string): boolean;
}

/**
 * One TOTP attempt by the throttle's rules, as `RedisSessionStore`'s script runs them (`redis-totp.ts`, where
 * they are written out): refused while a lock-out or the day's cap holds; counted in the clock-aligned window
 * of `now`; a burst past the limit locks out; a matching step spent once, with the earlier steps the window
 * still takes; the failure that reaches `maxFailures` starts a lock-out of `failureWindowMs` from `now`. Every
 * window, day and lock-out is reckoned from the app's `now`.
 */
export function runTotpAttempt(maps: TotpAttemptMaps, attempt: TotpAttempt): TotpAttemptResult {
  const { now, failureWindowMs: windowMs, maxFailures, maxLockoutsPerDay, periodMs, window: steps } = attempt;
  const base = `totp-attempt:${encodeURIComponent(attempt.userId)}:`;
  const win = Math.floor(now / windowMs);
  const day = Math.floor(now / DAY_MS);
  const dayEnd = (day + 1) * DAY_MS;
  const counterTtl = (win + 2) * windowMs - now + SLACK_MS;
  const lock = `${base}lock`;
  const lockouts = `${base}lockouts:${String(day)}`;

  if (maps.readNumber(lockouts) >= maxLockoutsPerDay) return { outcome: "throttled", retryAfterMs: dayEnd - now };
  // The lock-out keeps its end as its value, so it ends when the app's clock says.
  const lockedUntil = maps.readNumber(lock);
  if (lockedUntil > now) return { outcome: "throttled", retryAfterMs: lockedUntil - now };

  const attempts = maps.count(`${base}attempts:${String(win)}`, counterTtl);
  const passes = maps.readNumber(`${base}passes:${String(win)}`);
  const earlier = maps.readNumber(`${base}punished:${String(win - 1)}`) > 0
    ? 0
    : Math.max(0, maps.readNumber(`${base}attempts:${String(win - 1)}`) - maps.readNumber(`${base}passes:${String(win - 1)}`));
  const failures = Math.max(0, attempts - passes) + earlier;

  const lockOut = (): void => {
    maps.setNumber(lock, now + windowMs, windowMs + SLACK_MS);
    maps.count(lockouts, dayEnd - now + SLACK_MS);
    maps.setNumber(`${base}punished:${String(win)}`, 1, counterTtl);
  };
  // A step can be accepted until the clock passes `step + window`; its marker lives one step longer.
  const stepTtl = (step: number): number => Math.max(1, (step + steps + 2) * periodMs - now);

  if (failures > maxFailures) {
    // More attempts than the limit got counted at once (a parallel burst): none of them is checked.
    lockOut();
    return { outcome: "throttled", retryAfterMs: windowMs };
  }
  if (attempt.step !== undefined) {
    if (maps.claim(`${base}step:${String(attempt.step)}`, stepTtl(attempt.step))) {
      for (const older of attempt.olderSteps) maps.claim(`${base}step:${String(older)}`, stepTtl(older));
      maps.count(`${base}passes:${String(win)}`, counterTtl);
      const stepUp = attempt.stepUp;
      if (stepUp === undefined) return { outcome: "passed", failures };
      return { outcome: "passed", failures, steppedUp: maps.recordStepUp(stepUp.sessionId, attempt.userId, now, stepUp.method) };
    }
    if (failures >= maxFailures) lockOut();
    return { outcome: "replayed", failures };
  }
  if (failures >= maxFailures) lockOut();
  return { outcome: "wrong", failures };
}
