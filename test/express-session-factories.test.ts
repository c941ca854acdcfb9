import express from "express";
import session, { MemoryStore } from "express-session";
import request from "supertest";
import { afterEach, describe, expect, it } from "vitest";
import { MemorySessionStore, browserLogoutFlow, expressSession, shapes, trackSessions, whoAmI, type CompleteSessionStore } from "../src/index.js";

const SECRET = "factories-session-secret-0123456789abcdef";
const opened: MemorySessionStore[] = [];

afterEach(() => {
  for (const store of opened.splice(0)) store.close();
});

/** An app without passport: its login writes `req.session.userId` (or whatever `write` puts there). */
function app(options: { write?: (id: string) => Record<string, unknown>; track?: Record<string, unknown> } = {}) {
  const store: CompleteSessionStore = new MemorySessionStore();
  opened.push(store as MemorySessionStore);
  const inner = new MemoryStore();
  const server = express();
  server.use(session({ store: trackSessions(inner, { store, ...options.track }), secret: SECRET, resave: false, saveUninitialized: false }));
  server.post("/login/:id", (req, res, next) => {
    req.session.regenerate((err) => {
      if (err) {
        next(err);
        return;
      }
      Object.assign(req.session, options.write?.(req.params.id) ?? { userId: req.params.id });
      // Saved before the answer, as passport's req.login does, so a failed save is this request's error.
      req.session.save((saveError) => {
        if (saveError) next(saveError);
        else res.json({ ok: true });
      });
    });
  });
  const credentials = [expressSession()];
  server.get("/whoami", whoAmI({ store, credentials }));
  const flow = browserLogoutFlow({ store, credentials, publicUrl: "http://127.0.0.1", secrets: ["a-logout-token-secret-0123456789abcdef"] });
  server.get("/self-service/logout/browser", flow.create);
  server.get("/self-service/logout", flow.logout);
  server.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).json({ message: err.message });
  });
  return { server, store, inner };
}

describe("the factories on express-session", () => {
  it("whoAmI answers the tracked session's user (a plain session.userId, no passport)", async () => {
    const { server } = app();
    const agent = request.agent(server);
    await agent.post("/login/u7").expect(200);
    const res = await agent.get("/whoami");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ userId: "u7", sessionId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
  });

  it("browserLogoutFlow hands a Kratos logout URL over the express-session cookie; following it ends the session and clears the cookie", async () => {
    const { server, store } = app();
    const agent = request.agent(server);
    await agent.post("/login/u1").expect(200);
    const created = await agent.get("/self-service/logout/browser").set("Accept", "application/json");
    expect(created.status).toBe(200);
    const url = new URL(created.body.logout_url as string);
    expect(created.body.logout_token).toMatch(/^ory_lo_/);
    const done = await agent.get(`${url.pathname}${url.search}`).set("Accept", "text/html");
    expect(done.status).toBe(303);
    expect(([] as string[]).concat(done.headers["set-cookie"] ?? []).some((c) => /^connect\.sid=;/.test(c))).toBe(true);
    expect(await store.listSessions("u1")).toEqual([]);
    expect((await agent.get("/whoami")).status).toBe(401);
  });

  it("reads the user through a custom userId", async () => {
    const { server, store } = app({ write: (id) => ({ account: { id } }), track: { userId: (data: { account?: { id?: string } }) => data.account?.id } });
    await request.agent(server).post("/login/acct-9").expect(200);
    expect(await store.listSessions("acct-9")).toHaveLength(1);
  });

  it("refuses a whole user object where the id is expected, with the option to write", async () => {
    const { server, store } = app({ write: (id) => ({ passport: { user: { id, name: "x" } } }) });
    const res = await request.agent(server).post("/login/u2");
    expect(res.status).toBe(500);
    expect(res.body.message).toMatch(/Pass `userId: \(data\) => \.\.\.`/);
    expect(await store.listSessions("u2")).toEqual([]);
  });

  it("ends a tracked session at maxLifetimeMs, however recently it was used", async () => {
    const { server, store } = app({ track: { maxLifetimeMs: 300 } });
    const agent = request.agent(server);
    await agent.post("/login/u3").expect(200);
    expect((await agent.get("/whoami")).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await agent.get("/whoami")).status).toBe(401);
    expect(await store.listSessions("u3")).toEqual([]);
  });

  it("a session with no user through the rocketChat shape is a 401 in its envelope", async () => {
    const store = new MemorySessionStore();
    opened.push(store);
    const server = express();
    server.use(session({ store: trackSessions(new MemoryStore(), { store }), secret: SECRET, resave: false, saveUninitialized: false }));
    server.get("/me", whoAmI({ store, shape: shapes.rocketChat, credentials: [expressSession()] }));
    const res = await request(server).get("/me");
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ success: false, status: "error" });
  });
});
