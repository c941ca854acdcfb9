/**
 * `createLogoutHandler({ store, target: bodySessionId() })`, mounted without `ownSessionsOnly` and without a
 * permission check in front, let any logged-in user end anyone's session: alice named the administrator's
 * session id, got a 200, and the administrator's next request was a 401. A function target now ends only the
 * caller's own sessions unless a `requirePermission` granted on the same request, or the route says
 * `whoseSessions: "anyone"` (the host gates it itself). Another user's session is then `not-found`, and
 * nothing in the store changes.
 */
import type { NextFunction, Request, Response } from "express";
import request from "supertest";
import { describe, expect, it } from "vitest";
import { LogoutEvents, bodySessionId, createLogoutHandler, issueSession, requirePermission, requireSession, shapes } from "../../src/index.js";
import { expressVersions } from "../helpers/express.js";
import { TestDirectory } from "../helpers/rocket-chat.js";
import { RecordingStore } from "../helpers/store.js";

describe.each(expressVersions)("a function target naming another user's session, on $name", ({ express }) => {
  async function setup() {
    const store = new RecordingStore();
    const users = new TestDirectory();
    const events = new LogoutEvents();
    const ended: string[] = [];
    events.on("session.ended", (e) => ended.push(e.sessionId));
    const alice = await issueSession(store, { userId: "alice" });
    const aliceOther = await issueSession(store, { userId: "alice" });
    const admin = await issueSession(store, { userId: "admin" });
    store.reset();
    return { store, users, events, ended, alice, aliceOther, admin };
  }

  it("refuses with not-found when no gate ran: the other user's session lives and the store is unchanged", async () => {
    const { store, users, events, ended, alice, admin } = await setup();
    const app = express();
    app.post("/sessions/end", express.json(), createLogoutHandler({ store, users, events, shape: shapes.rocketChat, target: bodySessionId() }));
    const before = await store.snapshot("alice", "admin");
    const res = await request(app).post("/sessions/end").set({ "X-User-Id": "alice", "X-Auth-Token": alice.token }).send({ sessionId: admin.session.id });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ success: false, error: "Session not found" });
    expect(store.mutations).toEqual([]);
    expect(await store.snapshot("alice", "admin")).toEqual(before);
    expect(await store.getSession(admin.session.id)).toEqual(admin.session);
    expect(ended).toEqual([]);
    store.close();
  });

  it("still lets the caller end another of their own sessions with the same route", async () => {
    const { store, users, events, ended, alice, aliceOther } = await setup();
    const app = express();
    app.post("/sessions/end", express.json(), createLogoutHandler({ store, users, events, shape: shapes.rocketChat, target: bodySessionId() }));
    const res = await request(app).post("/sessions/end").set({ "X-User-Id": "alice", "X-Auth-Token": alice.token }).send({ sessionId: aliceOther.session.id });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ sessionId: aliceOther.session.id, success: true });
    expect(await store.getSession(aliceOther.session.id)).toBeUndefined();
    expect(await store.getSession(alice.session.id)).toEqual(alice.session);
    expect(ended).toEqual([aliceOther.session.id]);
    store.close();
  });

  it("does not take requireSession (authentication alone) for a gate", async () => {
    const { store, users, events, alice, admin } = await setup();
    const app = express();
    const common = { store, users, events, shape: shapes.rocketChat };
    app.post("/sessions/end", express.json(), requireSession(common), createLogoutHandler({ ...common, target: bodySessionId() }));
    const res = await request(app).post("/sessions/end").set({ "X-User-Id": "alice", "X-Auth-Token": alice.token }).send({ sessionId: admin.session.id });
    expect(res.status).toBe(404);
    expect(store.mutations).toEqual([]);
    expect(await store.getSession(admin.session.id)).toEqual(admin.session);
    store.close();
  });

  it("ends another user's session after a requirePermission that granted on the same request", async () => {
    const { store, users, events, ended, admin, alice } = await setup();
    const app = express();
    const common = { store, users, events, shape: shapes.rocketChat };
    app.post("/sessions/end", express.json(), requirePermission("logout-device-management", common), createLogoutHandler({ ...common, target: bodySessionId() }));
    const res = await request(app).post("/sessions/end").set({ "X-User-Id": "admin", "X-Auth-Token": admin.token }).send({ sessionId: alice.session.id });
    expect(res.status).toBe(200);
    expect(await store.getSession(alice.session.id)).toBeUndefined();
    expect(ended).toEqual([alice.session.id]);
    store.close();
  });

  it("keeps refusing when the permission is refused: 403, nothing changed", async () => {
    const { store, users, events, alice, admin } = await setup();
    const app = express();
    const common = { store, users, events, shape: shapes.rocketChat };
    app.post("/sessions/end", express.json(), requirePermission("logout-device-management", common), createLogoutHandler({ ...common, target: bodySessionId() }));
    const res = await request(app).post("/sessions/end").set({ "X-User-Id": "alice", "X-Auth-Token": alice.token }).send({ sessionId: admin.session.id });
    expect(res.status).toBe(403);
    expect(store.mutations).toEqual([]);
    expect(await store.getSession(admin.session.id)).toEqual(admin.session);
    store.close();
  });

  it("ends anyone's session with whoseSessions: \"anyone\" behind the host's own gate", async () => {
    const { store, users, events, ended, admin, alice } = await setup();
    const app = express();
    const common = { store, users, events, shape: shapes.rocketChat };
    const hostAdminGate = (req: Request, res: Response, next: NextFunction) => {
      if (req.headers["x-user-id"] === "admin") next();
      else res.status(403).end();
    };
    app.post("/sessions/end", express.json(), hostAdminGate, createLogoutHandler({ ...common, target: bodySessionId(), whoseSessions: "anyone" }));
    const res = await request(app).post("/sessions/end").set({ "X-User-Id": "admin", "X-Auth-Token": admin.token }).send({ sessionId: alice.session.id });
    expect(res.status).toBe(200);
    expect(ended).toEqual([alice.session.id]);
    store.close();
  });

  it("refuses another user's session with whoseSessions: \"own\" even after a granted permission", async () => {
    const { store, users, events, alice, admin } = await setup();
    const app = express();
    const common = { store, users, events, shape: shapes.rocketChat };
    app.post("/sessions/end", express.json(), requirePermission("logout-device-management", common), createLogoutHandler({ ...common, target: bodySessionId(), whoseSessions: "own" }));
    const res = await request(app).post("/sessions/end").set({ "X-User-Id": "admin", "X-Auth-Token": admin.token }).send({ sessionId: alice.session.id });
    expect(res.status).toBe(404);
    expect(store.mutations).toEqual([]);
    expect(await store.getSession(alice.session.id)).toEqual(alice.session);
    store.close();
  });

  it("refuses contradicting or unknown whoseSessions values at setup, saying what to pass", () => {
    const store = new RecordingStore();
    expect(() => createLogoutHandler({ store, target: bodySessionId(), whoseSessions: "everyone" as never })).toThrow(/whoseSessions.*"own".*"permitted".*"anyone"/);
    expect(() => createLogoutHandler({ store, target: bodySessionId(), whoseSessions: "anyone", ownSessionsOnly: true })).toThrow(/ownSessionsOnly/);
    expect(() => createLogoutHandler({ store, target: "current", whoseSessions: "anyone" })).toThrow(/function target/);
    store.close();
  });
});
