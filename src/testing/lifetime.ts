import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { EpochMs, SessionLimitStore, SessionRecord, SessionStore, StepUpStore } from "../types.js";
import { sampleSession, type StoreInstance } from "./instance.js";

const MINUTE = 60_000;

type TouchStore = SessionStore & { touchSession(id: string, at: EpochMs): Promise<void> };

/**
 * A fake clock for the lifetime tests: only `Date` is faked, so a store's network I/O keeps its real timers. A
 * store reads the time from `Date.now()`, as the built-in ones and examples/postgres-store.ts do.
 */
function fakeClock() {
  let t0 = 0;
  const at = (minutes: number) => t0 + minutes * MINUTE;
  afterEach(() => {
    vi.useRealTimers();
  });
  return {
    at,
    clock: (minutes: number) => {
      vi.setSystemTime(at(minutes));
    },
    startClock: () => {
      vi.useFakeTimers({ toFake: ["Date"] });
      // A round start far from the real time, so a slip back to the real clock shows as a failure.
      t0 = Date.UTC(2031, 0, 1, 9, 0, 0);
      vi.setSystemTime(t0);
    },
  };
}

const user = () => `user-${randomUUID()}`;

async function expectGone(store: SessionStore, session: SessionRecord): Promise<void> {
  expect(await store.getSession(session.id)).toBeUndefined();
  expect(await store.findSessionByTokenHash(session.tokenHash)).toBeUndefined();
  expect((await store.listSessions(session.userId)).map((s) => s.id)).not.toContain(session.id);
}

/**
 * The lifetime part of the core contract, on a fake clock: a store keeps `idleTimeoutMs`, `authenticatedAt` and
 * `amr`, ends a session idle for `idleTimeoutMs` (or at its absolute expiry) by every index, and never stores one
 * already past either.
 */
export function lifetimeCoreTests(instance: StoreInstance<SessionStore>): void {
  describe("session lifetime (fake clock)", () => {
    const { at, clock, startClock } = fakeClock();
    const current = instance.store;

    it("ends an idle-timeout session idleTimeoutMs after its last activity when nothing uses it", async () => {
      startClock();
      const store = current();
      const session = sampleSession(user(), { createdAt: at(0), lastSeenAt: at(0), expiresAt: at(60), idleTimeoutMs: 10 * MINUTE });
      await store.createSession(session);
      clock(9.9);
      expect(await store.getSession(session.id)).toEqual(session);
      clock(10);
      await expectGone(store, session);
      expect(await store.revokeSession(session.id)).toBe(false);
      expect(await store.revokeUserSessions(session.userId)).toBe(0);
    });

    it("ends a session without an idle timeout only at its absolute expiry", async () => {
      startClock();
      const store = current();
      const session = sampleSession(user(), { createdAt: at(0), lastSeenAt: at(0), expiresAt: at(24 * 60) });
      await store.createSession(session);
      clock(23 * 60);
      expect(await store.getSession(session.id)).toEqual(session);
      clock(24 * 60);
      await expectGone(store, session);
    });

    it("keeps idleTimeoutMs, authenticatedAt and amr field for field", async () => {
      startClock();
      const store = current();
      const session = sampleSession(user(), { createdAt: at(0), lastSeenAt: at(0), expiresAt: at(60), idleTimeoutMs: 10 * MINUTE, authenticatedAt: at(0), amr: ["password", "totp"] });
      await store.createSession(session);
      expect(await store.getSession(session.id)).toEqual(session);
      expect(await store.findSessionByTokenHash(session.tokenHash)).toEqual(session);
      expect(await store.listSessions(session.userId)).toEqual([session]);
    });

    it("never stores a session whose idle deadline has already passed", async () => {
      startClock();
      const store = current();
      const session = sampleSession(user(), { createdAt: at(-20), lastSeenAt: at(-20), expiresAt: at(60), idleTimeoutMs: 10 * MINUTE });
      await store.createSession(session);
      await expectGone(store, session);
    });

  });
}

