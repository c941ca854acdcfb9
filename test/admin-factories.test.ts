import request from "supertest";
import { beforeEach, describe, expect, it } from "vitest";
import {
  LogoutEvents,
  RedisSessionStore,
  adminEndSession,
  adminEndUserSessions,
  adminExtendSession,
  adminGetSession,
  adminListSessions,
  adminListUserSessions,
  hashSecret,
  issueSession,
  type LogoutEventMap,
  type SessionStore,
} from "../src/index.js";
import { expressVersions, type ExpressFactory } from "./helpers/express.js";
import { ADMIN_SECRET, TestDirectory, codeAt } from "./helpers/rocket-chat.js";
import { RecordingStore, brokenStore } from "./helpers/store.js";

const ADMIN_KEY = "admin-key-0123456789abcdef0123456789abcdef";

/** The generic admin routes in the neutral shape, one gate of each kind. */
function app(express: ExpressFactory, store: SessionStore, users: TestDirectory, events: LogoutEvents) {
  const a = express();
  const view = { store, users, events, gate: { permission: "view-device-management", totp: false } } as const;
  const act = { store, users, events, gate: { permission: "logout-device-management" } } as const;
  const key = { store, users, events, gate: { apiKeyHashes: [hashSecret(ADMIN_KEY)] } } as const;
  a.get("/admin/sessions", adminListSessions(view));
  a.get("/admin/users/:userId/sessions", adminListUserSessions(view));
  a.get("/admin/sessions/:sessionId", adminGetSession(view));
  a.delete("/admin/sessions/:sessionId", adminEndSession(act));
  a.delete("/admin/users/:userId/sessions", adminEndUserSessions(act));
  a.patch("/admin/sessions/:sessionId/extend", adminExtendSession({ ...act, lifespanMs: 3_600_000 }));
  a.get("/key/sessions", adminListSessions(key));
  a.delete("/key/sessions/:sessionId", adminEndSession(key));
  return a;
}

const later = () => new Promise((resolve) => setTimeout(resolve, 3));

