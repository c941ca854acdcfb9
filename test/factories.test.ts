import cookieParser from "cookie-parser";
import request from "supertest";
import { describe, expect, it } from "vitest";
import {
  LogoutError,
  LogoutEvents,
  MemorySessionStore,
  bearerToken,
  cookieToken,
  createLogoutHandler,
  getAuthentication,
  hashSecret,
  issueSession,
  requireSession,
  shapes,
  whoAmI,
} from "../src/index.js";
import { expressVersions } from "./helpers/express.js";
import { demoUsers, login } from "./helpers/fixture.js";
import { RecordingStore } from "./helpers/store.js";

describe("factory-time validation", () => {
  const store = new MemorySessionStore();

  it("names every missing method of a custom store", () => {
    const partial = { createSession: () => Promise.resolve(), getSession: () => Promise.resolve(undefined) };
    expect(() => createLogoutHandler({ store: partial as never })).toThrow(TypeError);
    expect(() => createLogoutHandler({ store: partial as never })).toThrow(
      /lacks `findSessionByTokenHash`, `listSessions`, `revokeSession`, `revokeUserSessions`\./,
    );
  });

  it("requires a store", () => {
    expect(() => createLogoutHandler({} as never)).toThrow(/`store` is required/);
    expect(() => requireSession(undefined as never)).toThrow(/needs an options object/);
  });

  it("suggests the option a typo meant", () => {
    expect(() => createLogoutHandler({ store, tagret: "all" } as never)).toThrow(/unsupported option `tagret`\. Did you mean `target`\?/);
    expect(() => requireSession({ store, timeOutMs: 5 } as never)).toThrow(/Did you mean `timeoutMs`\?/);
  });

  it("explains app.use(factory) used without calling it", async () => {
    const app = expressVersions[0].express();
    app.use(createLogoutHandler as never);
    app.use((error: Error, _req: unknown, res: { status: (n: number) => { send: (s: string) => void } }, _next: unknown) => {
      res.status(500).send(error.message);
    });
    const res = await request(app).get("/");
    expect(res.text).toMatch(/createLogoutHandler is a factory: mount `createLogoutHandler\(\{ \.\.\. \}\)`/);
  });

  it("refuses an unknown target, a non-positive timeout, and an empty credential list", () => {
    expect(() => createLogoutHandler({ store, target: "everyone" as never })).toThrow(/`target` must be/);
    expect(() => createLogoutHandler({ store, timeoutMs: 0 })).toThrow(/`timeoutMs` must be a positive number/);
    expect(() => createLogoutHandler({ store, credentials: [] })).toThrow(/`credentials` must be a non-empty array/);
    expect(() => createLogoutHandler({ store, events: {} as never })).toThrow(/`events` must be a `new LogoutEvents\(\)`/);
  });

  it("refuses a shape without a who-am-I answer for whoAmI", () => {
    const { whoAmI: _omit, ...shapeWithout } = shapes.problem;
    expect(() => whoAmI({ store, shape: shapeWithout })).toThrow(/has no who-am-I answer/);
  });
});

describe("issueSession", () => {
  it("returns a 256-bit URL-safe token once and stores only its hash", async () => {
    const store = new MemorySessionStore();
    const { token, session } = await issueSession(store, { userId: "u1", ip: "10.0.0.9", userAgent: "UA", authenticationSource: "login", apiKeyId: "k", tenant: "t" });
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(session.tokenHash).toBe(hashSecret(token));
    expect(JSON.stringify(await store.getSession(session.id))).not.toContain(token);
    expect(session).toMatchObject({ userId: "u1", ip: "10.0.0.9", userAgent: "UA", authenticationSource: "login", apiKeyId: "k", tenant: "t" });
    expect(session.expiresAt - session.createdAt).toBe(24 * 60 * 60 * 1000);
    const other = await issueSession(store, { userId: "u1", tokenPrefix: "ory_st_" });
    expect(other.token).toMatch(/^ory_st_[A-Za-z0-9_-]{43}$/);
    expect(other.token).not.toBe(token);
    store.close();
  });

  it("refuses an empty user id and a non-positive ttl", async () => {
    const store = new MemorySessionStore();
    await expect(issueSession(store, { userId: "" })).rejects.toThrow(TypeError);
    await expect(issueSession(store, { userId: "u", ttlMs: -1 })).rejects.toThrow(TypeError);
    store.close();
  });
});