/** Activity through `touchSession` moves the idle deadline, never past the absolute expiry (fake clock). */
export function lifetimeTouchTests(instance: StoreInstance<TouchStore>): void {
  describe("session lifetime with activity (fake clock)", () => {
    const { at, clock, startClock } = fakeClock();
    const current = instance.store;

    it("keeps an idle-timeout session alive while it is used, and ends it idleTimeoutMs after the last use", async () => {
      startClock();
      const store = current();
      const session = sampleSession(user(), { createdAt: at(0), lastSeenAt: at(0), expiresAt: at(60), idleTimeoutMs: 10 * MINUTE });
      await store.createSession(session);
      clock(9);
      expect((await store.findSessionByTokenHash(session.tokenHash))?.id).toBe(session.id);
      await store.touchSession(session.id, at(9));
      clock(18);
      expect((await store.getSession(session.id))?.lastSeenAt).toBe(at(9));
      expect((await store.listSessions(session.userId)).map((s) => s.id)).toEqual([session.id]);
      clock(19.5);
      await expectGone(store, session);
      expect(await store.revokeSession(session.id)).toBe(false);
      expect(await store.revokeUserSessions(session.userId)).toBe(0);
    });

    it("ends an active session at its absolute expiry however often it is used", async () => {
      startClock();
      const store = current();
      const session = sampleSession(user(), { createdAt: at(0), lastSeenAt: at(0), expiresAt: at(60), idleTimeoutMs: 10 * MINUTE });
      await store.createSession(session);
      for (let minute = 5; minute <= 55; minute += 5) {
        clock(minute);
        await store.touchSession(session.id, at(minute));
      }
      clock(59.9);
      expect((await store.getSession(session.id))?.lastSeenAt).toBe(at(55));
      clock(60);
      await expectGone(store, session);
      // A touch after the end brings nothing back.
      await store.touchSession(session.id, at(60));
      await expectGone(store, session);
    });

    it("never extends the idle deadline past the absolute expiry", async () => {
      startClock();
      const store = current();
      const session = sampleSession(user(), { createdAt: at(0), lastSeenAt: at(0), expiresAt: at(40), idleTimeoutMs: 30 * MINUTE });
      await store.createSession(session);
      clock(25);
      await store.touchSession(session.id, at(25));
      clock(39);
      await store.touchSession(session.id, at(39));
      expect((await store.getSession(session.id))?.lastSeenAt).toBe(at(39));
      clock(40);
      await expectGone(store, session);
    });

  });
}

/** `recordAuthentication`, the step-up capability (`StepUpStore`), on a fake clock. */
export function stepUpStoreTests(instance: StoreInstance<SessionStore & StepUpStore>): void {
  describe("recordAuthentication (step-up)", () => {
    const { at, clock, startClock } = fakeClock();
    const current = instance.store;

    it("moves authenticatedAt forward and adds the method to amr, most recent last and each once", async () => {
      const store = current();
      startClock();
      const session = sampleSession(user(), { createdAt: at(0), lastSeenAt: at(0), expiresAt: at(60), authenticatedAt: at(0), amr: ["password"] });
      await store.createSession(session);
      clock(30);
      expect(await store.recordAuthentication(session.id, at(30), "totp")).toBe(true);
      expect(await store.getSession(session.id)).toMatchObject({ authenticatedAt: at(30), amr: ["password", "totp"] });
      expect(await store.recordAuthentication(session.id, at(31), "password")).toBe(true);
      expect(await store.recordAuthentication(session.id, at(20), "totp")).toBe(true);
      const found = await store.findSessionByTokenHash(session.tokenHash);
      expect(found).toMatchObject({ authenticatedAt: at(31), amr: ["password", "totp"] });
      expect(found?.createdAt).toBe(at(0));
    });

    it("answers false for an unknown or ended session and stores nothing for it", async () => {
      const store = current();
      startClock();
      expect(await store.recordAuthentication(randomUUID(), at(0), "totp")).toBe(false);
      const session = sampleSession(user(), { createdAt: at(0), lastSeenAt: at(0), expiresAt: at(60), idleTimeoutMs: 5 * MINUTE });
      await store.createSession(session);
      clock(6);
      expect(await store.recordAuthentication(session.id, at(6), "totp")).toBe(false);
      await expectGone(store, session);
      const revoked = sampleSession(user(), { createdAt: at(6), expiresAt: at(60) });
      await store.createSession(revoked);
      expect(await store.revokeSession(revoked.id)).toBe(true);
      expect(await store.recordAuthentication(revoked.id, at(7), "totp")).toBe(false);
      expect(await store.getSession(revoked.id)).toBeUndefined();
    });
  });
}

