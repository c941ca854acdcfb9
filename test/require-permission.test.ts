import type { NextFunction, Request, Response } from "express";
import request from "supertest";
import { beforeEach, describe, expect, it } from "vitest";
import {
  LogoutError,
  LogoutEvents,
  MemorySessionStore,
  getAuthentication,
  issueSession,
  requirePermission,
  requireSession,
  shapes,
  type LogoutEventMap,
  type RequirePermissionOptions,
} from "../src/index.js";
import { expressVersions } from "./helpers/express.js";
import { TestDirectory } from "./helpers/rocket-chat.js";
import { RecordingStore } from "./helpers/store.js";

describe.each(expressVersions)("requirePermission on $name", ({ express }) => {
  let store: RecordingStore;
  let users: TestDirectory;
  let events: LogoutEvents;
  let refused: LogoutEventMap["logout.refused"][];

  beforeEach(() => {
    store = new RecordingStore();
    users = new TestDirectory();
    events = new LogoutEvents();
    refused = [];
    events.on("logout.refused", (e) => refused.push(e));
  });

  function guardedApp(permission: string | readonly string[], extra: Partial<RequirePermissionOptions> = {}, before: ((req: Request, res: Response, next: NextFunction) => void)[] = []) {
    const app = express();
    app.post("/admin", express.json(), ...before, requirePermission(permission, { store, users, events, ...extra }), (req: Request, res: Response) => {
      const auth = getAuthentication(req);
      res.json({ userId: auth?.session.userId, username: auth?.user?.username });
    });
    return app;
  }

  async function bearer(userId: string) {
    const { token, session } = await issueSession(store, { userId });
    store.reset();
    return { session, auth: { Authorization: `Bearer ${token}` } };
  }

  it("lets a caller with the permission through and remembers the caller with its user for later middleware", async () => {
    const { auth } = await bearer("admin");
    const res = await request(guardedApp("logout-device-management")).post("/admin").set(auth);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ userId: "admin", username: "admin" });
    expect(users.permissionChecks).toEqual([{ userId: "admin", permission: "logout-device-management" }]);
  });

  it("answers 403 in the shape to a caller without the permission, changing nothing and telling the audit log who it was", async () => {
    const { auth } = await bearer("alice");
    const res = await request(guardedApp("logout-device-management")).post("/admin").set(auth);
    expect(res.status).toBe(403);
    expect(res.headers["content-type"]).toBe("application/problem+json; charset=utf-8");
    expect((res.body as { code: string }).code).toBe("forbidden");
    expect(store.mutations).toEqual([]);
    expect(refused).toEqual([{ code: "forbidden", status: 403, userId: "alice", method: "POST", path: "/admin", ip: expect.any(String) as string, at: expect.any(Number) as number }]);
  });

  it("answers 401 in the shape without a valid session, before asking any permission", async () => {
    const { auth, session } = await bearer("admin");
    await store.revokeSession(session.id);
    store.reset();
    for (const headers of [{}, auth, { Authorization: "Bearer " }]) {
      const res = await request(guardedApp("logout-device-management")).post("/admin").set(headers);
      expect(res.status).toBe(401);
      expect((res.body as { code: string }).code).toBe("unauthenticated");
    }
    expect(users.permissionChecks).toEqual([]);
    expect(store.mutations).toEqual([]);
  });

  it("asks the directory on every request, so a revoked permission is refused on the next request", async () => {
    const { auth } = await bearer("admin");
    const app = guardedApp("logout-device-management");
    expect((await request(app).post("/admin").set(auth)).status).toBe(200);
    expect((await request(app).post("/admin").set(auth)).status).toBe(200);
    users.revoke("admin", "logout-device-management");
    expect((await request(app).post("/admin").set(auth)).status).toBe(403);
    expect(users.permissionChecks).toHaveLength(3);
  });

  it.each([
    ["a truthy string", "yes"],
    ["1", 1],
    ["undefined", undefined],
    ["an object (a host that forgot to read the field)", { granted: true }],
  ])("refuses when hasPermission answers %s instead of true", async (_label, answer) => {
    const { auth } = await bearer("admin");
    users.hasPermission = () => Promise.resolve(answer as unknown as boolean);
    const res = await request(guardedApp("logout-device-management")).post("/admin").set(auth);
    expect(res.status).toBe(403);
  });

  it("answers 503 with Retry-After when hasPermission fails or hangs", async () => {
    const { auth } = await bearer("admin");
    for (const answer of [() => Promise.reject(new Error("db down")), () => new Promise<boolean>(() => undefined)]) {
      users.hasPermission = answer;
      const res = await request(guardedApp("logout-device-management", { timeoutMs: 30, retryAfterSeconds: 4 })).post("/admin").set(auth);
      expect(res.status).toBe(503);
      expect(res.headers["retry-after"]).toBe("4");
    }
  });

  it("answers 401 when the session's user no longer exists", async () => {
    const { auth } = await bearer("ghost");
    const res = await request(guardedApp("logout-device-management")).post("/admin").set(auth);
    expect(res.status).toBe(401);
    expect(users.permissionChecks).toEqual([]);
  });

  it("needs every permission of an array by default, and one of them with match: any", async () => {
    const { auth } = await bearer("admin");
    expect((await request(guardedApp(["logout-device-management", "view-device-management"])).post("/admin").set(auth)).status).toBe(403);
    users.grant("admin", "view-device-management");
    expect((await request(guardedApp(["logout-device-management", "view-device-management"])).post("/admin").set(auth)).status).toBe(200);
    users.revoke("admin", "logout-device-management");
    expect((await request(guardedApp(["logout-device-management", "view-device-management"], { match: "any" })).post("/admin").set(auth)).status).toBe(200);
    expect((await request(guardedApp(["logout-device-management", "manage-users"], { match: "any" })).post("/admin").set(auth)).status).toBe(403);
  });

  describe("validate", () => {
    const validate = (req: Request) => {
      const body = req.body as Record<string, unknown> | undefined;
      if (typeof body?.sessionId !== "string") throw new LogoutError("bad-request", "sessionId is required", { reason: "sessionId is required" });
    };

    it("runs after authentication: an unauthenticated caller with a bad body gets the 401", async () => {
      const res = await request(guardedApp("logout-device-management", { validate })).post("/admin").send({});
      expect(res.status).toBe(401);
    });

    it("runs before the permission: a caller without it and with a bad body gets the 400, and no permission is asked", async () => {
      const { auth } = await bearer("alice");
      const res = await request(guardedApp("logout-device-management", { validate })).post("/admin").set(auth).send({});
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: "bad-request", detail: "sessionId is required" });
      expect(users.permissionChecks).toEqual([]);
      const good = await request(guardedApp("logout-device-management", { validate })).post("/admin").set(auth).send({ sessionId: "x" });
      expect(good.status).toBe(403);
    });

    it("hands an error other than a LogoutError to the host's error handler", async () => {
      const { auth } = await bearer("admin");
      const app = guardedApp("logout-device-management", { validate: () => { throw new RangeError("host bug"); } });
      const seen: unknown[] = [];
      app.use(function hostErrorHandler(error: unknown, _req: Request, res: Response, next: NextFunction) {
        seen.push(error);
        if (res.headersSent) {
          next(error);
          return;
        }
        res.status(500).end();
      });
      expect((await request(app).post("/admin").set(auth).send({})).status).toBe(500);
      expect(seen[0]).toBeInstanceOf(RangeError);
    });
  });

  it("reuses what requireSession found instead of authenticating again", async () => {
    const { auth } = await bearer("admin");
    const app = guardedApp("logout-device-management", {}, [requireSession({ store, users })]);
    const res = await request(app).post("/admin").set(auth);
    expect(res.status).toBe(200);
    expect(store.calls.filter((c) => c === "findSessionByTokenHash")).toHaveLength(1);
  });

  it("answers in the shape it is given (Rocket.Chat)", async () => {
    const { session, token } = await issueSession(store, { userId: "alice" });
    const app = express();
    app.post("/admin", requirePermission("logout-device-management", { store, users, shape: shapes.rocketChat }), (_req: Request, res: Response) => { res.end(); });
    const res = await request(app).post("/admin").set({ "X-User-Id": session.userId, "X-Auth-Token": token });
    expect(res.status).toBe(403);
    expect(res.text).toBe('{"success":false,"error":"User does not have the permissions required for this action [error-unauthorized]"}');
  });
});

describe("requirePermission options", () => {
  const store = new MemorySessionStore();
  const users = new TestDirectory();

  it("refuses a directory without hasPermission at setup", () => {
    expect(() => requirePermission("x", { store, users: { findUser: users.findUser.bind(users) } })).toThrow(/hasPermission/);
  });

  it.each([[""], [[]], [[""]], [[1]], [undefined]])("refuses the permission %o at setup", (permission) => {
    expect(() => requirePermission(permission as never, { store, users })).toThrow(/permission name/);
  });

  it("refuses a bad match or validate at setup, and an unknown option with a hint", () => {
    expect(() => requirePermission("x", { store, users, match: "some" as never })).toThrow(/match/);
    expect(() => requirePermission("x", { store, users, validate: "sessionId" as never })).toThrow(/validate/);
    expect(() => requirePermission("x", { store, users, validat: () => undefined } as never)).toThrow(/Did you mean `validate`\?/);
  });

  it("explains requirePermission mounted without being called", () => {
    expect(() => requirePermission({ method: "POST", headers: {}, url: "/" } as never, {} as never)).toThrow(/is a factory/);
  });
});
