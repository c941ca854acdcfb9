import { expect, it } from "vitest";
import type { SessionStore, StepUpStore, TotpAttempt, TotpAttemptResult } from "../types.js";
import { newUser, sampleSession, type StoreInstance } from "./instance.js";

type TotpAttemptTestStore = SessionStore & Partial<StepUpStore> & { attemptTotp(attempt: TotpAttempt): Promise<TotpAttemptResult> };

const PERIOD_MS = 30_000;
const WINDOW_MS = 5 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
/** A moment well inside a throttling window and a UTC day, so no test crosses a boundary by accident. */
const T0 = Math.floor(1_800_000_000_000 / DAY_MS) * DAY_MS + 3 * 60 * 60 * 1000 + 60_000;

/** `requireTotp`'s default throttle, for a code of `step` (or a wrong one) of `userId` at `now`. */
function attempt(userId: string, now: number, step: number | undefined, extra: Partial<TotpAttempt> = {}): TotpAttempt {
  return { userId, now, step, olderSteps: [], periodMs: PERIOD_MS, window: 1, maxFailures: 5, failureWindowMs: WINDOW_MS, maxLockoutsPerDay: 2, ...extra };
}

const stepAt = (now: number) => Math.floor(now / PERIOD_MS);

/**
 * `attemptTotp`, for stores that run a TOTP attempt in one call: the throttle's rules (docs/rocket-chat.md) as
 * `requireTotp` runs them through markers and counters, atomically. Every time is the caller's `now`. A pass's
 * `failures` is not looked at: `requireTotp` reads it only for a refusal.
 */
export function totpAttemptStoreTests(instance: StoreInstance<TotpAttemptTestStore>, options: { readonly stepUp: boolean }): void {
  const store = instance.store;
  // The step-up cases need the session record's step-up (`"step-up"`): skipped, and said so, without it.
  const itStepsUp = it.skipIf(!options.stepUp);

  /** A session of `user`, live on the real clock (so these attempts run on the real clock too). */
  async function liveSessionOf(user: string) {
    const session = sampleSession(user);
    await store().createSession(session);
    return session;
  }

  it("passes a matching step once; the same step again is a replay, and a failure", async () => {
    const user = newUser();
    const step = stepAt(T0);
    expect(await store().attemptTotp(attempt(user, T0, step))).toMatchObject({ outcome: "passed" });
    expect(await store().attemptTotp(attempt(user, T0 + 1_000, step))).toEqual({ outcome: "replayed", failures: 1 });
  });

  it("spends the earlier steps a pass names with it, and no others", async () => {
    const user = newUser();
    const step = stepAt(T0);
    expect(await store().attemptTotp(attempt(user, T0, step, { olderSteps: [step - 1] }))).toMatchObject({ outcome: "passed" });
    expect(await store().attemptTotp(attempt(user, T0, step - 1))).toMatchObject({ outcome: "replayed" });
    expect(await store().attemptTotp(attempt(user, T0 + PERIOD_MS, step + 1))).toMatchObject({ outcome: "passed" });
  });

  it("counts wrong codes, locks the user out at the fifth, and counts nothing while the lock-out holds", async () => {
    const user = newUser();
    for (let failures = 1; failures <= 5; failures++) {
      expect(await store().attemptTotp(attempt(user, T0 + failures, undefined))).toEqual({ outcome: "wrong", failures });
    }
    const refused = await store().attemptTotp(attempt(user, T0 + 10, stepAt(T0)));
    expect(refused.outcome).toBe("throttled");
    expect(refused.outcome === "throttled" && refused.retryAfterMs > 0 && refused.retryAfterMs <= WINDOW_MS).toBe(true);
    // The right code during the lock-out was not looked at: once it ends, the same step still passes.
    expect(await store().attemptTotp(attempt(user, T0 + 5 + WINDOW_MS + 1, stepAt(T0 + 5 + WINDOW_MS + 1)))).toMatchObject({ outcome: "passed" });
  });

  it("refuses every attempt for the rest of the UTC day after the day's lock-outs", async () => {
    const user = newUser();
    let now = T0;
    for (let lockout = 0; lockout < 2; lockout++) {
      for (let i = 0; i < 5; i++) await store().attemptTotp(attempt(user, ++now, undefined));
      now += WINDOW_MS + 1;
    }
    const refused = await store().attemptTotp(attempt(user, now, stepAt(now)));
    const dayEnd = (Math.floor(now / DAY_MS) + 1) * DAY_MS;
    expect(refused).toEqual({ outcome: "throttled", retryAfterMs: dayEnd - now });
  });

  it("keeps each user's attempts to that user", async () => {
    const [alice, bob] = [newUser(), newUser()];
    for (let i = 1; i <= 5; i++) await store().attemptTotp(attempt(alice, T0 + i, undefined));
    expect((await store().attemptTotp(attempt(alice, T0 + 10, undefined))).outcome).toBe("throttled");
    expect(await store().attemptTotp(attempt(bob, T0 + 10, stepAt(T0)))).toMatchObject({ outcome: "passed" });
  });

  it("lets exactly one of many concurrent attempts with the same code pass", async () => {
    const user = newUser();
    const step = stepAt(T0);
    const results = await Promise.all(Array.from({ length: 6 }, () => store().attemptTotp(attempt(user, T0, step, { maxFailures: 10 }))));
    expect(results.filter((r) => r.outcome === "passed")).toHaveLength(1);
    expect(results.filter((r) => r.outcome === "replayed")).toHaveLength(5);
  });

  itStepsUp("records a pass's step-up on a live session of the user, and only on a pass", async () => {
    const user = newUser();
    const session = await liveSessionOf(user);
    // Read after the session is made: a step-up at or before its creation changes no authenticatedAt.
    const now = Math.max(Date.now(), session.createdAt);
    const wrong = await store().attemptTotp(attempt(user, now, undefined, { stepUp: { sessionId: session.id, method: "totp" } }));
    expect(wrong).toEqual({ outcome: "wrong", failures: 1 });
    expect(await store().getSession(session.id)).toEqual(session);
    const passed = await store().attemptTotp(attempt(user, now + 1, stepAt(now), { stepUp: { sessionId: session.id, method: "totp" } }));
    expect(passed).toMatchObject({ outcome: "passed", steppedUp: true });
    expect(await store().getSession(session.id)).toMatchObject({ authenticatedAt: now + 1, amr: ["totp"] });
  });

  itStepsUp("records no step-up on another user's session, and leaves it as it was", async () => {
    const now = Date.now();
    const [user, other] = [newUser(), newUser()];
    const session = await liveSessionOf(other);
    const passed = await store().attemptTotp(attempt(user, now, stepAt(now), { stepUp: { sessionId: session.id, method: "totp" } }));
    expect(passed).toMatchObject({ outcome: "passed", steppedUp: false });
    expect(await store().getSession(session.id)).toEqual(session);
  });

  itStepsUp("spends a right code for a session that has ended without bringing it back", async () => {
    const now = Date.now();
    const user = newUser();
    const session = await liveSessionOf(user);
    await store().revokeSession(session.id);
    const passed = await store().attemptTotp(attempt(user, now, stepAt(now), { stepUp: { sessionId: session.id, method: "totp" } }));
    expect(passed).toMatchObject({ outcome: "passed", steppedUp: false });
    expect(await store().getSession(session.id)).toBeUndefined();
    expect(await store().attemptTotp(attempt(user, now + 1, stepAt(now)))).toMatchObject({ outcome: "replayed" });
  });
}
