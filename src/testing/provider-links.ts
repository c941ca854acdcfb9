import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { ProviderSessionLink, ProviderSessionLinks, SessionRecord, SessionStore } from "../types.js";
import { sampleSession, sleep, type StoreInstance } from "./instance.js";

function linkOf(session: SessionRecord, issuer: string, subject: string, sid?: string): ProviderSessionLink {
  return { issuer, subject, ...(sid === undefined ? {} : { sid }), sessionId: session.id, userId: session.userId, expiresAt: session.expiresAt };
}

const bySession = (a: ProviderSessionLink, b: ProviderSessionLink) => (a.sessionId < b.sessionId ? -1 : a.sessionId > b.sessionId ? 1 : 0);

/**
 * The `ProviderSessionLinks` capability (back-channel logout): links found by `(iss, sid)` and by `(iss, sub)`,
 * field for field, never another issuer's or provider session's, never an ended or expired session's.
 */
export function providerLinkStoreTests(instance: StoreInstance<SessionStore & ProviderSessionLinks>): void {
  const store = instance.store;
  const options = { sample: sampleSession, ttlMs: instance.ttlMs };
  const issuer = () => `https://op-${randomUUID()}.example`;

  describe("ProviderSessionLinks (OpenID Connect back-channel logout)", () => {
    it("finds a linked session by (iss, sid) and by (iss, sub), field for field", async () => {
      const s = store();
      const iss = issuer();
      const session = options.sample(`user-${randomUUID()}`);
      await s.createSession(session);
      const link = linkOf(session, iss, "alice", "sid-1");
      await s.linkProviderSession(link);
      expect(await s.findSessionsByProviderSid(iss, "sid-1")).toEqual([link]);
      expect(await s.findSessionsByProviderSubject(iss, "alice")).toEqual([link]);
    });

    it("keeps provider sessions, subjects and issuers apart", async () => {
      const s = store();
      const iss = issuer();
      const u = `user-${randomUUID()}`;
      const first = options.sample(u);
      const second = options.sample(u);
      const elsewhere = options.sample(u);
      for (const session of [first, second, elsewhere]) await s.createSession(session);
      const a = linkOf(first, iss, "alice", "sid-a");
      const b = linkOf(second, iss, "alice", "sid-b");
      const c = linkOf(elsewhere, `${iss}/other`, "alice", "sid-a");
      for (const link of [a, b, c]) await s.linkProviderSession(link);
      expect(await s.findSessionsByProviderSid(iss, "sid-a")).toEqual([a]);
      expect(await s.findSessionsByProviderSid(iss, "sid-b")).toEqual([b]);
      expect((await s.findSessionsByProviderSubject(iss, "alice")).sort(bySession)).toEqual([a, b].sort(bySession));
      expect(await s.findSessionsByProviderSubject(iss, "bob")).toEqual([]);
      expect(await s.findSessionsByProviderSid(iss, "sid-c")).toEqual([]);
      expect(await s.findSessionsByProviderSubject(`${iss}/other`, "alice")).toEqual([c]);
    });

    it("keeps apart pairs that differ only in where the separator falls", async () => {
      const s = store();
      const iss = issuer();
      const one = options.sample(`user-${randomUUID()}`);
      const two = options.sample(`user-${randomUUID()}`);
      await s.createSession(one);
      await s.createSession(two);
      const a = linkOf(one, `${iss}:a`, "b", "x}{:%");
      const b = linkOf(two, iss, "a:b", "x}{:%");
      await s.linkProviderSession(a);
      await s.linkProviderSession(b);
      expect(await s.findSessionsByProviderSubject(`${iss}:a`, "b")).toEqual([a]);
      expect(await s.findSessionsByProviderSubject(iss, "a:b")).toEqual([b]);
      expect(await s.findSessionsByProviderSid(iss, "x}{:%")).toEqual([b]);
    });

    it("links a session without a sid by its subject only", async () => {
      const s = store();
      const iss = issuer();
      const session = options.sample(`user-${randomUUID()}`);
      await s.createSession(session);
      const link = linkOf(session, iss, "carol");
      await s.linkProviderSession(link);
      expect(await s.findSessionsByProviderSubject(iss, "carol")).toEqual([link]);
    });

    it("never answers the link of a session that ended, by revoke or by revoke-all", async () => {
      const s = store();
      const iss = issuer();
      const u = `user-${randomUUID()}`;
      const ended = options.sample(u);
      const endedWithAll = options.sample(u);
      for (const session of [ended, endedWithAll]) await s.createSession(session);
      await s.linkProviderSession(linkOf(ended, iss, "dave", "sid-1"));
      await s.linkProviderSession(linkOf(endedWithAll, iss, "dave", "sid-2"));
      expect(await s.revokeSession(ended.id)).toBe(true);
      expect(await s.findSessionsByProviderSid(iss, "sid-1")).toEqual([]);
      expect((await s.findSessionsByProviderSubject(iss, "dave")).map((l) => l.sessionId)).toEqual([endedWithAll.id]);
      expect(await s.revokeUserSessions(u)).toBe(1);
      expect(await s.findSessionsByProviderSubject(iss, "dave")).toEqual([]);
      expect(await s.findSessionsByProviderSid(iss, "sid-2")).toEqual([]);
    });

    it("forgets a link when its session expires", async () => {
      const s = store();
      const iss = issuer();
      const session = options.sample(`user-${randomUUID()}`, { expiresAt: Date.now() + options.ttlMs });
      await s.createSession(session);
      await s.linkProviderSession(linkOf(session, iss, "erin", "sid-1"));
      expect(await s.findSessionsByProviderSid(iss, "sid-1")).toHaveLength(1);
      await sleep(options.ttlMs * 2 + 20);
      expect(await s.findSessionsByProviderSid(iss, "sid-1")).toEqual([]);
      expect(await s.findSessionsByProviderSubject(iss, "erin")).toEqual([]);
    });

    it("answers one link when the same session is linked twice to the same provider session", async () => {
      const s = store();
      const iss = issuer();
      const session = options.sample(`user-${randomUUID()}`);
      await s.createSession(session);
      const link = linkOf(session, iss, "frank", "sid-1");
      await s.linkProviderSession(link);
      await s.linkProviderSession(link);
      expect(await s.findSessionsByProviderSid(iss, "sid-1")).toEqual([link]);
      expect(await s.findSessionsByProviderSubject(iss, "frank")).toEqual([link]);
    });

    it.skipIf(!instance.sharedBackend)("finds through one instance the links made through another", async () => {
      const s = store();
      const other = await instance.another();
      const iss = issuer();
      const session = options.sample(`user-${randomUUID()}`);
      await s.createSession(session);
      const link = linkOf(session, iss, "grace", "sid-1");
      await s.linkProviderSession(link);
      expect(await other.findSessionsByProviderSid(iss, "sid-1")).toEqual([link]);
      expect(await other.revokeSession(session.id)).toBe(true);
      expect(await s.findSessionsByProviderSubject(iss, "grace")).toEqual([]);
    });
  });
}
