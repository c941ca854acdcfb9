/**
 * The `logout.refused` event reported `error.status` (the code's default) while the shape sent another
 * status: SOAJS answers a bad tenant key with HTTP 200 and `result:false`, and the event said 403; a browser
 * sent to the error page got a 303 and the event said 401. Events now carry the status actually sent.
 */
import cookieParser from "cookie-parser";
import request from "supertest";
import { describe, expect, it } from "vitest";
import { LogoutEvents, MemorySessionStore, browserLogoutFlow, createLogoutHandler, shapes, type LogoutEventMap } from "../../src/index.js";
import { expressVersions } from "../helpers/express.js";

describe.each(expressVersions)("logout.refused carries the status sent, on $name", ({ express }) => {
  it("SOAJS: an unknown tenant key is HTTP 200 on the wire and in the event", async () => {
    const store = new MemorySessionStore();
    const events = new LogoutEvents();
    const refused: LogoutEventMap["logout.refused"][] = [];
    events.on("logout.refused", (e) => refused.push(e));
    const users = { findUser: () => Promise.resolve(undefined), resolveTenantKey: () => Promise.resolve(undefined) };
    const app = express();
    app.get("/urac/logout", createLogoutHandler({ store, users, shape: shapes.soajs, events }));
    const res = await request(app).get("/urac/logout").set("key", "unknown");
    expect(res.status).toBe(200);
    expect(refused.map((e) => [e.code, e.status])).toEqual([["tenant-key-invalid", 200]]);
    store.close();
  });

  it("Kratos: a browser sent to the error page is a 303 on the wire and in the event", async () => {
    const store = new MemorySessionStore();
    const events = new LogoutEvents();
    const refused: LogoutEventMap["logout.refused"][] = [];
    events.on("logout.refused", (e) => refused.push(e));
    const flow = browserLogoutFlow({ store, events, publicUrl: "https://auth.example.com", secrets: ["a-logout-secret-of-at-least-32-characters!"], errorUrl: "/error" });
    const app = express();
    app.use(cookieParser());
    app.get("/self-service/logout", flow.logout);
    const res = await request(app).get("/self-service/logout").query({ token: "ory_lo_x" }).set("Accept", "text/html");
    expect(res.status).toBe(303);
    expect(refused.map((e) => [e.code, e.status])).toEqual([["unauthenticated", 303]]);
    store.close();
  });
});
