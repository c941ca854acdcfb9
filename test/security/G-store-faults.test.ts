/**
 * Security test matrix, group G: a store that fails, hangs, is slow, or fails half-way, behind every logout of
 * the example app. The Redis half (offline queue, a real server going away) is in the Redis suite; this file
 * injects the faults with a store wrapper in front of the memory store.
 */
import express from "express";
import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MemorySessionStore, createLogoutHandler, issueSession, allStoreMethods, type CompleteSessionStore } from "../../src/index.js";
import { codeAt } from "../helpers/rocket-chat.js";
import { credentials, demo, exampleHarness, kratosLogoutToken, selfLogouts, switchableStore, type Harness, type SwitchableStore } from "../helpers/example.js";
import type { RecordingStore } from "../helpers/store.js";

let unhandled: unknown[];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeEach(() => {
  unhandled = [];
  process.on("unhandledRejection", onUnhandled);
});

afterEach(() => {
  process.off("unhandledRejection", onUnhandled);
  expect(unhandled).toEqual([]);
});

function faultyHarness(): { h: Harness; store: SwitchableStore } {
  let store: SwitchableStore | undefined;
  const h = exampleHarness({
    wrap: (base: RecordingStore) => {
      store = switchableStore(base);
      return store;
    },
  });
  return { h, store: store! };
}

describe("G71: every logout answers 503 with Retry-After while the store throws, ends nothing, and works once it is back", () => {
  const { h, store } = faultyHarness();

  it.each(selfLogouts)("$name", async (logout) => {
    const caller = await h.login("alice");
    const before = await h.base.snapshot("alice", "admin");
    store.fail("throw");
    const res = await logout.send(h.app, caller);
    store.heal();
    expect(res.status).toBe(503);
    expect(res.headers["retry-after"]).toBe("5");
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(res.headers.location).toBeUndefined();
    expect(res.headers["set-cookie"]).toBeUndefined();
    expect(res.text).not.toMatch(/ECONNREFUSED|6379|at .*\.ts/);
    expect(await h.base.snapshot("alice", "admin")).toEqual(before);
    const retry = await logout.send(h.app, caller);
    expect(retry.status).toBe(logout.success);
    expect(await h.base.getSession(caller.session.id)).toBeUndefined();
  });
});

/** Every way of ending a session the example app serves, with the status of its success. */
const flows: readonly { name: string; success: number; run: (h: Harness) => Promise<request.Response> }[] = [
  ...selfLogouts.map((logout) => ({ name: logout.name, success: logout.success, run: async (h: Harness) => logout.send(h.app, await h.login("alice")) })),
  {
    name: "Rocket.Chat POST /api/v1/sessions/logout (administrator)",
    success: 200,
    async run(h) {
      const admin = await h.login("admin");
      const target = await h.login("alice");
      return request(h.app)
        .post("/api/v1/sessions/logout")
        .set({ ...credentials.rocketChat("admin", admin.token), "x-2fa-code": await codeAt(demo.adminTotpSecret) })
        .send({ sessionId: target.session.id });
    },
  },
  {
    name: "Rocket.Chat POST /api/v1/sessions/logout.me",
    success: 200,
    async run(h) {
      const caller = await h.login("alice");
      const other = await h.login("alice");
      return request(h.app).post("/api/v1/sessions/logout.me").set(credentials.rocketChat("alice", caller.token)).send({ sessionId: other.session.id });
    },
  },
  {
    name: "Kratos DELETE /sessions",
    success: 200,
    async run(h) {
      const caller = await h.login("alice");
      await h.login("alice");
      return request(h.app).delete("/sessions").set(credentials.kratosHeader(caller.token));
    },
  },
  {
    name: "Kratos DELETE /sessions/:id",
    success: 204,
    async run(h) {
      const caller = await h.login("alice");
      const other = await h.login("alice");
      return request(h.app).delete(`/sessions/${other.session.id}`).set(credentials.kratosHeader(caller.token));
    },
  },
  {
    name: "Endor GET /v1/auth/api-key/logout",
    success: 200,
    async run(h) {
      await h.login("alice", { apiKeyId: `apikey-${demo.apiKey}` });
      return request(h.app).get("/v1/auth/api-key/logout").set({ "X-Api-Key": demo.apiKey, "X-Api-Secret": demo.apiSecret });
    },
  },
];

const SELF = selfLogouts.map((l) => l.name);
const [ENDOR, SOAJS, RC_LOGOUT, KRATOS_BROWSER, KRATOS_NATIVE] = SELF as [string, string, string, string, string];
const [RC_ADMIN, RC_ME, KRATOS_OTHERS, KRATOS_ONE, ENDOR_KEY] = flows.slice(SELF.length).map((f) => f.name) as [string, string, string, string, string];