describe.each(expressVersions)("requireSession on $name", ({ express }) => {
  it("exposes the caller's session and user to later middleware and calls next exactly once", async () => {
    const store = new RecordingStore();
    const { token, session } = await login(store, "alice");
    const app = express();
    let nextCalls = 0;
    app.get("/me", requireSession({ store, users: demoUsers() }), (req, res) => {
      nextCalls += 1;
      const auth = getAuthentication(req);
      res.json({ sessionId: auth?.session.id, username: auth?.user?.username });
    });
    const res = await request(app).get("/me").set("Authorization", `Bearer ${token}`);
    expect(res.body).toEqual({ sessionId: session.id, username: "alice" });
    expect(nextCalls).toBe(1);
  });

  it("answers problem+json 401 without a credential and lets nothing through", async () => {
    const store = new RecordingStore();
    const app = express();
    let reached = false;
    app.get("/me", requireSession({ store }), (_req, res) => {
      reached = true;
      res.end();
    });
    const res = await request(app).get("/me");
    expect(res.status).toBe(401);
    expect(res.headers["content-type"]).toBe("application/problem+json; charset=utf-8");
    expect(res.body).toEqual({ type: "https://express-logout.dev/errors/unauthenticated", title: "Unauthenticated", status: 401, detail: "no credential in the request", code: "unauthenticated" });
    expect(reached).toBe(false);
    expect(store.mutations).toEqual([]);
  });

  it("refuses a session whose user no longer exists", async () => {
    const store = new RecordingStore();
    const { token } = await login(store, "ghost");
    const app = express();
    app.get("/me", requireSession({ store, users: demoUsers() }), (_req, res) => { res.end("reached"); });
    const res = await request(app).get("/me").set("Authorization", `Bearer ${token}`);
    expect(res.status).toBe(401);
  });

  it("records lastSeenAt at most once per touchEveryMs", async () => {
    const store = new RecordingStore();
    const { token, session } = await issueSession(store, { userId: "alice" });
    await store.touchSession(session.id, Date.now() - 120_000);
    store.reset();
    const app = express();
    app.get("/me", requireSession({ store, touchEveryMs: 60_000 }), (_req, res) => { res.end(); });
    await request(app).get("/me").set("Authorization", `Bearer ${token}`).expect(200);
    expect(store.mutations).toEqual(["touchSession"]);
    expect((await store.getSession(session.id))?.lastSeenAt).toBeGreaterThan(Date.now() - 5_000);
    await request(app).get("/me").set("Authorization", `Bearer ${token}`).expect(200);
    expect(store.mutations).toEqual(["touchSession"]);
  });

  it("reads a signed session cookie through cookie-parser and refuses a forged one", async () => {
    const store = new RecordingStore();
    const { token } = await login(store, "alice");
    const app = express();
    app.use(cookieParser("cookie-secret-for-tests-0123456789"));
    app.get("/me", requireSession({ store, credentials: [cookieToken("sid", { signed: true })] }), (_req, res) => { res.end("in"); });
    app.get("/set", (_req, res) => { res.cookie("sid", token, { signed: true }).end(); });
    const setCookie = (await request(app).get("/set")).headers["set-cookie"] as unknown as string[];
    const signed = String(setCookie[0]).split(";")[0] ?? "";
    await request(app).get("/me").set("Cookie", signed).expect(200);
    const forged = await request(app).get("/me").set("Cookie", `sid=${encodeURIComponent(`s:${token}.forgedsignature`)}`);
    expect(forged.status).toBe(401);
    const unsigned = await request(app).get("/me").set("Cookie", `sid=${token}`);
    expect(unsigned.status).toBe(401);
  });

  it("reads an unsigned cookie without cookie-parser", async () => {
    const store = new RecordingStore();
    const { token } = await login(store, "alice");
    const app = express();
    app.get("/me", requireSession({ store, credentials: [cookieToken("sid")] }), (_req, res) => { res.end("in"); });
    await request(app).get("/me").set("Cookie", `other=1; sid=${token}`).expect(200);
  });

  it("treats a malformed credential as a refusal, never falling through to the next source", async () => {
    const store = new RecordingStore();
    const { token } = await login(store, "alice");
    const app = express();
    app.get("/me", requireSession({ store, credentials: [bearerToken(), cookieToken("sid")] }), (_req, res) => { res.end("in"); });
    const res = await request(app).get("/me").set("Authorization", "Bearer a b").set("Cookie", `sid=${token}`);
    expect(res.status).toBe(401);
  });
});

