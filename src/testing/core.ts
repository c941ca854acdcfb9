import { randomUUID } from "node:crypto";
import { expect, it } from "vitest";
import { generateToken, hashSecret } from "../secrets.js";
import type { SessionStore } from "../types.js";
import { newUser, sampleSession, sleep, type StoreInstance } from "./instance.js";

/**
 * The core `SessionStore` contract, registered in the current vitest `describe`: lookups of unknown ids,
 * create/get/list field for field, token lookup, revoke one (idempotent), revoke all, all but one and an API
 * key's, TTL expiry by every index, uniqueness of ids and token hashes, and the races (revoke against revoke,
 * revoke-all against logins). With `sharedBackend`, also that a change through one instance is seen by another.
 */
export function coreStoreTests(instance: StoreInstance<SessionStore>): void {
  const store = instance.store;
  const user = newUser;

  it("answers undefined, [] and false for ids, hashes and users it never saw", async () => {
    expect(await store().getSession(randomUUID())).toBeUndefined();
    expect(await store().findSessionByTokenHash(hashSecret(generateToken()))).toBeUndefined();
    expect(await store().listSessions(user())).toEqual([]);
    expect(await store().revokeSession(randomUUID())).toBe(false);
    expect(await store().revokeUserSessions(user())).toBe(0);
  });

  it("returns a created session by id, by token hash and in its user's list, field for field", async () => {
    const session = sampleSession(user(), { authenticationSource: "login", apiKeyId: "k1", tenant: "t1", ip: "10.0.0.1", userAgent: "UA/1", lastSeenAt: Date.now() });
    await store().createSession(session);
    expect(await store().getSession(session.id)).toEqual(session);
    expect(await store().findSessionByTokenHash(session.tokenHash)).toEqual(session);
    expect(await store().listSessions(session.userId)).toEqual([session]);
  });

  it("lists a user's sessions oldest first and never another user's", async () => {
    const u = user();
    const now = Date.now();
    const b = sampleSession(u, { createdAt: now - 1000 });
    const a = sampleSession(u, { createdAt: now - 2000 });
    const other = sampleSession(user());
    await store().createSession(b);
    await store().createSession(a);
    await store().createSession(other);
    expect((await store().listSessions(u)).map((s) => s.id)).toEqual([a.id, b.id]);
  });

  it("ends one session: gone by id, by hash and from the list; the second revoke answers false", async () => {
    const u = user();
    const session = sampleSession(u);
    const kept = sampleSession(u);
    await store().createSession(session);
    await store().createSession(kept);
    expect(await store().revokeSession(session.id)).toBe(true);
    expect(await store().getSession(session.id)).toBeUndefined();
    expect(await store().findSessionByTokenHash(session.tokenHash)).toBeUndefined();
    expect((await store().listSessions(u)).map((s) => s.id)).toEqual([kept.id]);
    expect(await store().revokeSession(session.id)).toBe(false);
    expect(await store().getSession(kept.id)).toEqual(kept);
  });

  it("ends all of a user's sessions and answers how many, leaving other users alone", async () => {
    const u = user();
    const mine = [sampleSession(u), sampleSession(u), sampleSession(u)];
    const theirs = sampleSession(user());
    for (const s of [...mine, theirs]) await store().createSession(s);
    expect(await store().revokeUserSessions(u)).toBe(3);
    expect(await store().listSessions(u)).toEqual([]);
    for (const s of mine) expect(await store().findSessionByTokenHash(s.tokenHash)).toBeUndefined();
    expect(await store().getSession(theirs.id)).toEqual(theirs);
    expect(await store().revokeUserSessions(u)).toBe(0);
  });

  it("ends all but one session with exceptSessionId", async () => {
    const u = user();
    const current = sampleSession(u);
    const others = [sampleSession(u), sampleSession(u)];
    for (const s of [current, ...others]) await store().createSession(s);
    expect(await store().revokeUserSessions(u, { exceptSessionId: current.id })).toBe(2);
    expect((await store().listSessions(u)).map((s) => s.id)).toEqual([current.id]);
  });

  it("ends only an API key's sessions with apiKeyId", async () => {
    const u = user();
    const fromKey = [sampleSession(u, { apiKeyId: "key-a" }), sampleSession(u, { apiKeyId: "key-a" })];
    const otherKey = sampleSession(u, { apiKeyId: "key-b" });
    const login = sampleSession(u);
    for (const s of [...fromKey, otherKey, login]) await store().createSession(s);
    expect(await store().revokeUserSessions(u, { apiKeyId: "key-a" })).toBe(2);
    expect((await store().listSessions(u)).map((s) => s.id).sort()).toEqual([otherKey.id, login.id].sort());
  });

  it("never returns a session past its expiresAt, by any index", async () => {
    const u = user();
    const session = sampleSession(u, { expiresAt: Date.now() + instance.ttlMs });
    await store().createSession(session);
    expect(await store().getSession(session.id)).toEqual(session);
    await sleep(instance.ttlMs * 2 + 20);
    expect(await store().getSession(session.id)).toBeUndefined();
    expect(await store().findSessionByTokenHash(session.tokenHash)).toBeUndefined();
    expect(await store().listSessions(u)).toEqual([]);
    expect(await store().revokeSession(session.id)).toBe(false);
    expect(await store().revokeUserSessions(u)).toBe(0);
  });

  it("answers concurrent revokes of one session with exactly one true", async () => {
    const session = sampleSession(user());
    await store().createSession(session);
    const results = await Promise.all(Array.from({ length: 10 }, () => store().revokeSession(session.id)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it("leaves no session behind when revoke-all races creates for the same user", async () => {
    const u = user();
    const created = Array.from({ length: 20 }, () => sampleSession(u));
    let revoked = 0;
    await Promise.all([
      ...created.map((s) => store().createSession(s)),
      ...Array.from({ length: 5 }, async () => {
        const n = await store().revokeUserSessions(u);
        revoked += n;
      }),
    ]);
    const rest = await store().revokeUserSessions(u);
    revoked += rest;
    expect(revoked).toBe(created.length);
    expect(await store().listSessions(u)).toEqual([]);
    for (const s of created) expect(await store().findSessionByTokenHash(s.tokenHash)).toBeUndefined();
  });

  it("keeps apart users and sessions whose ids differ only in characters a key layout must escape", async () => {
    const odd = ["a:b", "a%3ab", "a%3Ab", "{a}", "a}", "{a", "a", "", "%", "a b", "ü", "\u{1F600}", "a\\b", "a*b?[c]"];
    const suffix = randomUUID();
    const sessions = odd.map((name) => sampleSession(`${name}${name === "" ? "" : suffix}`, { id: `${name}:${randomUUID()}` }));
    // The empty user id is shared between runs of a suite: end what an earlier run may have left.
    await store().revokeUserSessions("");
    for (const s of sessions) await store().createSession(s);
    for (const s of sessions) {
      expect(await store().listSessions(s.userId)).toEqual([s]);
      expect(await store().getSession(s.id)).toEqual(s);
      expect(await store().findSessionByTokenHash(s.tokenHash)).toEqual(s);
    }
    const [first, ...rest] = sessions;
    expect(await store().revokeUserSessions(first?.userId ?? "")).toBe(1);
    for (const s of rest) expect(await store().getSession(s.id)).toEqual(s);
    for (const s of rest) expect(await store().revokeSession(s.id)).toBe(true);
  });

  it("stores every one of many concurrent logins of one user", async () => {
    const u = user();
    const created = Array.from({ length: 20 }, (_, i) => sampleSession(u, { createdAt: Date.now() - 1000 + i }));
    await Promise.all(created.map((s) => store().createSession(s)));
    expect((await store().listSessions(u)).map((s) => s.id)).toEqual(created.map((s) => s.id));
    for (const s of created) expect((await store().findSessionByTokenHash(s.tokenHash))?.id).toBe(s.id);
  });

  it("never stores a session whose expiresAt has already passed", async () => {
    const u = user();
    const stale = sampleSession(u, { expiresAt: Date.now() - 1 });
    await store().createSession(stale);
    expect(await store().getSession(stale.id)).toBeUndefined();
    expect(await store().findSessionByTokenHash(stale.tokenHash)).toBeUndefined();
    expect(await store().listSessions(u)).toEqual([]);
  });

  it("expires each session on its own schedule and counts only live ones", async () => {
    const u = user();
    const short = sampleSession(u, { expiresAt: Date.now() + instance.ttlMs });
    const long = sampleSession(u);
    await store().createSession(short);
    await store().createSession(long);
    await sleep(instance.ttlMs * 2 + 20);
    expect((await store().listSessions(u)).map((s) => s.id)).toEqual([long.id]);
    expect(await store().findSessionByTokenHash(long.tokenHash)).toEqual(long);
    expect(await store().revokeUserSessions(u)).toBe(1);
  });

  it("ends all but one session of an API key with exceptSessionId and apiKeyId together", async () => {
    const u = user();
    const current = sampleSession(u, { apiKeyId: "key-a" });
    const sibling = sampleSession(u, { apiKeyId: "key-a" });
    const login = sampleSession(u);
    for (const s of [current, sibling, login]) await store().createSession(s);
    expect(await store().revokeUserSessions(u, { exceptSessionId: current.id, apiKeyId: "key-a" })).toBe(1);
    expect((await store().listSessions(u)).map((s) => s.id).sort()).toEqual([current.id, login.id].sort());
  });

  it("counts each session once when revoke-alls and single revokes race", async () => {
    const u = user();
    const created = Array.from({ length: 12 }, () => sampleSession(u));
    for (const s of created) await store().createSession(s);
    const [singles, alls] = await Promise.all([
      Promise.all(created.map((s) => store().revokeSession(s.id))),
      Promise.all(Array.from({ length: 4 }, () => store().revokeUserSessions(u))),
    ]);
    const ended = singles.filter(Boolean).length + alls.reduce((a, b) => a + b, 0);
    expect(ended).toBe(created.length);
    expect(await store().listSessions(u)).toEqual([]);
  });

  it("refuses another user's session with an id or token hash that is still live, and allows it once that one ended", async () => {
    const first = sampleSession(user());
    const second = user();
    await store().createSession(first);
    await expect(store().createSession(sampleSession(second, { id: first.id }))).rejects.toThrow();
    await expect(store().createSession(sampleSession(second, { tokenHash: first.tokenHash }))).rejects.toThrow();
    expect(await store().getSession(first.id)).toEqual(first);
    expect(await store().findSessionByTokenHash(first.tokenHash)).toEqual(first);
    expect(await store().listSessions(second)).toEqual([]);

    expect(await store().revokeSession(first.id)).toBe(true);
    const reused = sampleSession(second, { id: first.id, tokenHash: first.tokenHash });
    await store().createSession(reused);
    expect(await store().getSession(first.id)).toEqual(reused);
    expect(await store().findSessionByTokenHash(first.tokenHash)).toEqual(reused);
    expect(await store().listSessions(first.userId)).toEqual([]);
    expect(await store().revokeSession(first.id)).toBe(true);
    expect(await store().getSession(first.id)).toBeUndefined();
  });

  it("refuses a second session with the same id or token hash", async () => {
    const session = sampleSession(user());
    await store().createSession(session);
    await expect(store().createSession({ ...session, tokenHash: hashSecret(generateToken()) })).rejects.toThrow();
    await expect(store().createSession({ ...session, id: randomUUID() })).rejects.toThrow();
    expect(await store().listSessions(session.userId)).toEqual([session]);
  });

  it.skipIf(!instance.sharedBackend)("shows every change made through one instance to another at once", async () => {
    const other = await instance.another();
    const u = user();
    const session = sampleSession(u);
    await store().createSession(session);
    // Warm whatever the other instance caches, then end the session through the first one.
    expect(await other.findSessionByTokenHash(session.tokenHash)).toEqual(session);
    expect(await other.getSession(session.id)).toEqual(session);
    expect(await store().revokeSession(session.id)).toBe(true);
    expect(await other.findSessionByTokenHash(session.tokenHash)).toBeUndefined();
    expect(await other.getSession(session.id)).toBeUndefined();
    expect(await other.revokeSession(session.id)).toBe(false);

    const again = [sampleSession(u), sampleSession(u)];
    for (const s of again) await other.createSession(s);
    for (const s of again) expect(await store().findSessionByTokenHash(s.tokenHash)).toEqual(s);
    expect(await store().revokeUserSessions(u)).toBe(2);
    for (const s of again) expect(await other.findSessionByTokenHash(s.tokenHash)).toBeUndefined();

    // An id reused by another user after its session ended: the other instance, which knew the old owner, finds the new one.
    const reused = sampleSession(user(), { id: session.id, tokenHash: session.tokenHash });
    await store().createSession(reused);
    expect(await other.getSession(session.id)).toEqual(reused);
    expect(await other.findSessionByTokenHash(session.tokenHash)).toEqual(reused);
    expect(await other.revokeSession(session.id)).toBe(true);
    expect(await store().getSession(session.id)).toBeUndefined();
  });
}