/** The store methods each flow calls, as far as a failure of the method stops it. */
const needs: Partial<Record<keyof CompleteSessionStore, readonly string[]>> = {
  findSessionByTokenHash: [...SELF, RC_ADMIN, RC_ME, KRATOS_OTHERS, KRATOS_ONE],
  // Kratos' DELETE /sessions/:id reads the victim first: its revoked-token marker is keyed by the victim's token.
  getSession: [KRATOS_ONE],
  revokeSession: [ENDOR, SOAJS, RC_LOGOUT],
  // A session named by id is read, checked and ended in one call; Kratos' revocations leave, in that same call, the
  // marker that lets native logout answer 204 again.
  endSessionById: [KRATOS_BROWSER, KRATOS_NATIVE, RC_ADMIN, RC_ME, KRATOS_ONE],
  revokeUserSessions: [KRATOS_OTHERS, ENDOR_KEY],
  // The admin route counts attempts and claims the code's step (the memory store has no one-call TOTP attempt).
  incrementCounter: [RC_ADMIN],
  readCounter: [RC_ADMIN],
  claim: [RC_ADMIN],
  // A passed TOTP code is recorded on the administrator's session as a fresh authentication (step-up).
  recordAuthentication: [RC_ADMIN],
  // The admin route's TOTP throttle reads whether a lock-out holds before it counts the attempt.
  isClaimed: [RC_ADMIN],
};

describe("G71/G77: with any one store method failing, every flow either succeeds untouched by it or answers 503 having ended nothing", () => {
  it.each(allStoreMethods)("%s fails", async (method) => {
    const { h, store } = faultyHarness();
    const outcomes: string[] = [];
    for (const flow of flows) {
      const endings = () => h.events.filter((e) => e.name === "session.ended" || e.name === "sessions.ended").length;
      const storeErrors = () => h.events.filter((e) => e.name === "store.error").length;
      const [endedBefore, errorsBefore] = [endings(), storeErrors()];
      // The flow opens its own sessions straight in the recording store; only the app's view of it fails.
      const before = await h.base.snapshot("alice", "admin");
      const opened = () => h.base.log.filter((call) => call.method === "createSession").length;
      const openedBefore = opened();
      store.fail("throw", method);
      const res = await flow.run(h);
      store.heal();
      outcomes.push(`${flow.name}: ${String(res.status)}`);
      expect([flow.success, 503], `${flow.name} with ${method} failing`).toContain(res.status);
      if (res.status === 503) {
        expect(res.headers["retry-after"]).toBe("5");
        expect(res.headers.location).toBeUndefined();
        expect(res.headers["set-cookie"]).toBeUndefined();
        // Every session that lived before still lives, and so does every one the flow opened.
        const after = await h.base.snapshot("alice", "admin");
        for (const session of before) expect(after).toContainEqual(session);
        expect(after.length).toBe(before.length + opened() - openedBefore);
        expect(endings()).toBe(endedBefore);
        expect(storeErrors()).toBeGreaterThan(errorsBefore);
      }
    }
    // Which flows need the method, and so fail closed without it (the others never call it).
    const failed = outcomes.filter((o) => o.endsWith(": 503")).map((o) => o.slice(0, -": 503".length));
    expect(failed).toEqual(flows.map((f) => f.name).filter((name) => (needs[method] ?? []).includes(name)));
  });
});

