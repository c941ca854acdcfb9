import request from "supertest";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  LogoutEvents,
  MemorySessionStore,
  bodySessionId,
  querySessionId,
  allStoreMethods,
  shapes,
  type LogoutEventMap,
  type CompleteSessionStore,
} from "../src/index.js";
import { expressVersions } from "./helpers/express.js";
import { ADMIN_SECRET, TestDirectory, codeAt, rcLogin, rocketChatApp, wrongCode } from "./helpers/rocket-chat.js";
import { RecordingStore, brokenStore } from "./helpers/store.js";

const UNAUTHENTICATED = '{"success":false,"error":"You must be logged in to do this.","status":"error","message":"You must be logged in to do this."}';
const MISSING_SESSION_ID = `{"success":false,"error":"must have required property 'sessionId' [invalid-params]","errorType":"invalid-params"}`;
const EXTRA_PROPERTY = '{"success":false,"error":"must NOT have additional properties [invalid-params]","errorType":"invalid-params"}';
const NOT_STRING = '{"success":false,"error":"must be string [invalid-params]","errorType":"invalid-params"}';
const FORBIDDEN = '{"success":false,"error":"User does not have the permissions required for this action [error-unauthorized]"}';
const TOTP_REQUIRED = '{"success":false,"error":"TOTP Required [totp-required]","errorType":"totp-required","details":{"method":"totp","codeGenerated":false,"availableMethods":["totp"]}}';
const TOTP_NOT_ENROLLED = '{"success":false,"error":"TOTP Required [totp-required]","errorType":"totp-required","details":{"method":"totp","codeGenerated":false,"availableMethods":[]}}';
const TOTP_INVALID = '{"success":false,"error":"TOTP Invalid [totp-invalid]","errorType":"totp-invalid","details":{"method":"totp","codeGenerated":false}}';
const NOT_FOUND = '{"success":false,"error":"Session not found"}';
const LOGGED_OUT = `{"status":"success","data":{"message":"You've been logged out!"}}`;
const ended = (id: string) => `{"sessionId":"${id}","success":true}`;

