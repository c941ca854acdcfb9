import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { isSessionDirectory, type SessionDirectory } from "../store/session-directory.js";
import type { SessionRecord, SessionStore } from "../types.js";

type Sample = (userId: string, overrides?: Partial<SessionRecord>) => SessionRecord;

/**
 * Walks `listAllSessions` from the start until `wanted` ids were all seen, the pages ran out, or the walk went
 * past `floor` (newest first: nothing after it can be one of them).
 */
async function walk(store: SessionDirectory, limit: number, wanted: ReadonlySet<string>, floor: number, onPage?: (page: SessionRecord[]) => Promise<void>): Promise<{ seen: SessionRecord[]; pages: number }> {
  const seen: SessionRecord[] = [];
  let cursor: string | undefined;
  let pages = 0;
  let found = 0;
  let passed = false;
  do {
    const page = await store.listAllSessions(cursor === undefined ? { limit } : { cursor, limit });
    pages += 1;
    expect(page.sessions.length).toBeLessThanOrEqual(limit);
    for (const s of page.sessions) {
      if (wanted.has(s.id)) {
        seen.push(s);
        found += 1;
      }
    }
    await onPage?.(page.sessions);
    cursor = page.cursor;
    const last = page.sessions[page.sessions.length - 1];
    passed = last !== undefined && last.createdAt < floor;
  } while (cursor !== undefined && found < wanted.size && !passed && pages < 10_000);
  return { seen, pages };
}

/**
 * The `SessionDirectory` part of the conformance kit (the administrator's side): run by
 * `describeSessionStoreConformance` for a store that has it; each test skips, saying so, for one that has not.
 * Sessions here are dated in the future so they come first in the newest-first order even on a shared backend.
 */
export function describeSessionDirectoryConformance(current: () => SessionStore, sample: Sample): void {
  const user = () => `user-${randomUUID()}`;
  /** A creation time above anything real, distinct per test, so this test's sessions lead the order. */
  const future = () => Date.now() + 10 * 365 * 24 * 3600 * 1000 + Math.floor(Math.random() * 1e9);

  function directory(skip: (note: string) => void): SessionStore & SessionDirectory {
    const store = current();
    if (!isSessionDirectory(store)) skip("the store does not implement SessionDirectory");
    return store as SessionStore & SessionDirectory;
  }

  describe("SessionDirectory (listAllSessions, countAllSessions, extendSession)", () => {
    it("pages through every live session once, newest first, each page at most `limit`", async (ctx) => {
      const store = directory((note) => ctx.skip(note));
      const base = future();
      const created = Array.from({ length: 7 }, (_, i) => sample(user(), { createdAt: base + i * 10, expiresAt: Date.now() + 60_000 }));
      for (const s of [...created].reverse()) await store.createSession(s);
      const { seen } = await walk(store, 3, new Set(created.map((s) => s.id)), base);
      expect(seen.map((s) => s.id)).toEqual([...created].reverse().map((s) => s.id));
      expect(seen[0]).toEqual(created[created.length - 1]);
    });

    it("orders sessions created in the same millisecond the same way on every walk, each once", async (ctx) => {
      const store = directory((note) => ctx.skip(note));
      const at = future();
      const created = Array.from({ length: 6 }, () => sample(user(), { createdAt: at }));
      for (const s of created) await store.createSession(s);
      const wanted = new Set(created.map((s) => s.id));
      const first = await walk(store, 2, wanted, at);
      const second = await walk(store, 4, wanted, at);
      expect(new Set(first.seen.map((s) => s.id))).toEqual(wanted);
      expect(first.seen).toHaveLength(created.length);
      expect(second.seen.map((s) => s.id)).toEqual(first.seen.map((s) => s.id));
    });

    it("leaves out ended sessions, and a session ended under the cursor does not stop the walk", async (ctx) => {
      const store = directory((note) => ctx.skip(note));
      const base = future();
      const u = user();
      const created = Array.from({ length: 6 }, (_, i) => sample(i < 2 ? u : user(), { createdAt: base - i * 10 }));
      for (const s of created) await store.createSession(s);
      await store.revokeUserSessions(u);
      const wanted = new Set(created.map((s) => s.id));
      // End the last session of every page before asking for the next one.
      const floor = base - 50;
      const { seen } = await walk(store, 1, wanted, floor, async (page) => {
        const last = page[page.length - 1];
        if (last !== undefined && wanted.has(last.id) && last.id === created[3]?.id) await store.revokeSession(last.id);
      });
      expect(seen.map((s) => s.id)).toEqual(created.slice(2).map((s) => s.id));
      const again = await walk(store, 10, wanted, floor);
      expect(again.seen.map((s) => s.id)).toEqual([created[2]?.id, created[4]?.id, created[5]?.id]);
    });

    it("answers no cursor on the last page and refuses a cursor it did not make", async (ctx) => {
      const store = directory((note) => ctx.skip(note));
      const everything = await store.countAllSessions();
      const page = await store.listAllSessions({ limit: 1000 });
      if (everything < 1000) expect(page.cursor).toBeUndefined();
      await expect(store.listAllSessions({ cursor: "not-a-cursor!", limit: 5 })).rejects.toThrow();
      await expect(store.listAllSessions({ limit: 0 })).rejects.toThrow();
      await expect(store.listAllSessions({ limit: 1001 })).rejects.toThrow();
    });

    it("counts live sessions: up by each login, down by each logout", async (ctx) => {
      const store = directory((note) => ctx.skip(note));
      const u = user();
      const before = await store.countAllSessions();
      const created = [sample(u), sample(u), sample(user())];
      for (const s of created) await store.createSession(s);
      expect(await store.countAllSessions()).toBe(before + 3);
      await store.revokeUserSessions(u);
      await store.revokeSession(created[2]?.id ?? "");
      expect(await store.countAllSessions()).toBe(before);
    });

    it("extends a live session by every index, and never brings back an ended or unknown one", async (ctx) => {
      const store = directory((note) => ctx.skip(note));
      const session = sample(user(), { expiresAt: Date.now() + 400 });
      await store.createSession(session);
      const later = Date.now() + 60_000;
      const extended = await store.extendSession(session.id, later);
      expect(extended).toEqual({ ...session, expiresAt: later });
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(await store.getSession(session.id)).toEqual({ ...session, expiresAt: later });
      expect(await store.findSessionByTokenHash(session.tokenHash)).toEqual({ ...session, expiresAt: later });
      expect(await store.listSessions(session.userId)).toEqual([{ ...session, expiresAt: later }]);
      expect(await store.revokeSession(session.id)).toBe(true);
      expect(await store.extendSession(session.id, later)).toBeUndefined();
      expect(await store.getSession(session.id)).toBeUndefined();
      expect(await store.extendSession(randomUUID(), later)).toBeUndefined();
    });
  });
}
