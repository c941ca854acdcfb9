import request from "supertest";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LogoutEvents, MemorySessionStore, createLogoutHandler, encodeSoajsAuth, requireSession, shapes, type CompleteSessionStore } from "../src/index.js";
import { expressVersions } from "./helpers/express.js";
import { demoUsers, login } from "./helpers/fixture.js";
import { brokenStore, withoutOneCallEnding } from "./helpers/store.js";

describe.each(expressVersions)("a store that fails or hangs, on $name", ({ express }) => {
  let base: MemorySessionStore;
  let unhandled: unknown[];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  const users = demoUsers();

  beforeEach(() => {
    base = new MemorySessionStore();
    unhandled = [];
    process.on("unhandledRejection", onUnhandled);
  });
  afterEach(() => {
    process.off("unhandledRejection", onUnhandled);
    vi.useRealTimers();
    base.close();
  });

  function app(store: CompleteSessionStore, events?: LogoutEvents) {
    const a = express();
    const common = { store, users, ...(events === undefined ? {} : { events }), timeoutMs: 2_000 };
    a.get("/v1/auth/:authentication_source/logout", createLogoutHandler({ ...common, shape: shapes.endor }));
    a.get("/urac/logout", createLogoutHandler({ ...common, shape: shapes.soajs }));
    a.get("/problem/logout", createLogoutHandler({ ...common, shape: shapes.problem }));
    a.get("/protected", requireSession({ ...common, shape: shapes.endor }), (_req, res) => { res.json({ ok: true }); });
    return a;
  }

  it("answers Endor 503 code 14 with Retry-After when the store throws, and the session lives on", async () => {
    const store = brokenStore("throw", base);
    store.failing = false;
    const { token, session } = await login(store, "alice");
    store.failing = true;
    const events = new LogoutEvents();
    const errors: string[] = [];
    events.on("store.error", (e) => errors.push(e.operation));
    const res = await request(app(store, events)).get("/v1/auth/login/logout").set("Authorization", `Bearer ${token}`);
    expect(res.status).toBe(503);
    expect(res.headers["retry-after"]).toBe("5");
    expect(res.text).toBe('{"code":14,"message":"session store unavailable","details":[]}');
    // The memory store ends a logout's session in one call: that call is the one that failed.
    expect(errors).toEqual(["endSessionByTokenHash"]);
    expect(await base.getSession(session.id)).toEqual(session);
    expect(unhandled).toEqual([]);
  });

  it("answers SOAJS 503 code 163 with Retry-After when the store throws, never result:true", async () => {
    const store = brokenStore("throw", base);
    store.failing = false;
    const { token, session } = await login(store, "alice");
    store.failing = true;
    const res = await request(app(store)).get("/urac/logout").set("key", "demo-tenant-key").set("soajsauth", encodeSoajsAuth(token));
    expect(res.status).toBe(503);
    expect(res.headers["retry-after"]).toBe("5");
    expect(res.text).toBe('{"result":false,"errors":{"codes":[163],"details":[{"code":163,"message":"Error in persisting the session"}]}}');
    expect(await base.getSession(session.id)).toEqual(session);
  });

  it("answers problem+json 503 when the store hangs past the timeout, and nothing claims success later", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const store = brokenStore("hang", base);
    store.failing = false;
    const { token, session } = await login(store, "alice");
    store.failing = true;
    const pending = request(app(store)).get("/problem/logout").set("Authorization", `Bearer ${token}`).then((r) => r);
    await vi.waitFor(() => {
      expect(vi.getTimerCount()).toBeGreaterThan(0);
    });
    await vi.advanceTimersByTimeAsync(2_001);
    const res = await pending;
    expect(res.status).toBe(503);
    expect(res.headers["content-type"]).toBe("application/problem+json; charset=utf-8");
    expect(res.headers["retry-after"]).toBe("5");
    expect((res.body as { code: string }).code).toBe("store-unavailable");
    expect(await base.getSession(session.id)).toEqual(session);
    expect(unhandled).toEqual([]);
  });

  it("answers 503 when the store fails between authentication and revocation, never 200", async () => {
    const { token, session } = await login(base, "alice");
    const flaky: CompleteSessionStore = Object.assign(Object.create(base) as CompleteSessionStore, {
      revokeSession: () => Promise.reject(new Error("connection reset")),
    });
    const res = await request(app(flaky)).get("/v1/auth/login/logout").set("Authorization", `Bearer ${token}`);
    expect(res.status).toBe(503);
    expect(await base.getSession(session.id)).toEqual(session);
  });

  it("refuses protected routes with 503 while the store is down, never letting a request through", async () => {
    const store = brokenStore("throw", base);
    store.failing = false;
    const { token } = await login(store, "alice");
    store.failing = true;
    const res = await request(app(store)).get("/protected").set("Authorization", `Bearer ${token}`);
    expect(res.status).toBe(503);
    expect(res.text).not.toContain("ok");
  });

  it("answers 503 when a host callback (findUser) throws before the ending, and the session lives on", async () => {
    const { token, session } = await login(base, "alice");
    const a = express();
    // A store without the one-call ending reads the session, then the user, then revokes: the failure comes first.
    a.get("/x/:authentication_source/logout", createLogoutHandler({
      store: withoutOneCallEnding(base),
      shape: shapes.endor,
      users: { findUser: () => Promise.reject(new Error("db down")) },
    }));
    const res = await request(a).get("/x/login/logout").set("Authorization", `Bearer ${token}`);
    expect(res.status).toBe(503);
    expect(await base.getSession(session.id)).toEqual(session);
  });

  it("answers 503 when findUser throws after a one-call ending, the session stays ended and a retry is answered as for an ended token", async () => {
    const { token, session } = await login(base, "alice");
    const events = new LogoutEvents();
    const ended: string[] = [];
    events.on("session.ended", (e) => ended.push(e.sessionId));
    const a = express();
    // The store ends the session in the same call that finds it; the user is read for the answer afterwards.
    a.get("/x/:authentication_source/logout", createLogoutHandler({
      store: base,
      shape: shapes.endor,
      events,
      users: { findUser: () => Promise.reject(new Error("db down")) },
    }));
    const res = await request(a).get("/x/login/logout").set("Authorization", `Bearer ${token}`);
    expect(res.status).toBe(503);
    expect(await base.getSession(session.id)).toBeUndefined();
    expect(ended).toEqual([session.id]);
    expect((await request(a).get("/x/login/logout").set("Authorization", `Bearer ${token}`)).status).toBe(401);
  });
});

