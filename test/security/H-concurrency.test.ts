/**
 * Security test matrix, group H: concurrency and idempotency. Two logouts of one session, a logout racing the
 * session's own requests, an administrator racing the target, and `next()` called exactly once on every path.
 */
import type { NextFunction, Request, RequestHandler, Response } from "express";
import request from "supertest";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  LogoutError,
  MemorySessionStore,
  browserLogoutFlow,
  createLogoutHandler,
  hashSecret,
  issueSession,
  requirePermission,
  requireSession,
  requireTotp,
} from "../../src/index.js";
import { expressVersions } from "../helpers/express.js";
import { credentials, demo, exampleHarness, kratosLogoutToken, selfLogouts, switchableStore, type Harness } from "../helpers/example.js";
import { ADMIN_SECRET, TestDirectory, codeAt } from "../helpers/rocket-chat.js";

describe("H80: two simultaneous logouts of one session", () => {
  const h = exampleHarness();
  /** The second answer each product gives (see A3): a repeated success, or a 401 for a token that names nobody. */
  const loser: Record<string, readonly number[]> = {
    "Endor GET /v1/auth/:source/logout": [200, 401],
    "SOAJS GET /urac/logout": [200],
    "Rocket.Chat POST /api/v1/logout": [200, 401],
    "Kratos browser GET /self-service/logout": [303, 401],
    "Kratos native DELETE /self-service/logout/api": [204],
  };

  it.each(selfLogouts)("$name: one ends it, the other does no harm, and one ending is reported", async (logout) => {
    const caller = await h.login("alice");
    const bystander = await h.login("alice");
    if (logout.name.startsWith("Kratos browser")) {
      const token = await kratosLogoutToken(h.app, caller.token);
      const send = () => request(h.app).get("/self-service/logout").query({ token }).set(credentials.kratosCookie(caller.token));
      const statuses = (await Promise.all([send(), send()])).map((r) => r.status);
      expect(statuses).toContain(logout.success);
      for (const s of statuses) expect(loser[logout.name]).toContain(s);
    } else {
      const statuses = (await Promise.all([logout.send(h.app, caller), logout.send(h.app, caller)])).map((r) => r.status);
      expect(statuses).toContain(logout.success);
      for (const s of statuses) expect(loser[logout.name]).toContain(s);
    }
    expect(await h.base.getSession(caller.session.id)).toBeUndefined();
    expect(await h.base.getSession(bystander.session.id)).toEqual(bystander.session);
    expect(h.ended().filter((e) => e.sessionId === caller.session.id)).toHaveLength(1);
  });
});

describe.each(expressVersions)("H81: a logout racing requests of the same session, on $name", ({ express }) => {
  it("leaves no way back: no touch resurrects the session, and every request after the logout's answer is a 401", async () => {
    const store = new MemorySessionStore();
    const app = express();
    app.get("/work", requireSession({ store, touchEveryMs: 1 }), (_req, res) => { res.send("done"); });
    app.post("/logout", createLogoutHandler({ store }));
    for (let round = 0; round < 10; round++) {
      const { token, session } = await issueSession(store, { userId: "alice" });
      // Let `touchEveryMs` pass so every request of the burst writes lastSeenAt.
      await new Promise((resolve) => setTimeout(resolve, 2));
      const burst = Array.from({ length: 15 }, () => request(app).get("/work").set("Authorization", `Bearer ${token}`));
      const logout = request(app).post("/logout").set("Authorization", `Bearer ${token}`);
      const [out, ...work] = await Promise.all([logout, ...burst]);
      expect(out.status).toBe(200);
      for (const res of work) expect([200, 401]).toContain(res.status);
      expect(await store.getSession(session.id)).toBeUndefined();
      expect(await store.findSessionByTokenHash(hashSecret(token))).toBeUndefined();
      expect((await request(app).get("/work").set("Authorization", `Bearer ${token}`)).status).toBe(401);
    }
    store.close();
  });

  it("a touch that lands after the revocation writes nothing", async () => {
    const store = new MemorySessionStore();
    const { session } = await issueSession(store, { userId: "alice" });
    await store.revokeSession(session.id);
    await store.touchSession(session.id, Date.now());
    expect(await store.getSession(session.id)).toBeUndefined();
    expect(await store.listSessions("alice")).toEqual([]);
    store.close();
  });
});

describe("H83: an administrator ends a session while its owner logs out of it", () => {
  let h: Harness;
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["Date"] });
    h = exampleHarness();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("both answer without a 5xx, the session is gone, and its end is reported once", async () => {
    for (let round = 0; round < 8; round++) {
      // A fresh time step each round: a code is good once per step.
      vi.setSystemTime(Date.parse("2030-06-01T12:00:10Z") + round * 90_000);
      const admin = await h.login("admin");
      const target = await h.login("alice");
      const [byAdmin, byOwner] = await Promise.all([
        request(h.app)
          .post("/api/v1/sessions/logout")
          .set({ ...credentials.rocketChat("admin", admin.token), "x-2fa-code": await codeAt(demo.adminTotpSecret) })
          .send({ sessionId: target.session.id }),
        request(h.app).post("/api/v1/logout").set(credentials.rocketChat("alice", target.token)),
      ]);
      expect([200, 404]).toContain(byAdmin.status);
      expect([200, 401]).toContain(byOwner.status);
      expect([byAdmin.status, byOwner.status]).toContain(200);
      expect(await h.base.getSession(target.session.id)).toBeUndefined();
      // The admin's own session lives on; its TOTP step-up is recorded on it (a fresh authentication).
      expect(await h.base.getSession(admin.session.id)).toEqual({ ...admin.session, authenticatedAt: Date.now(), amr: ["totp"] });
      expect(h.ended().filter((e) => e.sessionId === target.session.id)).toHaveLength(1);
    }
  });
});

