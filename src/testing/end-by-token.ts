import { expect, it } from "vitest";
import type { EndedUserSessions, EndSessionByTokenOptions, EndUserSessionsByTokenOptions, MarkerStore, SessionRecord, SessionStore } from "../types.js";
import { newUser, sampleSession, type StoreInstance } from "./instance.js";

type EndByTokenStore = SessionStore & Partial<Pick<MarkerStore, "claim" | "isClaimed">> & {
  endSessionByTokenHash(tokenHash: string, options?: EndSessionByTokenOptions): Promise<SessionRecord | undefined>;
  endUserSessionsByTokenHash(tokenHash: string, options?: EndUserSessionsByTokenOptions): Promise<EndedUserSessions | undefined>;
};

/**
 * `endSessionByTokenHash` and `endUserSessionsByTokenHash`, for stores that implement them (the logouts of the
 * caller's own session, of "all" and of "others" in one call each).
 */
export function endByTokenStoreTests(instance: StoreInstance<EndByTokenStore>): void {
  const store = instance.store;
  const user = newUser;

  it("ends the session of a token hash and answers it as it was; a second call finds nothing", async () => {
    const u = user();
    const session = sampleSession(u);
    const other = sampleSession(u);
    await store().createSession(session);
    await store().createSession(other);
    expect(await store().endSessionByTokenHash(session.tokenHash)).toEqual(session);
    expect(await store().getSession(session.id)).toBeUndefined();
    expect(await store().findSessionByTokenHash(session.tokenHash)).toBeUndefined();
    expect(await store().listSessions(u)).toEqual([other]);
    expect(await store().endSessionByTokenHash(session.tokenHash) ?? undefined).toBeUndefined();
    expect(await store().revokeSession(session.id)).toBe(false);
  });

  it("answers nothing for an unknown token hash, and changes nothing", async () => {
    const u = user();
    const session = sampleSession(u);
    await store().createSession(session);
    expect(await store().endSessionByTokenHash(sampleSession(u).tokenHash) ?? undefined).toBeUndefined();
    expect(await store().listSessions(u)).toEqual([session]);
  });

  it("lets exactly one of many concurrent calls end a session", async () => {
    const session = sampleSession(user());
    await store().createSession(session);
    const answers = await Promise.all(Array.from({ length: 8 }, () => store().endSessionByTokenHash(session.tokenHash)));
    // A store may answer null for "none", as SQL drivers do.
    expect(answers.filter((a) => (a as SessionRecord | null | undefined) != null)).toEqual([session]);
  });

  it("claims the marker it is given with the ending, for as long as the session would have lived, once (with markers)", async (context) => {
    const s = store();
    if (typeof s.claim !== "function" || typeof s.isClaimed !== "function") {
      context.skip();
      return;
    }
    const session = { ...sampleSession(user()), expiresAt: Date.now() + 60_000 };
    await s.createSession(session);
    // The least life is far shorter than the session's: the marker must outlive it, up to the session's end.
    const marker = { key: `conformance:revoked:${session.tokenHash}`, ttlMs: 1 };
    expect(await s.isClaimed(marker.key)).toBe(false);
    expect(await s.endSessionByTokenHash(session.tokenHash, { marker })).toEqual(session);
    expect(await s.findSessionByTokenHash(session.tokenHash)).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 25));
    expect(await s.isClaimed(marker.key)).toBe(true);
    // It is a one-time marker like any `claim`: nobody else wins it afterwards.
    expect(await s.claim(marker.key, 60_000)).toBe(false);
  });

  it("ends nothing with a marker when no live session has the token (with markers)", async (context) => {
    const s = store();
    if (typeof s.claim !== "function" || typeof s.isClaimed !== "function") {
      context.skip();
      return;
    }
    const u = user();
    const session = sampleSession(u);
    await s.createSession(session);
    const unknown = sampleSession(u).tokenHash;
    expect(await s.endSessionByTokenHash(unknown, { marker: { key: `conformance:revoked:${unknown}`, ttlMs: 60_000 } }) ?? undefined).toBeUndefined();
    expect(await s.listSessions(u)).toEqual([session]);
  });

  it("ends every session of the token's user, the token's own too, and answers it with the count; other users keep theirs", async () => {
    const u = user();
    const caller = sampleSession(u);
    const second = sampleSession(u);
    const third = sampleSession(u);
    const bystander = sampleSession(user());
    for (const s of [caller, second, third, bystander]) await store().createSession(s);
    expect(await store().endUserSessionsByTokenHash(caller.tokenHash)).toEqual({ session: caller, ended: 3 });
    expect(await store().listSessions(u)).toEqual([]);
    expect(await store().findSessionByTokenHash(caller.tokenHash)).toBeUndefined();
    expect(await store().getSession(bystander.id)).toEqual(bystander);
    expect(await store().endUserSessionsByTokenHash(caller.tokenHash) ?? undefined).toBeUndefined();
  });

  it("keeps the token's own session with keepCaller, ending only the others", async () => {
    const u = user();
    const caller = sampleSession(u);
    const other = sampleSession(u);
    await store().createSession(caller);
    await store().createSession(other);
    expect(await store().endUserSessionsByTokenHash(caller.tokenHash, { keepCaller: true })).toEqual({ session: caller, ended: 1 });
    expect(await store().listSessions(u)).toEqual([caller]);
    expect(await store().endUserSessionsByTokenHash(caller.tokenHash, { keepCaller: true })).toEqual({ session: caller, ended: 0 });
  });

  it("ends nothing for an unknown or expired token, whatever the user holds", async () => {
    const u = user();
    const live = sampleSession(u);
    const expired = { ...sampleSession(u), expiresAt: Date.now() - 1 };
    await store().createSession(live);
    await store().createSession(expired);
    expect(await store().endUserSessionsByTokenHash(sampleSession(u).tokenHash) ?? undefined).toBeUndefined();
    expect(await store().endUserSessionsByTokenHash(expired.tokenHash) ?? undefined).toBeUndefined();
    expect(await store().listSessions(u)).toEqual([live]);
  });

  if (instance.sharedBackend) {
    it("ends a session another instance created, seen by that instance at once", async () => {
      const session = sampleSession(user());
      await store().createSession(session);
      expect(await (await instance.another()).endSessionByTokenHash(session.tokenHash)).toEqual(session);
      expect(await store().findSessionByTokenHash(session.tokenHash)).toBeUndefined();
    });

    it("ends every session of a user from another instance, seen by the first at once", async () => {
      const u = user();
      const caller = sampleSession(u);
      const other = sampleSession(u);
      await store().createSession(caller);
      await store().createSession(other);
      expect(await (await instance.another()).endUserSessionsByTokenHash(caller.tokenHash)).toEqual({ session: caller, ended: 2 });
      expect(await store().listSessions(u)).toEqual([]);
    });
  }
}