describe("G72/G75: a store call that settles after the deadline", () => {
  it("gets one 503, and its late success writes nothing more: no second answer, no error, no unhandled rejection", async () => {
    const base = new MemorySessionStore();
    const { token, session } = await issueSession(base, { userId: "alice" });
    const late: CompleteSessionStore = Object.fromEntries(
      allStoreMethods.map((name) => [name, (...args: unknown[]) => (base as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[name]!.apply(base, args)]),
    ) as unknown as CompleteSessionStore;
    let settled = false;
    late.revokeSession = (id) =>
      new Promise((resolve) => {
        setTimeout(() => {
          settled = true;
          resolve(base.revokeSession(id));
        }, 120);
      });
    const hostErrors: unknown[] = [];
    const app = express();
    app.get("/logout", createLogoutHandler({ store: late, timeoutMs: 30 }));
    app.use((error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      hostErrors.push(error);
      res.status(500).end();
    });
    const res = await request(app).get("/logout").set("Authorization", `Bearer ${token}`);
    expect(res.status).toBe(503);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(settled).toBe(true);
    expect(hostErrors).toEqual([]);
    // The store finished the revocation after all: the client retries and learns the session is gone.
    expect(await base.getSession(session.id)).toBeUndefined();
    expect((await request(app).get("/logout").set("Authorization", `Bearer ${token}`)).status).toBe(401);
    base.close();
  });
});

describe("G73: a slow store within the deadline", () => {
  it.each(selfLogouts)("$name still succeeds", async (logout) => {
    const h = exampleHarness({
      wrap: (base) =>
        Object.fromEntries(
          allStoreMethods.map((name) => [
            name,
            async (...args: unknown[]) => {
              await new Promise((resolve) => setTimeout(resolve, 15));
              return (base as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[name]!.apply(base, args);
            },
          ]),
        ) as unknown as CompleteSessionStore,
    });
    const caller = await h.login("alice");
    expect((await logout.send(h.app, caller)).status).toBe(logout.success);
    expect(await h.base.getSession(caller.session.id)).toBeUndefined();
  });
});

describe("G76: ending all other sessions fails half-way", () => {
  it("answers 503 without a count, and a retry ends the rest", async () => {
    let failOnce = true;
    const h = exampleHarness({
      wrap: (base) => {
        const store = switchableStore(base);
        store.revokeUserSessions = async (userId, options) => {
          if (!failOnce) return base.revokeUserSessions(userId, options);
          failOnce = false;
          // One session ends, then the connection drops.
          const victim = (await base.listSessions(userId)).find((s) => s.id !== options?.exceptSessionId);
          if (victim !== undefined) await base.revokeSession(victim.id);
          throw new Error("ECONNRESET");
        };
        return store;
      },
    });
    const caller = await h.login("alice");
    for (let i = 0; i < 3; i++) await h.login("alice");
    const bystander = await h.login("admin");
    const res = await request(h.app).delete("/sessions").set(credentials.kratosHeader(caller.token));
    expect(res.status).toBe(503);
    expect(res.text).not.toContain("count");
    expect(h.events.filter((e) => e.name === "sessions.ended")).toEqual([]);
    const retry = await request(h.app).delete("/sessions").set(credentials.kratosHeader(caller.token));
    expect([retry.status, retry.text]).toEqual([200, '{"count":2}']);
    expect(await h.base.snapshot("alice")).toEqual([caller.session]);
    expect(await h.base.snapshot("admin")).toEqual([bystander.session]);
  });
});

describe("G74: a store that is down never reads as 'nobody is logged in'", () => {
  it("SOAJS (whose logout without a session is a success) answers 503, not result:true, while the store fails", async () => {
    const { h, store } = faultyHarness();
    const caller = await h.login("alice");
    store.fail("throw", "findSessionByTokenHash");
    const res = await request(h.app).get("/urac/logout").set(credentials.soajs(caller.token));
    store.heal();
    expect(res.status).toBe(503);
    expect((res.body as { result: boolean }).result).toBe(false);
    expect(await h.base.getSession(caller.session.id)).toEqual(caller.session);
  });

  it("the Kratos logout URL is not issued while the store fails", async () => {
    const { h, store } = faultyHarness();
    const caller = await h.login("alice");
    store.fail("throw", "findSessionByTokenHash");
    const res = await request(h.app).get("/self-service/logout/browser").set(credentials.kratosCookie(caller.token));
    store.heal();
    expect(res.status).toBe(503);
    expect(res.text).not.toContain("logout_token");
    expect(await kratosLogoutToken(h.app, caller.token)).toMatch(/^ory_lo_/);
  });
});

describe("G71: events tell the operator, never the client", () => {
  it("a store failure emits store.error with the operation, and the answer names no backend detail", async () => {
    const { h, store } = faultyHarness();
    const caller = await h.login("alice");
    store.fail("throw", "revokeSession");
    const res = await request(h.app).post("/api/v1/logout").set(credentials.rocketChat("alice", caller.token));
    store.heal();
    expect(res.status).toBe(503);
    expect(h.events.filter((e) => e.name === "store.error").map((e) => (e.event as { operation: string }).operation)).toEqual(["revokeSession"]);
    expect(res.text).not.toMatch(/ECONNREFUSED|revokeSession/);
  });
});

describe("G71: the example app's logins fail closed too", () => {
  it.each([
    ["/v1/auth/login", { username: "alice", password: demo.alicePassword }],
    ["/api/v1/login", { user: "alice", password: demo.alicePassword }],
    ["/self-service/login", { username: "alice", password: demo.alicePassword }],
  ] as const)("POST %s while the store fails is a 503 with Retry-After, and no session opens", async (path, body) => {
    const { h, store } = faultyHarness();
    store.fail("throw", "createSession");
    const res = await request(h.app).post(path).send(body);
    store.heal();
    expect([res.status, res.headers["retry-after"]]).toEqual([503, "5"]);
    expect(res.headers["set-cookie"]).toBeUndefined();
    expect(await h.base.snapshot("alice")).toEqual([]);
  });
});