describe.each(expressVersions)("generic admin factories on $name", ({ express }) => {
  let store: RecordingStore;
  let users: TestDirectory;
  let events: LogoutEvents;
  let server: ReturnType<typeof app>;

  beforeEach(() => {
    store = new RecordingStore();
    users = new TestDirectory();
    users.grant("admin", "view-device-management");
    events = new LogoutEvents();
    server = app(express, store, users, events);
  });

  async function login(userId: string, authenticationSource = "password") {
    const issued = await issueSession(store, { userId, authenticationSource, userAgent: "curl/8.5.0", ip: "198.51.100.4" });
    await later();
    return { ...issued, bearer: { Authorization: `Bearer ${issued.token}` } };
  }

  async function setup() {
    const admin = await login("admin");
    const alice = await login("alice");
    const aliceKey = await login("alice", "api-key");
    const bob = await login("bob");
    store.reset();
    return { admin, alice, aliceKey, bob };
  }

  it("pages through every session with a cursor, newest first, the last page without one", async () => {
    const { admin, alice, aliceKey, bob } = await setup();
    const first = await request(server).get("/admin/sessions?limit=3").set(admin.bearer);
    expect(first.status).toBe(200);
    const body = first.body as { sessions: { id: string; username: string | null }[]; total: number; nextCursor: string | null };
    expect(body.sessions.map((s) => s.id)).toEqual([bob, aliceKey, alice].map((s) => s.session.id));
    expect(body.total).toBe(4);
    expect(body.sessions[2]?.username).toBe("alice");
    const second = await request(server).get(`/admin/sessions?limit=3&cursor=${body.nextCursor ?? ""}`).set(admin.bearer);
    expect((second.body as { sessions: { id: string }[]; nextCursor: null }).sessions.map((s) => s.id)).toEqual([admin.session.id]);
    expect((second.body as { nextCursor: null }).nextCursor).toBeNull();
    expect(first.text).not.toContain(alice.token);
    expect(first.text).not.toContain(alice.session.tokenHash);
    expect(store.mutations).toEqual([]);
  });

  it("filters by user from the user's own index, and by authentication source", async () => {
    const { admin, alice, aliceKey } = await setup();
    const mine = await request(server).get("/admin/users/alice/sessions").set(admin.bearer);
    expect((mine.body as { sessions: { id: string }[] }).sessions.map((s) => s.id)).toEqual([aliceKey.session.id, alice.session.id]);
    expect(store.calls).not.toContain("listAllSessions");
    const keys = await request(server).get("/admin/sessions?authenticationSource=api-key").set(admin.bearer);
    expect((keys.body as { sessions: { id: string }[]; total: number }).sessions.map((s) => s.id)).toEqual([aliceKey.session.id]);
    const byQuery = await request(server).get("/admin/sessions?userId=bob").set(admin.bearer);
    expect((byQuery.body as { total: number }).total).toBe(1);
  });

  it("refuses a bad limit or cursor in the shape, before the store", async () => {
    const { admin } = await setup();
    for (const query of ["limit=0", "limit=1001", "limit=x", "cursor=%21%21", "cursor=a&offset=1"]) {
      const res = await request(server).get(`/admin/sessions?${query}`).set(admin.bearer);
      expect(res.status).toBe(400);
      expect(res.headers["content-type"]).toBe("application/problem+json; charset=utf-8");
    }
    const forged = await request(server).get("/admin/sessions?cursor=bm90LWEtY3Vyc29y").set(admin.bearer);
    expect(forged.status).toBe(400);
    expect(store.mutations).toEqual([]);
  });

  it("gets one session, and answers not-found for an unknown one", async () => {
    const { admin, bob } = await setup();
    const res = await request(server).get(`/admin/sessions/${bob.session.id}`).set(admin.bearer);
    expect(res.body).toMatchObject({ id: bob.session.id, userId: "bob", username: "bob", authenticationSource: "password", ip: "198.51.100.4", current: false });
    expect((await request(server).get("/admin/sessions/nope").set(admin.bearer)).status).toBe(404);
  });

  it("ends one session after the TOTP step-up; the next request with its token fails", async () => {
    const { admin, alice } = await setup();
    const seen: LogoutEventMap["session.ended"][] = [];
    events.on("session.ended", (e) => seen.push(e));
    const res = await request(server).delete(`/admin/sessions/${alice.session.id}`).set({ ...admin.bearer, "x-2fa-code": await codeAt(ADMIN_SECRET) });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ended: 1, sessionId: alice.session.id });
    expect(await store.findSessionByTokenHash(alice.session.tokenHash)).toBeUndefined();
    expect(seen).toEqual([expect.objectContaining({ sessionId: alice.session.id, userId: "alice", by: "admin", target: "session" })]);
    const again = await request(server).delete(`/admin/sessions/${alice.session.id}`).set({ ...admin.bearer, "x-2fa-code": await codeAt(ADMIN_SECRET, 1) });
    expect(again.status).toBe(404);
  });

  it("ends every session of a user", async () => {
    const { admin, alice, aliceKey, bob } = await setup();
    const res = await request(server).delete("/admin/users/alice/sessions").set({ ...admin.bearer, "x-2fa-code": await codeAt(ADMIN_SECRET) });
    expect(res.body).toEqual({ ended: 2 });
    for (const s of [alice, aliceKey]) expect(await store.getSession(s.session.id)).toBeUndefined();
    expect(await store.getSession(bob.session.id)).toBeDefined();
  });

  it("refuses a non-admin with 403 and a missing TOTP code with totp-required, changing nothing", async () => {
    const { admin, alice } = await setup();
    const before = await store.snapshot("admin", "alice", "bob");
    expect((await request(server).get("/admin/sessions").set(alice.bearer)).status).toBe(403);
    expect((await request(server).delete(`/admin/sessions/${admin.session.id}`).set({ ...alice.bearer, "x-2fa-code": "000000" })).status).toBe(403);
    expect((await request(server).delete("/admin/users/bob/sessions").set(alice.bearer)).status).toBe(403);
    users.grant("admin", "logout-device-management");
    const missing = await request(server).delete(`/admin/sessions/${alice.session.id}`).set(admin.bearer);
    expect(missing.status).toBe(400);
    expect((missing.body as { code: string }).code).toBe("totp-required");
    expect(store.mutations).toEqual([]);
    expect(await store.snapshot("admin", "alice", "bob")).toEqual(before);
  });

  it("extends a session to the lifespan from now, never shortening it", async () => {
    const { admin, alice } = await setup();
    const before = Date.now();
    const res = await request(server).patch(`/admin/sessions/${alice.session.id}/extend`).set({ ...admin.bearer, "x-2fa-code": await codeAt(ADMIN_SECRET) });
    expect(res.status).toBe(200);
    const expiresAt = Date.parse((res.body as { expiresAt: string }).expiresAt);
    // issueSession's 24 h is longer than the route's 1 h lifespan: the session keeps its later expiry.
    expect(expiresAt).toBe(alice.session.expiresAt);
    const short = await issueSession(store, { userId: "alice", ttlMs: 60_000 });
    const extended = await request(server).patch(`/admin/sessions/${short.session.id}/extend`).set({ ...admin.bearer, "x-2fa-code": await codeAt(ADMIN_SECRET, 1) });
    const moved = Date.parse((extended.body as { expiresAt: string }).expiresAt);
    expect(moved).toBeGreaterThanOrEqual(before + 3_600_000);
    expect(moved).toBeLessThanOrEqual(Date.now() + 3_600_000);
    expect((await store.getSession(short.session.id))?.expiresAt).toBe(moved);
  });

  it("accepts an admin API key in Authorization: Bearer, and refuses an unknown one or a session token there", async () => {
    const { alice } = await setup();
    expect((await request(server).get("/key/sessions").set("Authorization", `Bearer ${ADMIN_KEY}`)).status).toBe(200);
    expect((await request(server).get("/key/sessions").set("Authorization", "Bearer not-the-key")).status).toBe(401);
    expect((await request(server).get("/key/sessions").set(alice.bearer)).status).toBe(401);
    expect((await request(server).get("/key/sessions")).status).toBe(401);
    const ended = await request(server).delete(`/key/sessions/${alice.session.id}`).set("Authorization", `Bearer ${ADMIN_KEY}`);
    expect(ended.body).toEqual({ ended: 1, sessionId: alice.session.id });
  });
});

