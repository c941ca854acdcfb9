/**
 * A custom shape whose `ended` throws does so after the store confirmed the ending: the session is gone, and
 * the right answer is the host's error (a 500 from its error handler) with `session.ended` told exactly once.
 * A shape that threw a `LogoutError` there was instead answered as a refusal (a 401 "no session", a 404
 * "not found") and told as `logout.refused`, as if nothing had ended: a client and an audit log both heard
 * the opposite of what happened. Now any throw from `ended` reaches `next(err)` once, as the host's error.
 */
import type { NextFunction, Request, Response } from "express";
import request from "supertest";
import { describe, expect, it } from "vitest";
import { LogoutError, LogoutEvents, browserLogoutFlow, createLogoutHandler, issueSession, shapes, type Shape } from "../../src/index.js";
import { expressVersions } from "../helpers/express.js";
import { demoUsers } from "../helpers/fixture.js";
import { RecordingStore } from "../helpers/store.js";

const throwers = [
  ["an Error", () => new Error("template missing")],
  ["a LogoutError", () => new LogoutError("not-found", "the shape could not find its template")],
] as const;

function throwingShape(error: () => Error): Shape {
  return { ...shapes.problem, name: "custom", ended: () => { throw error(); } };
}

describe.each(expressVersions)("a custom shape whose ended throws, on $name", ({ express }) => {
  function observe(events: LogoutEvents) {
    const seen: string[] = [];
    events.on("session.ended", (e) => seen.push(`session.ended ${e.sessionId}`));
    events.on("sessions.ended", (e) => seen.push(`sessions.ended ${String(e.count)}`));
    events.on("logout.refused", (e) => seen.push(`logout.refused ${e.code}`));
    return seen;
  }

  function hostErrors(app: ReturnType<typeof express>) {
    const errors: unknown[] = [];
    app.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
      errors.push(error);
      if (res.headersSent) {
        next(error);
        return;
      }
      res.status(500).json({ error: "internal" });
    });
    return errors;
  }

  it.each(throwers)("createLogoutHandler: throwing %s ends the session, answers the host's 500, and tells session.ended once", async (_name, error) => {
    const store = new RecordingStore();
    const events = new LogoutEvents();
    const seen = observe(events);
    const app = express();
    app.post("/logout", createLogoutHandler({ store, events, shape: throwingShape(error) }));
    const errors = hostErrors(app);
    const { token, session } = await issueSession(store, { userId: "alice" });
    const res = await request(app).post("/logout").set("Authorization", `Bearer ${token}`);
    expect(res.status).toBe(500);
    expect(errors).toHaveLength(1);
    expect(await store.getSession(session.id)).toBeUndefined();
    expect(seen).toEqual([`session.ended ${session.id}`]);
    store.close();
  });

  it.each(throwers)("createLogoutHandler target all: throwing %s tells sessions.ended once", async (_name, error) => {
    const store = new RecordingStore();
    const events = new LogoutEvents();
    const seen = observe(events);
    const app = express();
    app.post("/logout", createLogoutHandler({ store, events, shape: throwingShape(error), target: "all" }));
    const errors = hostErrors(app);
    const { token } = await issueSession(store, { userId: "alice" });
    await issueSession(store, { userId: "alice" });
    const res = await request(app).post("/logout").set("Authorization", `Bearer ${token}`);
    expect(res.status).toBe(500);
    expect(errors).toHaveLength(1);
    expect(await store.listSessions("alice")).toEqual([]);
    expect(seen).toEqual(["sessions.ended 2"]);
    store.close();
  });

  it.each(throwers)("browserLogoutFlow: throwing %s from the logout route ends the session and tells session.ended once", async (_name, error) => {
    const store = new RecordingStore();
    const events = new LogoutEvents();
    const seen = observe(events);
    const flow = browserLogoutFlow({ store, users: demoUsers(), events, publicUrl: "http://127.0.0.1", secrets: ["s".repeat(32)], shape: { ...shapes.kratos, ended: throwingShape(error).ended } });
    const app = express();
    app.get("/self-service/logout/browser", flow.create);
    app.get("/self-service/logout", flow.logout);
    const errors = hostErrors(app);
    const { token, session } = await issueSession(store, { userId: "alice" });
    const created = await request(app).get("/self-service/logout/browser").set("Accept", "application/json").set("X-Session-Token", token);
    const logoutToken = (created.body as { logout_token: string }).logout_token;
    const res = await request(app).get(`/self-service/logout?token=${logoutToken}`).set("Accept", "application/json").set("X-Session-Token", token);
    expect(res.status).toBe(500);
    expect(errors).toHaveLength(1);
    expect(await store.getSession(session.id)).toBeUndefined();
    expect(seen).toEqual([`session.ended ${session.id}`]);
    store.close();
  });
});
