import { randomUUID } from "node:crypto";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { generateToken, hashSecret } from "../secrets.js";
import { assertSessionStore } from "../store/contract.js";
import type { SessionRecord, SessionStore } from "../types.js";
import { describeRevocationFeedConformance } from "./revocation-feed.js";

export { nilAsUndefined } from "./send-command.js";

export interface ConformanceOptions {
  /** Called before each test: a store to test (fresh, or shared with unique keys; each test uses its own ids). */
  readonly createStore: () => SessionStore | Promise<SessionStore>;
  /** Called once after the suite, to close connections. */
  readonly closeStore?: (store: SessionStore) => void | Promise<void>;
  /**
   * The TTL (ms) the expiry tests use; they wait about twice this long. Default 250: long enough that a busy
   * CI machine does not see a marker expire before the test reads it back, short enough to keep the suite quick.
   */
  readonly ttlMs?: number;
  /**
   * Set it when every `createStore()` call opens another instance over the same backend (a Redis or SQL
   * store): the kit then also checks that what one instance changes, another sees at once (a logout through
   * one app instance is refused by the next), with each instance's own caches warmed first. Default `false`.
   */
  readonly sharedBackend?: boolean;
}

/** A fresh, valid session record for `userId`; the token is random and only its hash is kept. */
export function sampleSession(userId: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
  const now = Date.now();
  return {
    id: randomUUID(),
    userId,
    tokenHash: hashSecret(generateToken()),
    createdAt: now,
    expiresAt: now + 60_000,
    ...overrides,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs the whole `SessionStore` contract under vitest against the stores `createStore` makes: lookups of unknown
 * ids, create/get/list field for field, token lookup, touch, revoke one (idempotent), revoke all, all but one
 * and an API key's, TTL expiry by every index, uniqueness of ids and token hashes, claims won by exactly one of
 * many concurrent callers, exact counters, the JWT deny-list and cut-off, and the races (revoke against revoke,
 * revoke-all against logins of the same user, touch against revoke). With `sharedBackend`, also that a change
 * through one instance is seen by another at once. A store that passes behaves like the built-in ones for every
 * factory of the library. docs/custom-store.md walks through writing one.
 *
 * ```ts
 * import { describeSessionStoreConformance } from "express-logout/testing";
 * describeSessionStoreConformance("PostgresSessionStore", { createStore: () => new PostgresSessionStore(pool), sharedBackend: true });
 * ```
 */
export function describeSessionStoreConformance(name: string, options: ConformanceOptions): void {
  const ttlMs = options.ttlMs ?? 250;
  const opened: SessionStore[] = [];
  let store: SessionStore;
  const user = () => `user-${randomUUID()}`;

  describe(`${name} conforms to SessionStore`, () => {
    beforeEach(async () => {
      store = await options.createStore();
      if (!opened.includes(store)) opened.push(store);
    });
    afterAll(async () => {
      for (const s of opened) await options.closeStore?.(s);
    });

    it("has every method of the interface", () => {
      expect(() => {
        assertSessionStore(store);
      }).not.toThrow();
    });

    it("answers undefined, [] and false for ids, hashes and users it never saw", async () => {
      expect(await store.getSession(randomUUID())).toBeUndefined();
      expect(await store.findSessionByTokenHash(hashSecret(generateToken()))).toBeUndefined();
      expect(await store.listSessions(user())).toEqual([]);
      expect(await store.revokeSession(randomUUID())).toBe(false);
      expect(await store.revokeUserSessions(user())).toBe(0);
      expect(await store.readCounter(`c-${randomUUID()}`)).toBe(0);
      expect(await store.jwtRevocation(user(), randomUUID())).toEqual({ denied: false, issuedBefore: undefined });
    });

    it("returns a created session by id, by token hash and in its user's list, field for field", async () => {
      const session = sampleSession(user(), { authenticationSource: "login", apiKeyId: "k1", tenant: "t1", ip: "10.0.0.1", userAgent: "UA/1", lastSeenAt: Date.now() });
      await store.createSession(session);
      expect(await store.getSession(session.id)).toEqual(session);
      expect(await store.findSessionByTokenHash(session.tokenHash)).toEqual(session);
      expect(await store.listSessions(session.userId)).toEqual([session]);
    });

    it("lists a user's sessions oldest first and never another user's", async () => {
      const u = user();
      const now = Date.now();
      const b = sampleSession(u, { createdAt: now - 1000 });
      const a = sampleSession(u, { createdAt: now - 2000 });
      const other = sampleSession(user());
      await store.createSession(b);
      await store.createSession(a);
      await store.createSession(other);
      expect((await store.listSessions(u)).map((s) => s.id)).toEqual([a.id, b.id]);
    });

    it("records lastSeenAt with touchSession and ignores unknown ids", async () => {
      const session = sampleSession(user());
      await store.createSession(session);
      const at = Date.now() + 5;
      await store.touchSession(session.id, at);
      expect((await store.getSession(session.id))?.lastSeenAt).toBe(at);
      await expect(store.touchSession(randomUUID(), at)).resolves.toBeUndefined();
    });

    it("ends one session: gone by id, by hash and from the list; the second revoke answers false", async () => {
      const u = user();
      const session = sampleSession(u);
      const kept = sampleSession(u);
      await store.createSession(session);
      await store.createSession(kept);
      expect(await store.revokeSession(session.id)).toBe(true);
      expect(await store.getSession(session.id)).toBeUndefined();
      expect(await store.findSessionByTokenHash(session.tokenHash)).toBeUndefined();
      expect((await store.listSessions(u)).map((s) => s.id)).toEqual([kept.id]);
      expect(await store.revokeSession(session.id)).toBe(false);
      expect(await store.getSession(kept.id)).toEqual(kept);
    });

    it("ends all of a user's sessions and answers how many, leaving other users alone", async () => {
      const u = user();
      const mine = [sampleSession(u), sampleSession(u), sampleSession(u)];
      const theirs = sampleSession(user());
      for (const s of [...mine, theirs]) await store.createSession(s);
      expect(await store.revokeUserSessions(u)).toBe(3);
      expect(await store.listSessions(u)).toEqual([]);
      for (const s of mine) expect(await store.findSessionByTokenHash(s.tokenHash)).toBeUndefined();
      expect(await store.getSession(theirs.id)).toEqual(theirs);
      expect(await store.revokeUserSessions(u)).toBe(0);
    });

    it("ends all but one session with exceptSessionId", async () => {
      const u = user();
      const current = sampleSession(u);
      const others = [sampleSession(u), sampleSession(u)];
      for (const s of [current, ...others]) await store.createSession(s);
      expect(await store.revokeUserSessions(u, { exceptSessionId: current.id })).toBe(2);
      expect((await store.listSessions(u)).map((s) => s.id)).toEqual([current.id]);
    });

    it("ends only an API key's sessions with apiKeyId", async () => {
      const u = user();
      const fromKey = [sampleSession(u, { apiKeyId: "key-a" }), sampleSession(u, { apiKeyId: "key-a" })];
      const otherKey = sampleSession(u, { apiKeyId: "key-b" });
      const login = sampleSession(u);
      for (const s of [...fromKey, otherKey, login]) await store.createSession(s);
      expect(await store.revokeUserSessions(u, { apiKeyId: "key-a" })).toBe(2);
      expect((await store.listSessions(u)).map((s) => s.id).sort()).toEqual([otherKey.id, login.id].sort());
    });

    it("never returns a session past its expiresAt, by any index", async () => {
      const u = user();
      const session = sampleSession(u, { expiresAt: Date.now() + ttlMs });
      await store.createSession(session);
      expect(await store.getSession(session.id)).toEqual(session);
      await sleep(ttlMs * 2 + 20);
      expect(await store.getSession(session.id)).toBeUndefined();
      expect(await store.findSessionByTokenHash(session.tokenHash)).toBeUndefined();
      expect(await store.listSessions(u)).toEqual([]);
      expect(await store.revokeSession(session.id)).toBe(false);
      expect(await store.revokeUserSessions(u)).toBe(0);
    });

    it("gives a claim to exactly one of many concurrent callers, and again after it expires", async () => {
      // Atomicity with a long-lived marker, so a slow backend cannot let it expire mid-test.
      const key = `claim-${randomUUID()}`;
      const results = await Promise.all(Array.from({ length: 25 }, () => store.claim(key, 60_000)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store.claim(key, 60_000)).toBe(false);
      // Expiry on a short-lived one.
      const shortKey = `claim-${randomUUID()}`;
      expect(await store.claim(shortKey, ttlMs)).toBe(true);
      await sleep(ttlMs * 2 + 20);
      expect(await store.claim(shortKey, ttlMs)).toBe(true);
    });

    it("counts concurrent increments exactly and resets the counter after its window", async () => {
      const key = `counter-${randomUUID()}`;
      const counts = await Promise.all(Array.from({ length: 10 }, () => store.incrementCounter(key, 60_000)));
      expect([...counts].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(await store.readCounter(key)).toBe(10);
      const shortKey = `counter-${randomUUID()}`;
      expect(await store.incrementCounter(shortKey, ttlMs * 4)).toBe(1);
      await sleep(ttlMs * 4 + 50);
      expect(await store.readCounter(shortKey)).toBe(0);
      expect(await store.incrementCounter(shortKey, ttlMs * 4)).toBe(1);
    });

    it("denies a JWT id for its user until it expires, and only that one", async () => {
      const u = user();
      const jti = randomUUID();
      await store.denyJwt(u, jti, Date.now() + ttlMs);
      expect(await store.jwtRevocation(u, jti)).toEqual({ denied: true, issuedBefore: undefined });
      expect((await store.jwtRevocation(u, randomUUID())).denied).toBe(false);
      expect((await store.jwtRevocation(user(), jti)).denied).toBe(false);
      await sleep(ttlMs * 2 + 20);
      expect((await store.jwtRevocation(u, jti)).denied).toBe(false);
    });

    it("keeps the latest JWT cut-off of a user and forgets it after keepUntil", async () => {
      const u = user();
      const now = Date.now();
      await store.revokeJwtsIssuedBefore(u, now, now + ttlMs);
      expect((await store.jwtRevocation(u, randomUUID())).issuedBefore).toBe(now);
      await store.revokeJwtsIssuedBefore(u, now - 1000, now + ttlMs);
      expect((await store.jwtRevocation(u, randomUUID())).issuedBefore).toBe(now);
      expect((await store.jwtRevocation(user(), randomUUID())).issuedBefore).toBeUndefined();
      await sleep(ttlMs * 2 + 20);
      expect((await store.jwtRevocation(u, randomUUID())).issuedBefore).toBeUndefined();
    });

    it("answers concurrent revokes of one session with exactly one true", async () => {
      const session = sampleSession(user());
      await store.createSession(session);
      const results = await Promise.all(Array.from({ length: 10 }, () => store.revokeSession(session.id)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it("leaves no session behind when revoke-all races creates for the same user", async () => {
      const u = user();
      const created = Array.from({ length: 20 }, () => sampleSession(u));
      let revoked = 0;
      await Promise.all([
        ...created.map((s) => store.createSession(s)),
        ...Array.from({ length: 5 }, async () => {
          const n = await store.revokeUserSessions(u);
          revoked += n;
        }),
      ]);
      const rest = await store.revokeUserSessions(u);
      revoked += rest;
      expect(revoked).toBe(created.length);
      expect(await store.listSessions(u)).toEqual([]);
      for (const s of created) expect(await store.findSessionByTokenHash(s.tokenHash)).toBeUndefined();
    });

    it("keeps apart users and sessions whose ids differ only in characters a key layout must escape", async () => {
      const odd = ["a:b", "a%3ab", "a%3Ab", "{a}", "a}", "{a", "a", "", "%", "a b", "ü", "\u{1F600}", "a\\b", "a*b?[c]"];
      const suffix = randomUUID();
      const sessions = odd.map((name) => sampleSession(`${name}${name === "" ? "" : suffix}`, { id: `${name}:${randomUUID()}` }));
      // The empty user id is shared between runs of a suite: end what an earlier run may have left.
      await store.revokeUserSessions("");
      for (const s of sessions) await store.createSession(s);
      for (const s of sessions) {
        expect(await store.listSessions(s.userId)).toEqual([s]);
        expect(await store.getSession(s.id)).toEqual(s);
        expect(await store.findSessionByTokenHash(s.tokenHash)).toEqual(s);
      }
      const [first, ...rest] = sessions;
      expect(await store.revokeUserSessions(first?.userId ?? "")).toBe(1);
      for (const s of rest) expect(await store.getSession(s.id)).toEqual(s);
      for (const s of rest) expect(await store.revokeSession(s.id)).toBe(true);
    });

    it("stores every one of many concurrent logins of one user", async () => {
      const u = user();
      const created = Array.from({ length: 20 }, (_, i) => sampleSession(u, { createdAt: Date.now() - 1000 + i }));
      await Promise.all(created.map((s) => store.createSession(s)));
      expect((await store.listSessions(u)).map((s) => s.id)).toEqual(created.map((s) => s.id));
      for (const s of created) expect((await store.findSessionByTokenHash(s.tokenHash))?.id).toBe(s.id);
    });

    it("never stores a session whose expiresAt has already passed", async () => {
      const u = user();
      const stale = sampleSession(u, { expiresAt: Date.now() - 1 });
      await store.createSession(stale);
      expect(await store.getSession(stale.id)).toBeUndefined();
      expect(await store.findSessionByTokenHash(stale.tokenHash)).toBeUndefined();
      expect(await store.listSessions(u)).toEqual([]);
    });

    it("expires each session on its own schedule and counts only live ones", async () => {
      const u = user();
      const short = sampleSession(u, { expiresAt: Date.now() + ttlMs });
      const long = sampleSession(u);
      await store.createSession(short);
      await store.createSession(long);
      await sleep(ttlMs * 2 + 20);
      expect((await store.listSessions(u)).map((s) => s.id)).toEqual([long.id]);
      expect(await store.findSessionByTokenHash(long.tokenHash)).toEqual(long);
      expect(await store.revokeUserSessions(u)).toBe(1);
    });

    it("ends all but one session of an API key with exceptSessionId and apiKeyId together", async () => {
      const u = user();
      const current = sampleSession(u, { apiKeyId: "key-a" });
      const sibling = sampleSession(u, { apiKeyId: "key-a" });
      const login = sampleSession(u);
      for (const s of [current, sibling, login]) await store.createSession(s);
      expect(await store.revokeUserSessions(u, { exceptSessionId: current.id, apiKeyId: "key-a" })).toBe(1);
      expect((await store.listSessions(u)).map((s) => s.id).sort()).toEqual([current.id, login.id].sort());
    });

    it("counts each session once when revoke-alls and single revokes race", async () => {
      const u = user();
      const created = Array.from({ length: 12 }, () => sampleSession(u));
      for (const s of created) await store.createSession(s);
      const [singles, alls] = await Promise.all([
        Promise.all(created.map((s) => store.revokeSession(s.id))),
        Promise.all(Array.from({ length: 4 }, () => store.revokeUserSessions(u))),
      ]);
      const ended = singles.filter(Boolean).length + alls.reduce((a, b) => a + b, 0);
      expect(ended).toBe(created.length);
      expect(await store.listSessions(u)).toEqual([]);
    });

    it("never brings back a session when a touch races its revoke", async () => {
      const u = user();
      const created = Array.from({ length: 10 }, () => sampleSession(u));
      for (const s of created) await store.createSession(s);
      await Promise.all(created.flatMap((s) => [store.touchSession(s.id, Date.now()), store.revokeSession(s.id), store.touchSession(s.id, Date.now())]));
      for (const s of created) {
        expect(await store.getSession(s.id)).toBeUndefined();
        expect(await store.findSessionByTokenHash(s.tokenHash)).toBeUndefined();
      }
      expect(await store.listSessions(u)).toEqual([]);
    });

    it("keeps claims, counters and sessions of the same key string apart", async () => {
      const key = `shared-${randomUUID()}`;
      expect(await store.claim(key, 60_000)).toBe(true);
      expect(await store.readCounter(key)).toBe(0);
      expect(await store.incrementCounter(key, 60_000)).toBe(1);
      expect(await store.claim(key, 60_000)).toBe(false);
      expect(await store.getSession(key)).toBeUndefined();
      expect(await store.listSessions(key)).toEqual([]);
    });

    it("answers a denied jti and its user's cut-off together", async () => {
      const u = user();
      const jti = randomUUID();
      const now = Date.now();
      await store.denyJwt(u, jti, now + 60_000);
      await store.revokeJwtsIssuedBefore(u, now, now + 60_000);
      expect(await store.jwtRevocation(u, jti)).toEqual({ denied: true, issuedBefore: now });
      expect(await store.jwtRevocation(u, randomUUID())).toEqual({ denied: false, issuedBefore: now });
    });

    it("keeps a JWT cut-off as long as the longest keepUntil asked for", async () => {
      const u = user();
      const now = Date.now();
      await store.revokeJwtsIssuedBefore(u, now, now + 60_000);
      await store.revokeJwtsIssuedBefore(u, now + 1, now + ttlMs);
      await sleep(ttlMs * 2 + 20);
      expect((await store.jwtRevocation(u, randomUUID())).issuedBefore).toBe(now + 1);
    });

    it("refuses another user's session with an id or token hash that is still live, and allows it once that one ended", async () => {
      const first = sampleSession(user());
      const second = user();
      await store.createSession(first);
      await expect(store.createSession(sampleSession(second, { id: first.id }))).rejects.toThrow();
      await expect(store.createSession(sampleSession(second, { tokenHash: first.tokenHash }))).rejects.toThrow();
      expect(await store.getSession(first.id)).toEqual(first);
      expect(await store.findSessionByTokenHash(first.tokenHash)).toEqual(first);
      expect(await store.listSessions(second)).toEqual([]);

      expect(await store.revokeSession(first.id)).toBe(true);
      const reused = sampleSession(second, { id: first.id, tokenHash: first.tokenHash });
      await store.createSession(reused);
      expect(await store.getSession(first.id)).toEqual(reused);
      expect(await store.findSessionByTokenHash(first.tokenHash)).toEqual(reused);
      expect(await store.listSessions(first.userId)).toEqual([]);
      expect(await store.revokeSession(first.id)).toBe(true);
      expect(await store.getSession(first.id)).toBeUndefined();
    });

    it.skipIf(options.sharedBackend !== true)("shows every change made through one instance to another at once", async () => {
      const other = await options.createStore();
      if (!opened.includes(other)) opened.push(other);
      const u = user();
      const session = sampleSession(u);
      await store.createSession(session);
      // Warm whatever the other instance caches, then end the session through the first one.
      expect(await other.findSessionByTokenHash(session.tokenHash)).toEqual(session);
      expect(await other.getSession(session.id)).toEqual(session);
      expect(await store.revokeSession(session.id)).toBe(true);
      expect(await other.findSessionByTokenHash(session.tokenHash)).toBeUndefined();
      expect(await other.getSession(session.id)).toBeUndefined();
      expect(await other.revokeSession(session.id)).toBe(false);

      const again = [sampleSession(u), sampleSession(u)];
      for (const s of again) await other.createSession(s);
      for (const s of again) expect(await store.findSessionByTokenHash(s.tokenHash)).toEqual(s);
      expect(await store.revokeUserSessions(u)).toBe(2);
      for (const s of again) expect(await other.findSessionByTokenHash(s.tokenHash)).toBeUndefined();

      // An id reused by another user after its session ended: the other instance, which knew the old owner, finds the new one.
      const reused = sampleSession(user(), { id: session.id, tokenHash: session.tokenHash });
      await store.createSession(reused);
      expect(await other.getSession(session.id)).toEqual(reused);
      expect(await other.findSessionByTokenHash(session.tokenHash)).toEqual(reused);
      expect(await other.revokeSession(session.id)).toBe(true);
      expect(await store.getSession(session.id)).toBeUndefined();

      const key = `claim-${randomUUID()}`;
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? store : other).claim(key, 60_000)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it("refuses a second session with the same id or token hash", async () => {
      const session = sampleSession(user());
      await store.createSession(session);
      await expect(store.createSession({ ...session, tokenHash: hashSecret(generateToken()) })).rejects.toThrow();
      await expect(store.createSession({ ...session, id: randomUUID() })).rejects.toThrow();
      expect(await store.listSessions(session.userId)).toEqual([session]);
    });

    describeRevocationFeedConformance({
      store: () => store,
      otherInstance: options.sharedBackend === true
        ? async () => {
            const other = await options.createStore();
            if (!opened.includes(other)) opened.push(other);
            return other;
          }
        : undefined,
      sample: sampleSession,
    });
  });
}