/** `createSessionWithinLimit`, the session limit capability (`SessionLimitStore`), atomic under concurrent logins. */
export function sessionLimitStoreTests(instance: StoreInstance<SessionStore & SessionLimitStore>): void {
  describe("createSessionWithinLimit (maxSessionsPerUser)", () => {
    const { at, clock, startClock } = fakeClock();
    const current = instance.store;
    const another = instance.sharedBackend ? instance.another : undefined;

    it("ends the least recently used sessions to make room, and counts idle-expired ones as gone", async () => {
      const store = current();
      startClock();
      const u = user();
      // Used last at minute 3 and at minute 10 (created with those lastSeenAt, so no touch is needed).
      const oldestUse = sampleSession(u, { createdAt: at(0), lastSeenAt: at(3), expiresAt: at(120) });
      const recentUse = sampleSession(u, { createdAt: at(0), lastSeenAt: at(10), expiresAt: at(120) });
      const idled = sampleSession(u, { createdAt: at(0), lastSeenAt: at(0), expiresAt: at(120), idleTimeoutMs: 5 * MINUTE });
      for (const s of [oldestUse, recentUse, idled]) await store.createSession(s);
      clock(10);
      const third = sampleSession(u, { createdAt: at(10), lastSeenAt: at(10), expiresAt: at(120) });
      // The idle one is already over: the user holds two live sessions, the third fits without ending any.
      expect(await store.createSessionWithinLimit(third, { maxSessions: 3, whenFull: "end-least-recently-used" })).toEqual({ created: true, ended: [] });
      const fourth = sampleSession(u, { createdAt: at(11), lastSeenAt: at(11), expiresAt: at(120) });
      expect(await store.createSessionWithinLimit(fourth, { maxSessions: 3, whenFull: "end-least-recently-used" })).toEqual({ created: true, ended: [oldestUse.id] });
      expect((await store.listSessions(u)).map((s) => s.id).sort()).toEqual([recentUse.id, third.id, fourth.id].sort());
      await expectGone(store, oldestUse);
    });

    it("refuses the new login at the limit and changes nothing", async () => {
      const store = current();
      const u = user();
      const held = [sampleSession(u), sampleSession(u)];
      for (const s of held) await store.createSession(s);
      const refused = sampleSession(u);
      expect(await store.createSessionWithinLimit(refused, { maxSessions: 2, whenFull: "refuse" })).toEqual({ created: false, ended: [] });
      await expectGone(store, refused);
      expect((await store.listSessions(u)).map((s) => s.id).sort()).toEqual(held.map((s) => s.id).sort());
    });

    it("never lets concurrent logins exceed the limit, on one instance or two", async () => {
      const store = current();
      const other = another === undefined ? store : await another();
      const within = (s: SessionStore & SessionLimitStore, session: SessionRecord, whenFull: "refuse" | "end-least-recently-used") =>
        s.createSessionWithinLimit(session, { maxSessions: 3, whenFull });
      const u = user();
      const logins = Array.from({ length: 24 }, (_, i) => sampleSession(u, { createdAt: Date.now() + i }));
      const refused = await Promise.all(logins.map((s, i) => within(i % 2 === 0 ? store : other, s, "refuse")));
      expect(refused.filter((r) => r.created)).toHaveLength(3);
      expect(await store.listSessions(u)).toHaveLength(3);

      const v = user();
      const more = Array.from({ length: 24 }, (_, i) => sampleSession(v, { createdAt: Date.now() + i }));
      const results = await Promise.all(more.map((s, i) => within(i % 2 === 0 ? store : other, s, "end-least-recently-used")));
      expect(results.every((r) => r.created)).toBe(true);
      const ended = results.flatMap((r) => r.ended);
      expect(new Set(ended).size).toBe(more.length - 3);
      const left = await other.listSessions(v);
      expect(left).toHaveLength(3);
      for (const s of left) expect(ended).not.toContain(s.id);
    });
  });
}
