/**
 * A custom store answering `null` from `getSession` (as SQL drivers do) made `createLogoutHandler` with a
 * function target, `sessionInfo` and the browser flow's `DELETE /sessions/:id` read `null.userId`: a 500 with a
 * stack trace. A `listSessions` answering something that is not an array was a 500 too, and a marker read
 * answering `null` made Kratos' native logout answer 204 for a token never issued. Now every store answer goes
 * through one validation: `null` from a lookup is "not found", a malformed answer is a broken store (503).
 */
import cookieParser from "cookie-parser";
import request from "supertest";
import { describe, expect, it } from "vitest";
import { LogoutEvents, MemorySessionStore, browserLogoutFlow, createLogoutHandler, issueSession, listSessions, sessionInfo, shapes } from "../../src/index.js";
import { expressVersions } from "../helpers/express.js";

const SECRET = "a-logout-secret-of-at-least-32-characters!";

/** A memory store with some answers replaced, every other method the memory store's own. */
function storeAnswering(base: MemorySessionStore, answers: Record<string, unknown>): MemorySessionStore {
  const store: Record<string, unknown> = {};
  for (const name of Object.getOwnPropertyNames(MemorySessionStore.prototype)) {
    const method = (base as unknown as Record<string, unknown>)[name];
    if (name !== "constructor" && typeof method === "function") store[name] = (method as (...a: unknown[]) => unknown).bind(base);
  }
  for (const [name, value] of Object.entries(answers)) store[name] = () => Promise.resolve(value);
  return store as unknown as MemorySessionStore;
}

describe.each(expressVersions)("store answers that are null or malformed, on $name", ({ express }) => {
  it("getSession answering null: an admin logout of that id is a 404 and nothing ends", async () => {
    const base = new MemorySessionStore();
    const { token } = await issueSession(base, { userId: "admin" });
    const { session: victim } = await issueSession(base, { userId: "alice" });
    const app = express();
    // A store without the optional endSessionById reads the session before it ends it.
    const readFirst: Partial<MemorySessionStore> = storeAnswering(base, { getSession: null });
    delete readFirst.endSessionById;
    app.post("/sessions/:id/logout", createLogoutHandler({ store: readFirst as MemorySessionStore, target: (req) => String(req.params.id), whoseSessions: "anyone" }));
    app.get("/sessions/:id", sessionInfo({ store: storeAnswering(base, { getSession: null }), shape: shapes.rocketChat, sessionId: (req) => String(req.params.id) }));
    const logout = await request(app).post(`/sessions/${victim.id}/logout`).set("Authorization", `Bearer ${token}`);
    expect(logout.status).toBe(404);
    expect(logout.body).toMatchObject({ code: "not-found" });
    const info = await request(app).get(`/sessions/${victim.id}`).set({ "X-User-Id": "admin", "X-Auth-Token": token });
    expect(info.status).toBe(404);
    expect(await base.getSession(victim.id)).toEqual(victim);
    base.close();
  });

  it("endSessionById answering null: an admin logout of that id is a 404 and nothing ends", async () => {
    const base = new MemorySessionStore();
    const { token } = await issueSession(base, { userId: "admin" });
    const { session: victim } = await issueSession(base, { userId: "alice" });
    const app = express();
    app.post("/sessions/:id/logout", createLogoutHandler({ store: storeAnswering(base, { endSessionById: null }), target: (req) => String(req.params.id), whoseSessions: "anyone" }));
    const logout = await request(app).post(`/sessions/${victim.id}/logout`).set("Authorization", `Bearer ${token}`);
    expect(logout.status).toBe(404);
    expect(logout.body).toMatchObject({ code: "not-found" });
    expect(await base.getSession(victim.id)).toEqual(victim);
    base.close();
  });

  it.each([
    ["another session's record", "other"],
    ["a record of the same id for another user, when it was told the caller's", "foreign"],
    ["something that is not a record", "junk"],
  ] as const)("endSessionById answering %s: a 503 with a store.error event, never a success", async (_what, kind) => {
    const base = new MemorySessionStore();
    const { token } = await issueSession(base, { userId: "alice" });
    const { session: victim } = await issueSession(base, { userId: "alice" });
    const { session: bystander } = await issueSession(base, { userId: "bob" });
    const answer = kind === "other" ? bystander : kind === "foreign" ? { ...victim, userId: "bob" } : { id: victim.id };
    const events = new LogoutEvents();
    const errors: string[] = [];
    const ended: string[] = [];
    events.on("store.error", (e) => errors.push(e.operation));
    events.on("session.ended", (e) => ended.push(e.sessionId));
    const app = express();
    app.post("/sessions/:id/logout", createLogoutHandler({ store: storeAnswering(base, { endSessionById: answer }), events, target: (req) => String(req.params.id) }));
    const res = await request(app).post(`/sessions/${victim.id}/logout`).set("Authorization", `Bearer ${token}`);
    expect(res.status).toBe(503);
    expect(errors).toEqual(["endSessionById"]);
    expect(ended).toEqual([]);
    expect(await base.getSession(victim.id)).toEqual(victim);
    expect(await base.getSession(bystander.id)).toEqual(bystander);
    base.close();
  });

  it("getSession answering null: Kratos' DELETE /sessions/:id is the silent 204 of an unknown session", async () => {
    const base = new MemorySessionStore();
    const { token, session } = await issueSession(base, { userId: "alice" });
    const other = await issueSession(base, { userId: "alice" });
    const flow = browserLogoutFlow({ store: storeAnswering(base, { getSession: null }), publicUrl: "https://auth.example.com", secrets: [SECRET] });
    const app = express();
    app.use(cookieParser());
    app.delete("/sessions/:id", flow.endSession);
    const res = await request(app).delete(`/sessions/${other.session.id}`).set("Cookie", `ory_kratos_session=${token}`);
    expect(res.status).toBe(204);
    expect(await base.listSessions("alice")).toEqual([session, other.session].sort((a, b) => a.createdAt - b.createdAt));
    base.close();
  });

  it.each([null, undefined, "none", { length: 0 }, [null]])("listSessions answering %j: a 503 with a store.error event, never a 500", async (answer) => {
    const base = new MemorySessionStore();
    const { token } = await issueSession(base, { userId: "alice" });
    const events = new LogoutEvents();
    const errors: string[] = [];
    events.on("store.error", (e) => errors.push(e.operation));
    const app = express();
    app.get("/sessions", listSessions({ store: storeAnswering(base, { listSessions: answer }), shape: shapes.rocketChat, events }));
    const res = await request(app).get("/sessions").set({ "X-User-Id": "alice", "X-Auth-Token": token });
    expect(res.status).toBe(503);
    expect(res.headers["retry-after"]).toBe("5");
    expect(errors).toEqual(["listSessions"]);
    expect((await base.listSessions("alice")).length).toBe(1);
    base.close();
  });

  it.each([null, undefined, "0", -1])("a revoked-token marker read answering %j: native logout of a token never issued is never a 204", async (answer) => {
    const base = new MemorySessionStore();
    const { session } = await issueSession(base, { userId: "alice" });
    const store = storeAnswering(base, { readCounter: answer, isClaimed: answer });
    const flow = browserLogoutFlow({ store, publicUrl: "https://auth.example.com", secrets: [SECRET] });
    const app = express();
    app.delete("/self-service/logout/api", flow.native);
    const res = await request(app).delete("/self-service/logout/api").set("Content-Type", "application/json").send({ session_token: "never-issued-token" });
    expect(res.status).not.toBe(204);
    expect([403, 503]).toContain(res.status);
    expect(await base.getSession(session.id)).toEqual(session);
    base.close();
  });
});