describe("generic admin factories at setup and when the store fails", () => {
  const users = new TestDirectory();

  it("refuse to be mounted without a gate, with a malformed one, or on a store that cannot list every session", () => {
    const store = new RecordingStore();
    expect(() => adminEndSession({ store, users } as never)).toThrow(/needs a `gate`/);
    expect(() => adminEndSession({ store, users, gate: {} as never })).toThrow(/needs a `permission`/);
    expect(() => adminEndSession({ store, users, gate: { apiKeyHashes: [ADMIN_KEY] } })).toThrow(/hashSecret\(key\)/);
    expect(() => adminEndSession({ store, gate: { permission: "p" } })).toThrow(/hasPermission/);
    expect(() => adminListSessions({ store, users, gate: { permission: "p" }, maxScan: 0 })).toThrow(/maxScan/);
    const redis = new RedisSessionStore({ sendCommand: () => Promise.resolve(null) });
    expect(() => adminListSessions({ store: redis, users, gate: { permission: "p" } })).toThrow(/indexAllSessions: true/);
    expect(() => adminExtendSession({ store: redis, users, gate: { permission: "p" } })).toThrow(/indexAllSessions: true/);
    expect(() => adminGetSession({ store, users, gate: { permission: "p" }, gat: 1 } as never)).toThrow(/Did you mean `gate`/);
  });

  it("answers 503 when the store fails, never a success", async () => {
    const broken = brokenStore("throw");
    broken.failing = false;
    const admin = await issueSession(broken, { userId: "admin" });
    const ok = new TestDirectory();
    ok.grant("admin", "view-device-management");
    const a = expressVersions[0].express();
    a.get("/admin/sessions/:sessionId", adminGetSession({ store: broken, users: ok, gate: { permission: "view-device-management", totp: false } }));
    broken.failing = true;
    const res = await request(a).get(`/admin/sessions/${admin.session.id}`).set("Authorization", `Bearer ${admin.token}`);
    expect(res.status).toBe(503);
  });
});
