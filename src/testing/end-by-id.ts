import { expect, it } from "vitest";
import type { EndSessionByIdOptions, MarkerStore, SessionRecord, SessionStore } from "../types.js";
import { newUser, sampleSession, type StoreInstance } from "./instance.js";

type EndByIdStore = SessionStore & Partial<MarkerStore> & {
  endSessionById(id: string, options?: EndSessionByIdOptions): Promise<SessionRecord | undefined>;
};

/** A store may answer null for "none", as SQL drivers do. */
const none = (answer: SessionRecord | null | undefined) => answer ?? undefined;

/**
 * `endSessionById`, for stores that implement it: the read and the revoke of a session named by id in one call,
 * only the given user's when asked, with a one-time marker claimed alongside when the store has markers.
 */
export function endByIdStoreTests(instance: StoreInstance<EndByIdStore>): void {
  const store = instance.store;
  const user = newUser;

  it("ends the session of an id and answers it as it was; a second call finds nothing", async () => {
    const u = user();
    const session = sampleSession(u);
    const other = sampleSession(u);
    await store().createSession(session);
    await store().createSession(other);
    expect(await store().endSessionById(session.id)).toEqual(session);
    expect(await store().getSession(session.id)).toBeUndefined();
    expect(await store().findSessionByTokenHash(session.tokenHash)).toBeUndefined();
    expect(await store().listSessions(u)).toEqual([other]);
    expect(none(await store().endSessionById(session.id))).toBeUndefined();
    expect(await store().revokeSession(session.id)).toBe(false);
  });

  it("answers nothing for an unknown id, and changes nothing", async () => {
    const u = user();
    const session = sampleSession(u);
    await store().createSession(session);
    expect(none(await store().endSessionById(sampleSession(u).id))).toBeUndefined();
    expect(await store().listSessions(u)).toEqual([session]);
  });

  it("ends a session of the user it is told, and leaves another user's as it was, answering nothing", async () => {
    const owner = user();
    const session = sampleSession(owner);
    await store().createSession(session);
    expect(none(await store().endSessionById(session.id, { userId: user() }))).toBeUndefined();
    expect(await store().getSession(session.id)).toEqual(session);
    expect(await store().findSessionByTokenHash(session.tokenHash)).toEqual(session);
    expect(await store().listSessions(owner)).toEqual([session]);
    expect(await store().endSessionById(session.id, { userId: owner })).toEqual(session);
    expect(await store().listSessions(owner)).toEqual([]);
  });

  it("lets exactly one of many concurrent calls end a session", async () => {
    const session = sampleSession(user());
    await store().createSession(session);
    const answers = await Promise.all(Array.from({ length: 8 }, () => store().endSessionById(session.id, { userId: session.userId })));
    expect(answers.filter((a) => none(a) !== undefined)).toEqual([session]);
  });

  it("claims the marker it is given with the ending, once (with markers)", async (context) => {
    const s = store();
    if (typeof s.claim !== "function" || typeof s.isClaimed !== "function") {
      context.skip();
      return;
    }
    const session = sampleSession(user());
    await s.createSession(session);
    const marker = { key: `conformance:ended:${session.tokenHash}`, ttlMs: 60_000 };
    expect(await s.isClaimed(marker.key)).toBe(false);
    expect(await s.endSessionById(session.id, { userId: session.userId, marker })).toEqual(session);
    expect(await s.getSession(session.id)).toBeUndefined();
    expect(await s.isClaimed(marker.key)).toBe(true);
    // It is a one-time marker like any `claim`: nobody else wins it afterwards.
    expect(await s.claim(marker.key, 60_000)).toBe(false);
  });

  if (instance.sharedBackend) {
    it("ends a session another instance created, seen by that instance at once", async () => {
      const session = sampleSession(user());
      await store().createSession(session);
      expect(await (await instance.another()).endSessionById(session.id)).toEqual(session);
      expect(await store().getSession(session.id)).toBeUndefined();
      expect(await store().findSessionByTokenHash(session.tokenHash)).toBeUndefined();
    });
  }
}