describe.each(expressVersions)("H84: next() is called exactly once, or never, on every path, on $name", ({ express }) => {
  const users = new TestDirectory();

  /** Mounts `handlers` with every `next` counted; the route's last handler answers 200 "reached". */
  async function run(handlers: RequestHandler[], send: (agent: ReturnType<typeof request>) => request.Test) {
    const calls: { index: number; error: unknown }[] = [];
    const hostErrors: unknown[] = [];
    const app = express();
    const counted = handlers.map((handler, index) => (req: Request, res: Response, next: NextFunction) => {
      handler(req, res, (error?: unknown) => {
        calls.push({ index, error });
        next(error);
      });
    });
    app.all("/x", ...counted, (_req: Request, res: Response) => { res.send("reached"); });
    app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
      hostErrors.push(error);
      if (!res.headersSent) res.status(500).send("host error");
    });
    const res = await send(request(app));
    // Anything a handler did after answering would show up now.
    await new Promise((resolve) => setTimeout(resolve, 20));
    return { res, calls, hostErrors };
  }

  it.each([
    ["requireSession, success", "session", 200, [0]],
    ["requireSession, no credential", "none", 401, []],
    ["requireSession, store down", "store-down", 503, []],
    ["requirePermission, success", "permission", 200, [0, 1]],
    ["requirePermission, refused", "permission-alice", 403, [0]],
    ["requireTotp, success", "totp", 200, [0, 1, 2]],
    ["requireTotp, no code", "totp-missing", 400, [0, 1]],
    ["createLogoutHandler, success", "logout", 200, [0]],
    ["createLogoutHandler, unknown token", "logout-unknown", 401, []],
  ] as const)("%s", async (_what, scenario, status, expectedNexts) => {
    const store = new MemorySessionStore();
    const admin = await issueSession(store, { userId: "admin" });
    const alice = await issueSession(store, { userId: "alice" });
    const down = switchableStore(store);
    down.fail("throw", "findSessionByTokenHash");
    const common = { store, users };
    const session = requireSession(common);
    const chain: Record<string, RequestHandler[]> = {
      session: [session],
      none: [session],
      "store-down": [requireSession({ store: down })],
      permission: [session, requirePermission("logout-device-management", common)],
      "permission-alice": [session, requirePermission("logout-device-management", common)],
      totp: [session, requirePermission("logout-device-management", common), requireTotp(common)],
      "totp-missing": [session, requirePermission("logout-device-management", common), requireTotp(common)],
      logout: [session, createLogoutHandler(common)],
      "logout-unknown": [createLogoutHandler(common)],
    };
    const token = scenario === "permission-alice" ? alice.token : admin.token;
    const code = await codeAt(ADMIN_SECRET);
    const { res, calls, hostErrors } = await run(chain[scenario]!, (agent) => {
      const r = agent.post("/x");
      if (scenario === "none") return r;
      if (scenario === "logout-unknown") return r.set("Authorization", `Bearer ${"u".repeat(43)}`);
      return scenario === "totp" ? r.set({ Authorization: `Bearer ${token}`, "x-2fa-code": code }) : r.set("Authorization", `Bearer ${token}`);
    });
    expect(res.status).toBe(status);
    expect(calls.map((c) => c.index)).toEqual(expectedNexts);
    expect(calls.every((c) => c.error === undefined)).toBe(true);
    expect(hostErrors).toEqual([]);
    store.close();
  });

  it("hands a host error (not a LogoutError) to next exactly once, and answers nothing itself", async () => {
    const store = new MemorySessionStore();
    const { token } = await issueSession(store, { userId: "alice" });
    const boom = new TypeError("host bug");
    const target = () => {
      throw boom;
    };
    const { res, calls, hostErrors } = await run([createLogoutHandler({ store, target })], (agent) => agent.post("/x").set("Authorization", `Bearer ${token}`));
    expect([res.status, res.text]).toEqual([500, "host error"]);
    expect(calls).toEqual([{ index: 0, error: boom }]);
    expect(hostErrors).toEqual([boom]);
    store.close();
  });

  it("a validate step that throws a LogoutError is answered, and next is never called", async () => {
    const store = new MemorySessionStore();
    const { token } = await issueSession(store, { userId: "admin" });
    const validate = () => {
      throw new LogoutError("bad-request", "no");
    };
    const { res, calls } = await run([requirePermission("logout-device-management", { store, users, validate })], (agent) => agent.post("/x").set("Authorization", `Bearer ${token}`));
    expect(res.status).toBe(400);
    expect(calls).toEqual([]);
    store.close();
  });

  it("the browser flow's routes answer on their own and never call next, on success or refusal", async () => {
    const store = new MemorySessionStore();
    const { token, session } = await issueSession(store, { userId: "alice" });
    const flow = browserLogoutFlow({ store, publicUrl: "https://auth.example.com", secrets: ["s".repeat(32)] });
    for (const [query, status] of [["token=wrong", 403], [`token=${flow.logoutToken(session)}`, 303], [`token=${flow.logoutToken(session)}`, 401]] as const) {
      const { res, calls, hostErrors } = await run([flow.logout], (agent) => agent.get(`/x?${query}`).set("X-Session-Token", token));
      expect(res.status).toBe(status);
      expect(calls).toEqual([]);
      expect(hostErrors).toEqual([]);
    }
    store.close();
  });
});
