import { expect, it } from "vitest";
import type { SessionRecord, SessionStore } from "../types.js";
import { newUser, sampleSession, type StoreInstance } from "./instance.js";

type EndByTokenStore = SessionStore & { endSessionByTokenHash(tokenHash: string): Promise<SessionRecord | undefined> };

/** `endSessionByTokenHash`, for stores that implement it (a logout of the caller's own session in one call). */
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

  if (instance.sharedBackend) {
    it("ends a session another instance created, seen by that instance at once", async () => {
      const session = sampleSession(user());
      await store().createSession(session);
      expect(await (await instance.another()).endSessionByTokenHash(session.tokenHash)).toEqual(session);
      expect(await store().findSessionByTokenHash(session.tokenHash)).toBeUndefined();
    });
  }
}
