import request from "supertest";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LogoutEvents, adminEndUserSessions, adminGetSession, adminListSessions, shapes, type LogoutEventMap, type SessionRecord } from "../src/index.js";
import { expressVersions, type ExpressFactory } from "./helpers/express.js";
import { ADMIN_SECRET, TestDirectory, codeAt, rcLogin, rocketChatApp, wrongCode } from "./helpers/rocket-chat.js";
import { RecordingStore } from "./helpers/store.js";

/** Sessions without the step-up fields a passed TOTP code refreshes on its caller's session. */
function ignoringStepUp(sessions: readonly SessionRecord[]): Omit<SessionRecord, "authenticatedAt" | "amr">[] {
  return sessions.map(({ authenticatedAt: _at, amr: _amr, ...rest }) => rest);
}

const UNAUTHENTICATED = '{"success":false,"error":"You must be logged in to do this.","status":"error","message":"You must be logged in to do this."}';
const FORBIDDEN = '{"success":false,"error":"User does not have the permissions required for this action [error-unauthorized]"}';
const TOTP_REQUIRED = '{"success":false,"error":"TOTP Required [totp-required]","errorType":"totp-required","details":{"method":"totp","codeGenerated":false,"availableMethods":["totp"]}}';
const TOTP_INVALID = '{"success":false,"error":"TOTP Invalid [totp-invalid]","errorType":"totp-invalid","details":{"method":"totp","codeGenerated":false}}';
const NOT_FOUND = '{"success":false,"error":"Session not found"}';
const SORT_KEYS = '{"success":false,"error":"error-invalid-sort-keys"}';
const CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
const FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";
const invalidSort = (raw: string) => JSON.stringify({ success: false, error: `Invalid sort parameter provided: "${raw}" [error-invalid-sort]`, errorType: "error-invalid-sort", details: { helperMethod: "parseJsonQuery" } });

/** The Rocket.Chat routes of the README plus the administrator's, as the example app mounts them. */
function adminApp(express: ExpressFactory, store: RecordingStore, users: TestDirectory, events: LogoutEvents) {
  const app = rocketChatApp(express, { store, users, events });
  const common = { store, users, events, shape: shapes.rocketChat };
  app.get("/api/v1/sessions/list.all", adminListSessions({ ...common, gate: { permission: "view-device-management" } }));
  app.get("/api/v1/sessions/info.admin", adminGetSession({ ...common, gate: { permission: "view-device-management" } }));
  app.post("/api/v1/users.logout", express.json(), adminEndUserSessions({ ...common, gate: { permission: "logout-other-user" }, allowSelf: true }));
  return app;
}