describe.each(expressVersions)("concurrent logouts on $name", ({ express }) => {
  it("answers two concurrent logouts of one session as documented: one 200, the other 200 or 401, and the session is gone", async () => {
    const store = new MemorySessionStore();
    const users = demoUsers();
    const a = express();
    a.get("/v1/auth/:authentication_source/logout", createLogoutHandler({ store, users, shape: shapes.endor }));
    const { token, session } = await login(store, "alice");
    const [r1, r2] = await Promise.all([
      request(a).get("/v1/auth/login/logout").set("Authorization", `Bearer ${token}`),
      request(a).get("/v1/auth/login/logout").set("Authorization", `Bearer ${token}`),
    ]);
    const statuses = [r1.status, r2.status].sort();
    expect(statuses[0]).toBe(200);
    expect([200, 401]).toContain(statuses[1]);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(await store.getSession(session.id)).toBeUndefined();
    store.close();
  });

  it("answers two concurrent SOAJS logouts with result:true each, one with the user and one with data:true", async () => {
    const store = new MemorySessionStore();
    const a = express();
    a.get("/urac/logout", createLogoutHandler({ store, users: demoUsers(), shape: shapes.soajs }));
    const { token } = await login(store, "alice");
    const handle = encodeSoajsAuth(token);
    const results = await Promise.all([1, 2].map(() => request(a).get("/urac/logout").set("key", "demo-tenant-key").set("soajsauth", handle)));
    expect(results.map((r) => r.status)).toEqual([200, 200]);
    const data = results.map((r) => (r.body as { data: unknown }).data);
    expect(data.filter((d) => d === true)).toHaveLength(1);
    expect(data.filter((d) => typeof d === "object")).toHaveLength(1);
    store.close();
  });
});