describe("events", () => {
  it("isolates a listener that throws: the logout still answers 200", async () => {
    const store = new MemorySessionStore();
    const events = new LogoutEvents();
    events.on("session.ended", () => {
      throw new Error("audit sink down");
    });
    const app = expressVersions[0].express();
    app.get("/logout", createLogoutHandler({ store, events }));
    const { token } = await login(store, "alice");
    const res = await request(app).get("/logout").set("Authorization", `Bearer ${token}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ended: 1, sessionId: expect.any(String) as string });
    store.close();
  });

  it("carries no token or token hash in any event", async () => {
    const store = new MemorySessionStore();
    const events = new LogoutEvents();
    const seen: unknown[] = [];
    for (const name of ["session.ended", "sessions.ended", "logout.refused", "store.error"] as const) events.on(name, (e) => seen.push(e));
    const app = expressVersions[0].express();
    app.get("/logout", createLogoutHandler({ store, events }));
    app.get("/logout-all", createLogoutHandler({ store, events, target: "all" }));
    const a = await login(store, "alice");
    const b = await login(store, "alice");
    await request(app).get("/logout").set("Authorization", `Bearer ${a.token}`);
    await request(app).get("/logout").set("Authorization", `Bearer ${a.token}`);
    await request(app).get("/logout-all").set("Authorization", `Bearer ${b.token}`);
    expect(seen).toHaveLength(3);
    const text = JSON.stringify(seen);
    for (const secret of [a.token, b.token, a.session.tokenHash, b.session.tokenHash]) expect(text).not.toContain(secret);
    store.close();
  });
});

describe("LogoutError", () => {
  it("follows the http-errors convention", () => {
    const error = new LogoutError("store-unavailable", "down", { retryAfterSeconds: 3 });
    expect(error).toBeInstanceOf(Error);
    expect([error.name, error.code, error.status, error.statusCode, error.expose]).toEqual(["LogoutError", "store-unavailable", 503, 503, false]);
    expect(new LogoutError("unauthenticated").expose).toBe(true);
  });
});

describe.each(expressVersions)("createLogoutHandler targets on $name", ({ express }) => {
  it("ends all but the current session with target others, and answers the count", async () => {
    const store = new RecordingStore();
    const current = await login(store, "alice");
    await login(store, "alice");
    await login(store, "alice");
    const app = express();
    app.post("/logout-others", createLogoutHandler({ store, target: "others" }));
    const res = await request(app).post("/logout-others").set("Authorization", `Bearer ${current.token}`);
    expect(res.body).toEqual({ ended: 2 });
    expect((await store.listSessions("alice")).map((s) => s.id)).toEqual([current.session.id]);
  });

  it("ends a session named by the request, and answers not-found for another user's with ownSessionsOnly", async () => {
    const store = new RecordingStore();
    const me = await login(store, "alice");
    const mine = await login(store, "alice");
    const theirs = await login(store, "admin");
    const app = express();
    app.delete("/sessions/:id", createLogoutHandler({ store, target: (req) => String(req.params.id), ownSessionsOnly: true }));
    const ok = await request(app).delete(`/sessions/${mine.session.id}`).set("Authorization", `Bearer ${me.token}`);
    expect(ok.body).toEqual({ ended: 1, sessionId: mine.session.id });
    store.reset();
    const refused = await request(app).delete(`/sessions/${theirs.session.id}`).set("Authorization", `Bearer ${me.token}`);
    expect(refused.status).toBe(404);
    expect(store.mutations).toEqual([]);
    expect(await store.getSession(theirs.session.id)).toEqual(theirs.session);
  });

  it("ends the API key's sessions with target api-key from a session opened with that key", async () => {
    const store = new RecordingStore();
    const keyA = await login(store, "alice", { apiKeyId: "a" });
    const keyA2 = await login(store, "alice", { apiKeyId: "a" });
    const keyB = await login(store, "alice", { apiKeyId: "b" });
    const app = express();
    app.post("/logout-key", createLogoutHandler({ store, target: "api-key" }));
    const res = await request(app).post("/logout-key").set("Authorization", `Bearer ${keyA.token}`);
    expect(res.body).toEqual({ ended: 2 });
    expect(await store.getSession(keyA2.session.id)).toBeUndefined();
    expect(await store.getSession(keyB.session.id)).toEqual(keyB.session);
  });
});