describe.each(expressVersions)("Rocket.Chat POST /api/v1/sessions/logout on $name", ({ express }) => {
  let store: RecordingStore;
  let users: TestDirectory;
  let events: LogoutEvents;
  let app: ReturnType<typeof rocketChatApp>;

  beforeEach(() => {
    store = new RecordingStore();
    users = new TestDirectory();
    events = new LogoutEvents();
    app = rocketChatApp(express, { store, users, events });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  async function setup() {
    const admin = await rcLogin(store, "admin");
    const alice = await rcLogin(store, "alice");
    const aliceOther = await rcLogin(store, "alice");
    store.reset();
    return { admin, alice, aliceOther };
  }

  function post(headers: Record<string, string>, body?: unknown) {
    const req = request(app).post("/api/v1/sessions/logout").set(headers);
    return body === undefined ? req : req.send(body as object);
  }

  it("answers 200 {sessionId, success:true} and ends only the target session, whose token is refused at once", async () => {
    const { admin, alice, aliceOther } = await setup();
    const endedEvents: LogoutEventMap["session.ended"][] = [];
    events.on("session.ended", (e) => endedEvents.push(e));
    const res = await post({ ...admin.headers, "x-2fa-code": await codeAt(ADMIN_SECRET) }, { sessionId: alice.session.id });
    expect(res.status).toBe(200);
    expect(res.text).toBe(ended(alice.session.id));
    expect(res.headers["content-type"]).toBe("application/json");
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(await store.getSession(alice.session.id)).toBeUndefined();
    expect(await store.getSession(aliceOther.session.id)).toBeDefined();
    expect(await store.getSession(admin.session.id)).toBeDefined();
    expect(endedEvents).toEqual([{ sessionId: alice.session.id, userId: "alice", by: "admin", target: "session", at: expect.any(Number) as number }]);

    const me = await request(app).get("/api/v1/me").set(alice.headers);
    expect(me.status).toBe(401);
    expect(me.text).toBe(UNAUTHENTICATED);
    const stillIn = await request(app).get("/api/v1/me").set(aliceOther.headers);
    expect(stillIn.status).toBe(200);
  });

  it("answers 401 You must be logged in to do this. without credentials, with a wrong token, or a user id that is not the token's", async () => {
    const { admin, alice } = await setup();
    const body = { sessionId: alice.session.id };
    const code = await codeAt(ADMIN_SECRET);
    const cases: Record<string, string>[] = [
      {},
      { "X-User-Id": "admin" },
      { "X-Auth-Token": admin.token },
      { "X-User-Id": "admin", "X-Auth-Token": `${admin.token}x` },
      { "X-User-Id": "alice", "X-Auth-Token": admin.token },
      { "X-User-Id": "admin", "X-Auth-Token": "short" },
    ];
    for (const headers of cases) {
      const res = await post({ ...headers, "x-2fa-code": code }, body);
      expect(res.status).toBe(401);
      expect(res.text).toBe(UNAUTHENTICATED);
    }
    expect(store.mutations).toEqual([]);
    expect(users.permissionChecks).toEqual([]);
  });

  it("checks authentication before the body: an unauthenticated caller with a bad body gets the 401", async () => {
    await setup();
    const res = await post({}, { nope: 1 });
    expect(res.status).toBe(401);
    expect(res.text).toBe(UNAUTHENTICATED);
  });

  it("answers 400 invalid-params with Ajv's messages for a missing, extra or non-string sessionId, before the permission", async () => {
    const { admin, alice } = await setup();
    const code = await codeAt(ADMIN_SECRET);
    const cases: [unknown, string][] = [
      [undefined, MISSING_SESSION_ID],
      [{}, MISSING_SESSION_ID],
      [{ session: alice.session.id }, MISSING_SESSION_ID],
      [{ sessionId: alice.session.id, userId: "alice" }, EXTRA_PROPERTY],
      [{ sessionId: 42 }, NOT_STRING],
      [{ sessionId: null }, NOT_STRING],
      [{ sessionId: [alice.session.id] }, NOT_STRING],
      [[alice.session.id], '{"success":false,"error":"must be object [invalid-params]","errorType":"invalid-params"}'],
    ];
    for (const [body, expected] of cases) {
      const res = await post({ ...admin.headers, "x-2fa-code": code }, body);
      expect(res.status).toBe(400);
      expect(res.text).toBe(expected);
    }
    // Refused before the permission was asked and before any code was looked at.
    expect(users.permissionChecks).toEqual([]);
    expect(users.secretReads).toEqual([]);
    expect(store.mutations).toEqual([]);
    expect(await store.getSession(alice.session.id)).toBeDefined();
  });

  it("answers 403 error-unauthorized to a caller without logout-device-management, and changes nothing", async () => {
    const { alice, aliceOther } = await setup();
    const before = await store.snapshot("alice", "admin");
    const res = await post(alice.headers, { sessionId: aliceOther.session.id });
    expect(res.status).toBe(403);
    expect(res.text).toBe(FORBIDDEN);
    expect(res.headers["content-type"]).toBe("application/json");
    expect(store.mutations).toEqual([]);
    expect(await store.snapshot("alice", "admin")).toEqual(before);
  });

  it("answers 400 totp-required with availableMethods [\"totp\"] when the code is missing or empty", async () => {
    const { admin, alice } = await setup();
    for (const headers of [admin.headers, { ...admin.headers, "x-2fa-code": "" }]) {
      const res = await post(headers, { sessionId: alice.session.id });
      expect(res.status).toBe(400);
      expect(res.text).toBe(TOTP_REQUIRED);
    }
    expect(store.mutations).toEqual([]);
  });

  it("answers totp-required with availableMethods [] to an administrator with no TOTP enrolled, whatever code is sent", async () => {
    users.secrets.delete("admin");
    const { admin, alice } = await setup();
    for (const code of [undefined, await codeAt(ADMIN_SECRET), "000000"]) {
      const res = await post({ ...admin.headers, ...(code === undefined ? {} : { "x-2fa-code": code }) }, { sessionId: alice.session.id });
      expect(res.status).toBe(400);
      expect(res.text).toBe(TOTP_NOT_ENROLLED);
    }
    expect(store.mutations).toEqual([]);
    expect(await store.getSession(alice.session.id)).toBeDefined();
  });

  it("answers 400 totp-invalid for a wrong code and leaves every session alive", async () => {
    const { admin, alice } = await setup();
    const before = await store.snapshot("alice", "admin");
    const res = await post({ ...admin.headers, "x-2fa-code": await wrongCode(ADMIN_SECRET) }, { sessionId: alice.session.id });
    expect(res.status).toBe(400);
    expect(res.text).toBe(TOTP_INVALID);
    expect(await store.snapshot("alice", "admin")).toEqual(before);
    // Only the attempt is counted (one call: the throttle's counter), no session is touched.
    expect(store.mutations).toEqual(["attemptTotp"]);
  });

  it("answers 400 totp-invalid when the code is replayed, even for another session", async () => {
    const { admin, alice, aliceOther } = await setup();
    const code = await codeAt(ADMIN_SECRET);
    expect((await post({ ...admin.headers, "x-2fa-code": code }, { sessionId: alice.session.id })).status).toBe(200);
    const again = await post({ ...admin.headers, "x-2fa-code": code }, { sessionId: aliceOther.session.id });
    expect(again.status).toBe(400);
    expect(again.text).toBe(TOTP_INVALID);
    expect(await store.getSession(aliceOther.session.id)).toBeDefined();
  });

  it("answers 404 Session not found for an unknown session id", async () => {
    const { admin } = await setup();
    const res = await post({ ...admin.headers, "x-2fa-code": await codeAt(ADMIN_SECRET) }, { sessionId: "tTouumJMrHMjnedWf" });
    expect(res.status).toBe(404);
    expect(res.text).toBe(NOT_FOUND);
    expect(store.mutations).not.toContain("revokeSession");
  });

  it("answers 404 Session not found for a session already logged out", async () => {
    const { admin, alice } = await setup();
    expect((await request(app).post("/api/v1/logout").set(alice.headers)).status).toBe(200);
    const res = await post({ ...admin.headers, "x-2fa-code": await codeAt(ADMIN_SECRET) }, { sessionId: alice.session.id });
    expect(res.status).toBe(404);
    expect(res.text).toBe(NOT_FOUND);
  });

  it("answers 429 error-too-many-requests with Retry-After once the administrator has sent too many wrong codes", async () => {
    // 100 s into a 5-minute throttling window: the lock-out lasts 5 minutes from the failure that started it,
    // not the 200 s left of the window.
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Math.floor(Date.now() / 300_000) * 300_000 + 100_000);
    const { admin, alice } = await setup();
    const wrong = await wrongCode(ADMIN_SECRET);
    for (let i = 0; i < 5; i++) {
      const res = await post({ ...admin.headers, "x-2fa-code": wrong }, { sessionId: alice.session.id });
      expect(res.text).toBe(TOTP_INVALID);
    }
    const res = await post({ ...admin.headers, "x-2fa-code": await codeAt(ADMIN_SECRET) }, { sessionId: alice.session.id });
    expect(res.status).toBe(429);
    expect(res.headers["retry-after"]).toBe("300");
    expect(res.text).toBe(
      '{"success":false,"error":"Error, too many requests. Please slow down. You must wait 300 seconds before trying this endpoint again. [error-too-many-requests]"}',
    );
    expect(await store.getSession(alice.session.id)).toBeDefined();
  });

  it("lets an administrator end their own current session", async () => {
    const { admin } = await setup();
    const res = await post({ ...admin.headers, "x-2fa-code": await codeAt(ADMIN_SECRET) }, { sessionId: admin.session.id });
    expect(res.text).toBe(ended(admin.session.id));
    expect((await request(app).get("/api/v1/me").set(admin.headers)).status).toBe(401);
  });

  it("asks the permission again on every request: revoked between two requests, the second is a 403", async () => {
    const { admin, alice, aliceOther } = await setup();
    expect((await post({ ...admin.headers, "x-2fa-code": await codeAt(ADMIN_SECRET, -1) }, { sessionId: alice.session.id })).status).toBe(200);
    users.revoke("admin", "logout-device-management");
    const res = await post({ ...admin.headers, "x-2fa-code": await codeAt(ADMIN_SECRET) }, { sessionId: aliceOther.session.id });
    expect(res.status).toBe(403);
    expect(res.text).toBe(FORBIDDEN);
    expect(await store.getSession(aliceOther.session.id)).toBeDefined();
  });
});

describe.each(expressVersions)("Rocket.Chat with a failing store on $name", ({ express }) => {
  const users = new TestDirectory();

  it.each(["throw", "hang"] as const)("answers 503 with Retry-After in the failure envelope when the store calls %s, and ends nothing", async (mode) => {
    const base = new MemorySessionStore();
    const store = brokenStore(mode, base);
    store.failing = false;
    const admin = await rcLogin(store, "admin");
    const alice = await rcLogin(store, "alice");
    const app = rocketChatApp(express, { store, users, timeoutMs: 50 });
    store.failing = true;
    const res = await request(app)
      .post("/api/v1/sessions/logout")
      .set({ ...admin.headers, "x-2fa-code": await codeAt(ADMIN_SECRET) })
      .send({ sessionId: alice.session.id });
    expect(res.status).toBe(503);
    expect(res.headers["retry-after"]).toBe("7");
    expect(res.text).toBe('{"success":false,"error":"Service temporarily unavailable, try again later [error-service-unavailable]","errorType":"error-service-unavailable"}');
    store.failing = false;
    expect(await base.getSession(alice.session.id)).toBeDefined();
    // Once the store is back, the same request succeeds.
    const retry = await request(app)
      .post("/api/v1/sessions/logout")
      .set({ ...admin.headers, "x-2fa-code": await codeAt(ADMIN_SECRET) })
      .send({ sessionId: alice.session.id });
    expect(retry.text).toBe(ended(alice.session.id));
    base.close();
  });

  it("answers 503 when only the step-up's store calls fail, after authentication and permission succeeded", async () => {
    const base = new MemorySessionStore();
    const admin = await rcLogin(base, "admin");
    const alice = await rcLogin(base, "alice");
    const store = withFailing(base, ["incrementCounter", "claim"]);
    const directory = new TestDirectory();
    const app = rocketChatApp(express, { store, users: directory, timeoutMs: 50 });
    const res = await request(app)
      .post("/api/v1/sessions/logout")
      .set({ ...admin.headers, "x-2fa-code": await codeAt(ADMIN_SECRET) })
      .send({ sessionId: alice.session.id });
    expect(res.status).toBe(503);
    expect(res.headers["retry-after"]).toBe("7");
    expect(directory.permissionChecks).toEqual([{ userId: "admin", permission: "logout-device-management" }]);
    expect(directory.secretReads).toEqual(["admin"]);
    expect(await base.getSession(alice.session.id)).toBeDefined();
    base.close();
  });
});

/** A store whose named methods reject; every other call goes to `base`. */
function withFailing(base: MemorySessionStore, failing: readonly (keyof CompleteSessionStore)[]): CompleteSessionStore {
  const store = {} as Record<string, unknown>;
  for (const name of allStoreMethods) {
    const method = (base as unknown as Record<string, (...args: unknown[]) => unknown>)[name]!;
    store[name] = failing.includes(name) ? () => Promise.reject(new Error("ECONNRESET")) : method.bind(base);
  }
  return store as unknown as CompleteSessionStore;
}

describe.each(expressVersions)("Rocket.Chat companions on $name", ({ express }) => {
  let store: RecordingStore;
  let app: ReturnType<typeof rocketChatApp>;
  const users = new TestDirectory();
  const chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";

  beforeEach(() => {
    store = new RecordingStore();
    app = rocketChatApp(express, { store, users });
  });

  describe("POST /api/v1/sessions/logout.me", () => {
    it("ends one of the caller's own sessions without permission or 2FA, answering {sessionId, success:true}", async () => {
      const alice = await rcLogin(store, "alice");
      const phone = await rcLogin(store, "alice");
      const res = await request(app).post("/api/v1/sessions/logout.me").set(alice.headers).send({ sessionId: phone.session.id });
      expect(res.status).toBe(200);
      expect(res.text).toBe(ended(phone.session.id));
      expect(await store.getSession(phone.session.id)).toBeUndefined();
      expect((await request(app).get("/api/v1/me").set(phone.headers)).status).toBe(401);
      expect((await request(app).get("/api/v1/me").set(alice.headers)).status).toBe(200);
    });

    it("answers 404 Session not found for another user's session, which stays alive", async () => {
      const alice = await rcLogin(store, "alice");
      const bob = await rcLogin(store, "bob");
      store.reset();
      const res = await request(app).post("/api/v1/sessions/logout.me").set(alice.headers).send({ sessionId: bob.session.id });
      expect(res.status).toBe(404);
      expect(res.text).toBe(NOT_FOUND);
      expect(store.mutations).toEqual([]);
      expect(await store.getSession(bob.session.id)).toBeDefined();
    });

    it("answers 401 and 400 in the shape, changing nothing", async () => {
      const alice = await rcLogin(store, "alice");
      store.reset();
      const unauth = await request(app).post("/api/v1/sessions/logout.me").send({ sessionId: alice.session.id });
      expect(unauth.text).toBe(UNAUTHENTICATED);
      const bad = await request(app).post("/api/v1/sessions/logout.me").set(alice.headers).send({ sessionId: alice.session.id, all: true });
      expect(bad.status).toBe(400);
      expect(bad.text).toBe(EXTRA_PROPERTY);
      expect(store.mutations).toEqual([]);
    });
  });

  describe("GET /api/v1/sessions/list", () => {
    it("lists the caller's own active sessions as {sessions, total, count, offset, success}, never a token or its hash", async () => {
      const alice = await rcLogin(store, "alice", chrome);
      const older = await rcLogin(store, "alice", "curl/8.5.0");
      const bob = await rcLogin(store, "bob");
      const res = await request(app).get("/api/v1/sessions/list").set(alice.headers);
      expect(res.status).toBe(200);
      expect(res.headers["content-type"]).toBe("application/json");
      const body = res.body as { sessions: Record<string, unknown>[]; total: number; count: number; offset: number; success: boolean };
      expect(Object.keys(body)).toEqual(["sessions", "total", "count", "offset", "success"]);
      // `count` is the page size Rocket.Chat used (`API_Default_Count`, 50), not the number of sessions on the page.
      expect(body).toMatchObject({ total: 2, count: 50, offset: 0, success: true });
      const ids = body.sessions.map((s) => s.sessionId);
      expect(ids.sort()).toEqual([alice.session.id, older.session.id].sort());
      const mine = body.sessions.find((s) => s.sessionId === alice.session.id);
      expect(mine).toEqual({
        _id: alice.session.id,
        sessionId: alice.session.id,
        userId: "alice",
        device: { name: "Chrome", type: "browser", longVersion: "120.0.0.0", os: { name: "Windows", version: "10.0" }, version: "120.0.0.0" },
        ip: "203.0.113.7",
        loginAt: new Date(alice.session.createdAt).toISOString(),
        _updatedAt: new Date(alice.session.createdAt).toISOString(),
        current: true,
      });
      expect(body.sessions.find((s) => s.sessionId === older.session.id)).toMatchObject({ device: { name: "curl", type: "other" }, current: false });
      for (const secret of [alice.token, alice.session.tokenHash, older.token, older.session.tokenHash, bob.session.id]) {
        expect(res.text).not.toContain(secret);
      }
    });

    it("pages with offset and count, and refuses a malformed one with invalid-params", async () => {
      const alice = await rcLogin(store, "alice");
      await rcLogin(store, "alice");
      await rcLogin(store, "alice");
      const page = await request(app).get("/api/v1/sessions/list?offset=1&count=1").set(alice.headers);
      expect(page.body).toMatchObject({ total: 3, count: 1, offset: 1, success: true });
      const bad = await request(app).get("/api/v1/sessions/list?count=-1").set(alice.headers);
      expect(bad.status).toBe(400);
      expect(bad.text).toBe('{"success":false,"error":"count must be a non-negative integer [invalid-params]","errorType":"invalid-params"}');
    });

    it("answers 401 once the session has ended", async () => {
      const alice = await rcLogin(store, "alice");
      await store.revokeSession(alice.session.id);
      const res = await request(app).get("/api/v1/sessions/list").set(alice.headers);
      expect(res.status).toBe(401);
      expect(res.text).toBe(UNAUTHENTICATED);
    });
  });

  describe("GET /api/v1/sessions/info", () => {
    it("shows one of the caller's sessions with success:true", async () => {
      const alice = await rcLogin(store, "alice", chrome);
      const other = await rcLogin(store, "alice");
      const res = await request(app).get(`/api/v1/sessions/info?sessionId=${other.session.id}`).set(alice.headers);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ _id: other.session.id, sessionId: other.session.id, userId: "alice", current: false, success: true });
      expect(res.text).not.toContain(other.session.tokenHash);
    });

    it("answers 404 for another user's session and 400 invalid-params without or with a repeated sessionId", async () => {
      const alice = await rcLogin(store, "alice");
      const bob = await rcLogin(store, "bob");
      const other = await request(app).get(`/api/v1/sessions/info?sessionId=${bob.session.id}`).set(alice.headers);
      expect(other.status).toBe(404);
      expect(other.text).toBe(NOT_FOUND);
      const missing = await request(app).get("/api/v1/sessions/info").set(alice.headers);
      expect(missing.status).toBe(400);
      expect(missing.text).toBe(MISSING_SESSION_ID);
      const repeated = await request(app).get("/api/v1/sessions/info?sessionId=a&sessionId=b").set(alice.headers);
      expect(repeated.text).toBe(NOT_STRING);
    });
  });

  describe("POST /api/v1/logout", () => {
    it("ends the caller's own session with You've been logged out!, then refuses the token", async () => {
      const alice = await rcLogin(store, "alice");
      const other = await rcLogin(store, "alice");
      const res = await request(app).post("/api/v1/logout").set(alice.headers);
      expect(res.status).toBe(200);
      expect(res.text).toBe(LOGGED_OUT);
      expect(res.headers["cache-control"]).toBe("no-store");
      expect(await store.getSession(alice.session.id)).toBeUndefined();
      expect(await store.getSession(other.session.id)).toBeDefined();
      const again = await request(app).post("/api/v1/logout").set(alice.headers);
      expect(again.status).toBe(401);
      expect(again.text).toBe(UNAUTHENTICATED);
    });
  });

  describe("GET /api/v1/me", () => {
    it("answers the caller's user with success:true, and no secret", async () => {
      const admin = await rcLogin(store, "admin");
      const res = await request(app).get("/api/v1/me").set(admin.headers);
      expect(res.status).toBe(200);
      expect(res.text).toBe(
        '{"_id":"admin","username":"admin","name":"Ada Admin","emails":[{"address":"admin@example.com","verified":true}],"active":true,"roles":["admin"],"success":true}',
      );
      expect(res.text).not.toContain(ADMIN_SECRET);
    });
  });
});

describe("shapes.rocketChat", () => {
  it("is registered as shapes.rocketChat with X-User-Id + X-Auth-Token credentials", () => {
    expect(shapes.rocketChat.name).toBe("rocketChat");
    expect(shapes.rocketChat.credentials.map((c) => c.name)).toEqual(["headers:x-user-id+x-auth-token"]);
  });

  it("renders all/others outcomes with their count", () => {
    const reply = shapes.rocketChat.ended({ target: "others", caller: undefined, user: undefined, sessionId: undefined, count: 3, endedAt: 0 }, {} as never);
    expect(reply).toEqual({ status: 200, headers: { "Content-Type": "application/json" }, body: { count: 3, success: true } });
  });

  it("refuses an empty parameter name for the validation helpers at setup", () => {
    expect(() => bodySessionId("")).toThrow(TypeError);
    expect(() => querySessionId("")).toThrow(TypeError);
  });
});
