import { afterEach, describe, expect, it, vi } from "vitest";
import { MemoryTotpAttempts } from "../src/store/memory-totp.js";
import type { TotpAttempt } from "../src/store/types.js";

const PERIOD_MS = 30_000;
const WINDOW_MS = 5 * 60_000;

function attempt(userId: string, step: number | undefined, over: Partial<TotpAttempt> = {}): TotpAttempt {
  const now = Date.now();
  return { userId, now, step, olderSteps: [], periodMs: PERIOD_MS, window: 1, maxFailures: 5, failureWindowMs: WINDOW_MS, maxLockoutsPerDay: 3, ...over };
}

const noStepUp = () => false;

describe("MemoryTotpAttempts: what expires, by the real clock", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("keeps a spent step until it can no longer be presented, then lets the record go on the sweep", () => {
    vi.useFakeTimers({ now: Date.parse("2026-03-02T10:00:10Z") });
    const totp = new MemoryTotpAttempts(1_000);
    const step = Math.floor(Date.now() / PERIOD_MS);
    expect(totp.attempt(attempt("alice", step), noStepUp).outcome).toBe("passed");
    expect(totp.attempt(attempt("alice", step), noStepUp).outcome).toBe("replayed");
    expect(totp.size).toBe(1);
    // The step's marker lives (step + window + 2) periods; the failure window's counts two windows: both gone.
    vi.advanceTimersByTime(2 * WINDOW_MS + 2 * PERIOD_MS);
    totp.sweep(Date.now() + 60_000);
    expect(totp.size).toBe(0);
    expect(totp.attempt(attempt("alice", step, { now: Date.now() }), noStepUp).outcome).toBe("passed");
  });

  it("ends a lock-out after failureWindowMs, and the day's count at the end of the UTC day", () => {
    vi.useFakeTimers({ now: Date.parse("2026-03-02T22:00:00Z") });
    const totp = new MemoryTotpAttempts(1_000);
    for (let i = 0; i < 5; i++) totp.attempt(attempt("bob", undefined), noStepUp);
    expect(totp.attempt(attempt("bob", undefined), noStepUp)).toEqual({ outcome: "throttled", retryAfterMs: WINDOW_MS });
    vi.advanceTimersByTime(WINDOW_MS + 1_000);
    expect(totp.attempt(attempt("bob", Math.floor(Date.now() / PERIOD_MS)), noStepUp).outcome).toBe("passed");
    // Three lock-outs today: the rest of the day is refused, and the next day starts afresh.
    for (let lockout = 0; lockout < 2; lockout++) {
      vi.advanceTimersByTime(2 * WINDOW_MS);
      for (let i = 0; i < 5; i++) totp.attempt(attempt("bob", undefined), noStepUp);
    }
    const capped = totp.attempt(attempt("bob", undefined), noStepUp);
    expect(capped.outcome).toBe("throttled");
    expect(capped.outcome === "throttled" ? capped.retryAfterMs : 0).toBe(Date.parse("2026-03-03T00:00:00Z") - Date.now());
    vi.setSystemTime(Date.parse("2026-03-03T00:30:00Z"));
    expect(totp.attempt(attempt("bob", Math.floor(Date.now() / PERIOD_MS)), noStepUp).outcome).toBe("passed");
    expect(totp.attempt(attempt("carol", undefined), noStepUp)).toEqual({ outcome: "wrong", failures: 1 });
  });
});
