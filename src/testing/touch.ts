import { randomUUID } from "node:crypto";
import { expect, it } from "vitest";
import type { EpochMs, SessionRecord, SessionStore } from "../types.js";
import { newUser, sampleSession, type StoreInstance } from "./instance.js";

type TouchStore = SessionStore & { touchSession(id: string, at: EpochMs): Promise<void> };

/** `touchSession`, for stores that implement it (`requireSession({ touchEveryMs })` needs it). */
export function touchStoreTests(instance: StoreInstance<TouchStore>): void {
  const store = instance.store;
  const user = newUser;

  it("records lastSeenAt with touchSession and ignores unknown ids", async () => {
    const session = sampleSession(user());
    await store().createSession(session);
    const at = Date.now() + 5;
    await store().touchSession(session.id, at);
    expect((await store().getSession(session.id))?.lastSeenAt).toBe(at);
    await expect(store().touchSession(randomUUID(), at)).resolves.toBeUndefined();
  });

  it("never brings back a session when a touch races its revoke", async () => {
    const u = user();
    const created = Array.from({ length: 10 }, () => sampleSession(u));
    for (const s of created) await store().createSession(s);
    await Promise.all(created.flatMap((s) => [store().touchSession(s.id, Date.now()), store().revokeSession(s.id), store().touchSession(s.id, Date.now())]));
    for (const s of created) {
      expect(await store().getSession(s.id)).toBeUndefined();
      expect(await store().findSessionByTokenHash(s.tokenHash)).toBeUndefined();
    }
    expect(await store().listSessions(u)).toEqual([]);
  });
}

export type { SessionRecord };
