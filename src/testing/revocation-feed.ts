import { randomUUID } from "node:crypto";
import { expect, it } from "vitest";
import { hasRevocationFeed, type RevocationFeed, type SessionEndNotice } from "../store/revocation-feed.js";
import type { SessionRecord, SessionStore } from "../types.js";

/** What the revocation-feed part of the kit needs from the main suite. */
export interface FeedConformanceContext {
  /** The store of the current test. */
  readonly store: () => SessionStore;
  /** Another instance over the same backend, when the suite runs with `sharedBackend`. */
  readonly otherInstance: (() => Promise<SessionStore>) | undefined;
  readonly sample: (userId: string, overrides?: Partial<SessionRecord>) => SessionRecord;
}

/** How long a notice may take to arrive before the kit calls it lost. */
const DELIVERY_MS = 2_000;

/** Collects one user's notices and waits for the ones a test expects. */
class NoticeLog {
  readonly notices: SessionEndNotice[] = [];
  interruptions = 0;
  readonly #waiters = new Set<() => void>();
  readonly listener = {
    ended: (notice: SessionEndNotice) => {
      this.notices.push(notice);
      for (const wake of this.#waiters) wake();
    },
    interrupted: () => {
      this.interruptions += 1;
    },
  };

  /** Waits until a notice for `sessionId` arrived; fails after `DELIVERY_MS`. */
  async waitFor(sessionId: string): Promise<void> {
    const deadline = Date.now() + DELIVERY_MS;
    while (!this.notices.some((n) => n.sessionId === sessionId)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no revocation notice for session ${sessionId} within ${DELIVERY_MS} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.add(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      this.#waiters.clear();
    }
  }

  ids(): string[] {
    return this.notices.map((n) => n.sessionId).sort();
  }
}

/**
 * The revocation feed's contract, for stores that have it (`subscribeSessionEnds`); each test is skipped for a
 * store without it. A notice that must not arrive is checked without sleeping: the test ends one more session
 * of the same user afterwards (a sentinel), and once that notice is in, nothing else may be.
 */
export function describeRevocationFeedConformance(ctx: FeedConformanceContext): void {
  const user = () => `feed-user-${randomUUID()}`;

  function feedOf(skip: () => void): RevocationFeed & SessionStore {
    const store = ctx.store();
    if (!hasRevocationFeed(store)) skip();
    return store as RevocationFeed & SessionStore;
  }

  async function sentinel(store: SessionStore, log: NoticeLog, userId: string): Promise<string> {
    const s = ctx.sample(userId);
    await store.createSession(s);
    await store.revokeSession(s.id);
    await log.waitFor(s.id);
    return s.id;
  }

  it("revocation feed: delivers the end of one session to its user's subscriber, with its ids and no secret", async ({ skip }) => {
    const store = feedOf(skip);
    const u = user();
    const ended = ctx.sample(u);
    const kept = ctx.sample(u);
    await store.createSession(ended);
    await store.createSession(kept);
    const log = new NoticeLog();
    const unsubscribe = await store.subscribeSessionEnds(u, log.listener);
    try {
      expect(await store.revokeSession(ended.id)).toBe(true);
      await log.waitFor(ended.id);
      const notice = log.notices[0];
      expect(notice).toMatchObject({ sessionId: ended.id, userId: u, reason: "revoked" });
      expect(Object.keys(notice ?? {}).sort()).toEqual(["at", "reason", "sessionId", "userId"]);
      expect(JSON.stringify(log.notices)).not.toContain(ended.tokenHash);
      // A second revoke of the same session ends nothing, so it announces nothing.
      expect(await store.revokeSession(ended.id)).toBe(false);
      const last = await sentinel(store, log, u);
      expect(log.ids()).toEqual([ended.id, last].sort());
      expect(await store.getSession(kept.id)).toBeDefined();
    } finally {
      unsubscribe();
    }
  });

  it("revocation feed: carries ids that JSON must escape (quotes, backslashes, control characters, non-ASCII) exactly as they are", async ({ skip }) => {
    const store = feedOf(skip);
    const u = `feed-"user"\\\t\u0001é😀-${randomUUID()}`;
    const plain = ctx.sample(u);
    const escaped = ctx.sample(u, { id: `s-"quoted"\\\nü-${randomUUID()}` });
    await store.createSession(plain);
    await store.createSession(escaped);
    const log = new NoticeLog();
    const unsubscribe = await store.subscribeSessionEnds(u, log.listener);
    try {
      const before = Date.now();
      expect(await store.revokeSession(escaped.id)).toBe(true);
      expect(await store.revokeSession(plain.id)).toBe(true);
      await log.waitFor(escaped.id);
      await log.waitFor(plain.id);
      expect(log.ids()).toEqual([escaped.id, plain.id].sort());
      for (const notice of log.notices) {
        expect(notice.userId).toBe(u);
        expect(notice.at).toBeGreaterThanOrEqual(before);
        expect(notice.at).toBeLessThanOrEqual(Date.now());
      }
    } finally {
      unsubscribe();
    }
  });

  it("revocation feed: announces each session revokeUserSessions ends (all, all but one, an API key's) and none it keeps", async ({ skip }) => {
    const store = feedOf(skip);
    const u = user();
    const current = ctx.sample(u);
    const other = ctx.sample(u);
    const keyA = ctx.sample(u, { apiKeyId: "key-a" });
    const keyB = ctx.sample(u, { apiKeyId: "key-b" });
    for (const s of [current, other, keyA, keyB]) await store.createSession(s);
    const log = new NoticeLog();
    const unsubscribe = await store.subscribeSessionEnds(u, log.listener);
    try {
      expect(await store.revokeUserSessions(u, { apiKeyId: "key-a" })).toBe(1);
      await log.waitFor(keyA.id);
      expect(await store.revokeUserSessions(u, { exceptSessionId: current.id })).toBe(2);
      await log.waitFor(other.id);
      await log.waitFor(keyB.id);
      expect(await store.revokeUserSessions(u)).toBe(1);
      await log.waitFor(current.id);
      const last = await sentinel(store, log, u);
      expect(log.ids()).toEqual([current.id, other.id, keyA.id, keyB.id, last].sort());
      for (const n of log.notices) expect(n.userId).toBe(u);
    } finally {
      unsubscribe();
    }
  });

  it("revocation feed: never tells one user's subscriber of another user's ends, and stops after unsubscribing", async ({ skip }) => {
    const store = feedOf(skip);
    const u = user();
    const stranger = user();
    const theirs = ctx.sample(stranger);
    const mine = ctx.sample(u);
    await store.createSession(theirs);
    await store.createSession(mine);
    const log = new NoticeLog();
    const strangerLog = new NoticeLog();
    const unsubscribe = await store.subscribeSessionEnds(u, log.listener);
    const unsubscribeStranger = await store.subscribeSessionEnds(stranger, strangerLog.listener);
    try {
      await store.revokeSession(theirs.id);
      await strangerLog.waitFor(theirs.id);
      const last = await sentinel(store, log, u);
      expect(log.ids()).toEqual([last]);
      unsubscribe();
      await store.revokeSession(mine.id);
      const strangerLast = await sentinel(store, strangerLog, stranger);
      expect(strangerLog.ids()).toEqual([theirs.id, strangerLast].sort());
      expect(log.ids()).toEqual([last]);
    } finally {
      unsubscribe();
      unsubscribeStranger();
    }
  });

  it("revocation feed: delivers to every subscriber of the user, and keeps the others after one unsubscribes", async ({ skip }) => {
    const store = feedOf(skip);
    const u = user();
    const first = new NoticeLog();
    const second = new NoticeLog();
    const stopFirst = await store.subscribeSessionEnds(u, first.listener);
    const stopSecond = await store.subscribeSessionEnds(u, second.listener);
    try {
      const a = ctx.sample(u);
      await store.createSession(a);
      await store.revokeSession(a.id);
      await first.waitFor(a.id);
      await second.waitFor(a.id);
      stopFirst();
      const last = await sentinel(store, second, u);
      expect(second.ids()).toEqual([a.id, last].sort());
      expect(first.ids()).toEqual([a.id]);
    } finally {
      stopFirst();
      stopSecond();
    }
  });

  it("revocation feed: delivers an end made through another instance sharing the backend", async ({ skip }) => {
    const otherInstance = ctx.otherInstance;
    if (otherInstance === undefined) return skip();
    const store = feedOf(skip);
    const other = await otherInstance();
    const u = user();
    const s = ctx.sample(u);
    await store.createSession(s);
    const log = new NoticeLog();
    const unsubscribe = await store.subscribeSessionEnds(u, log.listener);
    try {
      expect(await other.revokeSession(s.id)).toBe(true);
      await log.waitFor(s.id);
      const many = [ctx.sample(u), ctx.sample(u)];
      for (const m of many) await store.createSession(m);
      expect(await other.revokeUserSessions(u)).toBe(2);
      for (const m of many) await log.waitFor(m.id);
      expect(log.ids()).toEqual([s.id, ...many.map((m) => m.id)].sort());
    } finally {
      unsubscribe();
    }
  });
}