describe.each(expressVersions)("Rocket.Chat device management, administrator's side, on $name", ({ express }) => {
  let store: RecordingStore;
  let users: TestDirectory;
  let events: LogoutEvents;
  let app: ReturnType<typeof adminApp>;

  beforeEach(() => {
    // The tests send codes of the steps before, at and after "now": start each one ten seconds into a fresh
    // 30-second step (the clock then runs on), so no step boundary falls between a code and its check.
    vi.useFakeTimers({ toFake: ["Date"], shouldAdvanceTime: true, advanceTimeDelta: 1 });
    vi.setSystemTime((Math.floor(Date.now() / 30_000) + 1) * 30_000 + 10_000);
    store = new RecordingStore();
    users = new TestDirectory();
    users.grant("admin", "view-device-management");
    users.grant("admin", "logout-other-user");
    events = new LogoutEvents();
    app = adminApp(express, store, users, events);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  /** Logins a few milliseconds apart, so "newest first" has one answer. */
  const later = () => new Promise((resolve) => setTimeout(resolve, 3));

  async function setup() {
    const admin = await rcLogin(store, "admin", FIREFOX);
    await later();
    const alice = await rcLogin(store, "alice", CHROME);
    await later();
    const alicePhone = await rcLogin(store, "alice", "curl/8.5.0");
    await later();
    const bob = await rcLogin(store, "bob", FIREFOX);
    store.reset();
    return { admin, alice, alicePhone, bob };
  }

  const totp = async (headers: Record<string, string>, offset = 0) => ({ ...headers, "x-2fa-code": await codeAt(ADMIN_SECRET, offset) });

  describe("GET /api/v1/sessions/list.all", () => {
    it("answers every live session, newest login first, with _user populated, as {sessions,total,count,offset,success}", async () => {
      const { admin, alice, alicePhone, bob } = await setup();
      const res = await request(app).get("/api/v1/sessions/list.all").set(await totp(admin.headers)).set("Host", "chat.example.com");
      expect(res.status).toBe(200);
      expect(res.headers["content-type"]).toBe("application/json");
      const body = res.body as { sessions: Record<string, unknown>[] };
      expect(Object.keys(body)).toEqual(["sessions", "total", "count", "offset", "success"]);
      expect(body.sessions.map((s) => s.sessionId)).toEqual([bob, alicePhone, alice, admin].map((s) => s.session.id));
      const expectedAlice = {
        _id: alice.session.id,
        sessionId: alice.session.id,
        userId: "alice",
        device: { name: "Chrome", type: "browser", longVersion: "120.0.0.0", os: { name: "Windows", version: "10.0" }, version: "120.0.0.0" },
        host: "chat.example.com",
        ip: "203.0.113.7",
        loginAt: new Date(alice.session.createdAt).toISOString(),
        _user: { name: "Alice Liddell", username: "alice" },
      };
      expect(res.text).toBe(JSON.stringify({ sessions: body.sessions.map((s) => (s.sessionId === alice.session.id ? expectedAlice : s)), total: 4, count: 50, offset: 0, success: true }));
      for (const secret of [admin, alice, alicePhone, bob].flatMap((s) => [s.token, s.session.tokenHash])) expect(res.text).not.toContain(secret);
    });

    it("pages with offset and count within Rocket.Chat's limits: default 50, at most 100, 0 meaning the most", async () => {
      const { admin, alice, alicePhone } = await setup();
      // Each request spends a code of a later time step: an accepted code also spends the steps before it.
      const page = await request(app).get("/api/v1/sessions/list.all?offset=1&count=2").set(await totp(admin.headers, -1));
      expect(page.body).toMatchObject({ total: 4, count: 2, offset: 1, success: true });
      expect((page.body as { sessions: { sessionId: string }[] }).sessions.map((s) => s.sessionId)).toEqual([alicePhone.session.id, alice.session.id]);
      const capped = await request(app).get("/api/v1/sessions/list.all?count=500").set(await totp(admin.headers));
      expect(capped.body).toMatchObject({ total: 4, count: 100, offset: 0 });
      const zero = await request(app).get("/api/v1/sessions/list.all?count=0").set(await totp(admin.headers, 1));
      expect(zero.body).toMatchObject({ count: 100 });
    });

    it("answers an empty last page past the end, with the total", async () => {
      const { admin } = await setup();
      const res = await request(app).get("/api/v1/sessions/list.all?offset=10").set(await totp(admin.headers));
      expect(res.text).toBe('{"sessions":[],"total":4,"count":50,"offset":10,"success":true}');
    });

    it("filters by user, device or IP, regex characters taken literally", async () => {
      const { admin, alice, alicePhone } = await setup();
      const res = await request(app).get("/api/v1/sessions/list.all?filter=ALICE").set(await totp(admin.headers, -1));
      expect((res.body as { sessions: { sessionId: string }[] }).sessions.map((s) => s.sessionId)).toEqual([alicePhone.session.id, alice.session.id]);
      expect(res.body).toMatchObject({ total: 2 });
      const literal = await request(app).get("/api/v1/sessions/list.all?filter=a.i").set(await totp(admin.headers));
      expect(literal.body).toMatchObject({ sessions: [], total: 0 });
    });

    it("sorts the page by the allowed keys", async () => {
      const { admin, alice, alicePhone, bob } = await setup();
      const res = await request(app).get(`/api/v1/sessions/list.all?sort=${encodeURIComponent('{"_user.username":1,"loginAt":-1}')}`).set(await totp(admin.headers));
      expect((res.body as { sessions: { sessionId: string }[] }).sessions.map((s) => s.sessionId)).toEqual([admin, alicePhone, alice, bob].map((s) => s.session.id));
    });

    it("refuses an unknown sort key with error-invalid-sort-keys, and a malformed sort with error-invalid-sort", async () => {
      const { admin } = await setup();
      const keys = await request(app).get(`/api/v1/sessions/list.all?sort=${encodeURIComponent('{"tokenHash":1}')}`).set(await totp(admin.headers, -1));
      expect(keys.status).toBe(400);
      expect(keys.text).toBe(SORT_KEYS);
      const malformed = await request(app).get("/api/v1/sessions/list.all?sort=loginAt").set(await totp(admin.headers));
      expect(malformed.status).toBe(400);
      expect(malformed.text).toBe(invalidSort("loginAt"));
      const direction = await request(app).get(`/api/v1/sessions/list.all?sort=${encodeURIComponent('{"loginAt":2}')}`).set(await totp(admin.headers, 1));
      expect(direction.text).toBe(invalidSort('{"loginAt":2}'));
      expect(store.mutations.filter((m) => m.includes("Session"))).toEqual([]);
    });

    it("refuses parameters Rocket.Chat's schema refuses with invalid-params, before the permission", async () => {
      const { alice } = await setup();
      const extra = await request(app).get("/api/v1/sessions/list.all?page=2").set(alice.headers);
      expect(extra.text).toBe('{"success":false,"error":"must NOT have additional properties [invalid-params]","errorType":"invalid-params"}');
      const notNumber = await request(app).get("/api/v1/sessions/list.all?count=ten").set(alice.headers);
      expect(notNumber.text).toBe('{"success":false,"error":"must be number [invalid-params]","errorType":"invalid-params"}');
      const twice = await request(app).get("/api/v1/sessions/list.all?filter=a&filter=b").set(alice.headers);
      expect(twice.text).toBe('{"success":false,"error":"must be string [invalid-params]","errorType":"invalid-params"}');
      expect(store.mutations).toEqual([]);
    });

    it("refuses a user without view-device-management with Rocket.Chat's 403, asking no TOTP and changing nothing", async () => {
      const { alice } = await setup();
      const before = await store.snapshot("admin", "alice", "bob");
      const res = await request(app).get("/api/v1/sessions/list.all").set({ ...alice.headers, "x-2fa-code": "123456" });
      expect(res.status).toBe(403);
      expect(res.text).toBe(FORBIDDEN);
      expect(store.mutations).toEqual([]);
      expect(await store.snapshot("admin", "alice", "bob")).toEqual(before);
      expect(users.secretReads).toEqual([]);
    });

    it("refuses a missing, a wrong and a replayed TOTP code as sessions/logout does", async () => {
      const { admin } = await setup();
      const before = await store.snapshot("admin", "alice", "bob");
      const missing = await request(app).get("/api/v1/sessions/list.all").set(admin.headers);
      expect(missing.status).toBe(400);
      expect(missing.text).toBe(TOTP_REQUIRED);
      const wrong = await request(app).get("/api/v1/sessions/list.all").set({ ...admin.headers, "x-2fa-code": await wrongCode(ADMIN_SECRET) });
      expect(wrong.text).toBe(TOTP_INVALID);
      const code = await codeAt(ADMIN_SECRET);
      expect((await request(app).get("/api/v1/sessions/list.all").set({ ...admin.headers, "x-2fa-code": code })).status).toBe(200);
      const replayed = await request(app).get("/api/v1/sessions/list.all").set({ ...admin.headers, "x-2fa-code": code });
      expect(replayed.status).toBe(400);
      expect(replayed.text).toBe(TOTP_INVALID);
      // The accepted code is a step-up: it refreshes the administrator's authenticatedAt and amr, nothing else.
      expect(ignoringStepUp(await store.snapshot("admin", "alice", "bob"))).toEqual(ignoringStepUp(before));
    });

    it("answers 401 without a session", async () => {
      await setup();
      const res = await request(app).get("/api/v1/sessions/list.all");
      expect(res.status).toBe(401);
      expect(res.text).toBe(UNAUTHENTICATED);
    });
  });

  describe("GET /api/v1/sessions/info.admin", () => {
    it("answers any user's session with _user and success:true", async () => {
      const { admin, alice } = await setup();
      const res = await request(app).get(`/api/v1/sessions/info.admin?sessionId=${alice.session.id}`).set(await totp(admin.headers)).set("Host", "chat.example.com");
      expect(res.status).toBe(200);
      expect(res.text).toBe(JSON.stringify({
        _id: alice.session.id,
        sessionId: alice.session.id,
        userId: "alice",
        device: { name: "Chrome", type: "browser", longVersion: "120.0.0.0", os: { name: "Windows", version: "10.0" }, version: "120.0.0.0" },
        host: "chat.example.com",
        ip: "203.0.113.7",
        loginAt: new Date(alice.session.createdAt).toISOString(),
        _user: { name: "Alice Liddell", username: "alice" },
        success: true,
      }));
    });

    it("answers 404 Session not found for an unknown or ended session", async () => {
      const { admin, alice } = await setup();
      await store.revokeSession(alice.session.id);
      const res = await request(app).get(`/api/v1/sessions/info.admin?sessionId=${alice.session.id}`).set(await totp(admin.headers));
      expect(res.status).toBe(404);
      expect(res.text).toBe(NOT_FOUND);
    });

    it("refuses a missing sessionId before the permission, and a non-admin with 403", async () => {
      const { alice, admin } = await setup();
      const missing = await request(app).get("/api/v1/sessions/info.admin").set(alice.headers);
      expect(missing.text).toBe(`{"success":false,"error":"must have required property 'sessionId' [invalid-params]","errorType":"invalid-params"}`);
      const forbidden = await request(app).get(`/api/v1/sessions/info.admin?sessionId=${admin.session.id}`).set(alice.headers);
      expect(forbidden.status).toBe(403);
      expect(forbidden.text).toBe(FORBIDDEN);
      expect(store.mutations).toEqual([]);
    });

    it("needs a TOTP code", async () => {
      const { admin, alice } = await setup();
      const res = await request(app).get(`/api/v1/sessions/info.admin?sessionId=${alice.session.id}`).set(admin.headers);
      expect(res.text).toBe(TOTP_REQUIRED);
    });
  });

  describe("POST /api/v1/users.logout", () => {
    it("ends every session of the user: {message, success}, each token refused at once, other users untouched", async () => {
      const { admin, alice, alicePhone, bob } = await setup();
      const seen: LogoutEventMap["sessions.ended"][] = [];
      events.on("sessions.ended", (e) => seen.push(e));
      const res = await request(app).post("/api/v1/users.logout").set(await totp(admin.headers)).send({ userId: "alice" });
      expect(res.status).toBe(200);
      expect(res.text).toBe('{"message":"User alice has been logged out!","success":true}');
      for (const s of [alice, alicePhone]) expect((await request(app).get("/api/v1/me").set(s.headers)).status).toBe(401);
      expect((await request(app).get("/api/v1/me").set(bob.headers)).status).toBe(200);
      expect(seen).toEqual([expect.objectContaining({ userId: "alice", by: "admin", target: "all", count: 2 })]);
    });

    it("answers error-invalid-user-id for a user with no live session left, as Rocket.Chat does when nothing changed", async () => {
      const { admin } = await setup();
      const res = await request(app).post("/api/v1/users.logout").set(await totp(admin.headers)).send({ userId: "nobody" });
      expect(res.status).toBe(400);
      expect(res.text).toBe('{"success":false,"error":"Invalid user id [error-invalid-user-id]","errorType":"error-invalid-user-id"}');
    });

    it("lets a user log themselves out everywhere without permission or TOTP", async () => {
      const { alice, alicePhone } = await setup();
      const res = await request(app).post("/api/v1/users.logout").set(alice.headers).send({});
      expect(res.text).toBe('{"message":"User alice has been logged out!","success":true}');
      expect((await request(app).get("/api/v1/me").set(alicePhone.headers)).status).toBe(401);
    });

    it("refuses another user's logout without logout-other-user with Rocket.Chat's 401 unauthorized, changing nothing", async () => {
      const { alice } = await setup();
      const before = await store.snapshot("admin", "alice", "bob");
      const res = await request(app).post("/api/v1/users.logout").set(alice.headers).send({ userId: "bob" });
      expect(res.status).toBe(401);
      expect(res.text).toBe('{"success":false,"error":"unauthorized"}');
      expect(store.mutations).toEqual([]);
      expect(await store.snapshot("admin", "alice", "bob")).toEqual(before);
    });

    it("asks the administrator a TOTP code and refuses a replayed one, changing nothing", async () => {
      const { admin } = await setup();
      const before = await store.snapshot("admin", "alice", "bob");
      expect((await request(app).post("/api/v1/users.logout").set(admin.headers).send({ userId: "bob" })).text).toBe(TOTP_REQUIRED);
      const code = await codeAt(ADMIN_SECRET);
      expect((await request(app).post("/api/v1/users.logout").set({ ...admin.headers, "x-2fa-code": code }).send({ userId: "bob" })).status).toBe(200);
      const after = await store.snapshot("admin", "alice", "bob");
      const replayed = await request(app).post("/api/v1/users.logout").set({ ...admin.headers, "x-2fa-code": code }).send({ userId: "alice" });
      expect(replayed.text).toBe(TOTP_INVALID);
      expect(await store.snapshot("admin", "alice", "bob")).toEqual(after);
      // The accepted code is a step-up: it refreshes the administrator's authenticatedAt and amr, nothing else.
      expect(ignoringStepUp(after)).toEqual(ignoringStepUp(before.filter((s) => s.userId !== "bob")));
    });

    it("refuses a userId that is not a string with invalid-params", async () => {
      const { admin } = await setup();
      const res = await request(app).post("/api/v1/users.logout").set(await totp(admin.headers)).send({ userId: { $ne: "" } });
      expect(res.text).toBe('{"success":false,"error":"must be string [invalid-params]","errorType":"invalid-params"}');
      expect(store.mutations).toEqual([]);
    });
  });

  describe("GET /api/v1/sessions/list (own sessions)", () => {
    it("honours filter, sort, offset and count, newest login first before the sort", async () => {
      const { alice, alicePhone } = await setup();
      await later();
      const third = await rcLogin(store, "alice", FIREFOX);
      const filtered = await request(app).get("/api/v1/sessions/list?filter=chrome").set(alice.headers);
      expect((filtered.body as { sessions: { sessionId: string }[] }).sessions.map((s) => s.sessionId)).toEqual([alice.session.id]);
      expect(filtered.body).toMatchObject({ total: 1, count: 50, offset: 0 });
      const sorted = await request(app).get(`/api/v1/sessions/list?sort=${encodeURIComponent('{"device.name":1}')}`).set(alice.headers);
      expect((sorted.body as { sessions: { sessionId: string }[] }).sessions.map((s) => s.sessionId)).toEqual([alice, third, alicePhone].map((s) => s.session.id));
      const paged = await request(app).get("/api/v1/sessions/list?offset=1&count=1").set(alice.headers);
      expect((paged.body as { sessions: { sessionId: string }[] }).sessions.map((s) => s.sessionId)).toEqual([alicePhone.session.id]);
      const bad = await request(app).get(`/api/v1/sessions/list?sort=${encodeURIComponent('{"ip":1}')}`).set(alice.headers);
      expect(bad.status).toBe(400);
      expect(bad.text).toBe(SORT_KEYS);
    });
  });
});

describe("Rocket.Chat admin routes at setup", () => {
  const store = new RecordingStore();
  const users = new TestDirectory();
  const common = { store, users, shape: shapes.rocketChat };

  it("refuse to be mounted without a gate, or with the TOTP step-up turned off or an API key in its place", () => {
    expect(() => adminListSessions(common as never)).toThrow(/needs a `gate`/);
    expect(() => adminListSessions({ ...common, gate: { permission: "view-device-management", totp: false } })).toThrow(/cannot turn off `gate.totp`/);
    expect(() => adminGetSession({ ...common, gate: { apiKeyHashes: ["x".repeat(43)] } })).toThrow(/permission gate with a TOTP step-up/);
    expect(() => adminEndUserSessions({ ...common, gate: { permission: "" } })).toThrow(/needs a `permission`/);
  });
});
