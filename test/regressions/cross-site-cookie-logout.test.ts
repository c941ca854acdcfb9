/**
 * A logout authenticated by a session cookie could be forged by a page of another site: a hidden form that
 * POSTs (or a fetch that DELETEs with credentials through a permissive CORS setup) made the browser send the
 * cookie, and the session ended. With a `SameSite=None` cookie nothing else stopped it. SOAJS' `GET /urac/logout`
 * with the `soajsID` cookie could be forged with a plain link, since it ends a session on a GET with no token.
 * Now `cookieToken` refuses a cookie the browser marks `Sec-Fetch-Site: cross-site` on every method but GET,
 * HEAD and OPTIONS (and on every method for SOAJS' cookie); `crossSite: "allow"` restores the old behaviour.
 */
import cookieParser from "cookie-parser";
import request from "supertest";
import { describe, expect, it } from "vitest";
import { MemorySessionStore, cookieToken, createLogoutHandler, issueSession, shapes } from "../../src/index.js";
import { expressVersions } from "../helpers/express.js";
import { demoUsers } from "../helpers/fixture.js";

describe.each(expressVersions)("a session cookie sent by a page of another site, on $name", ({ express }) => {
  function setup(crossSite?: "refuse-unsafe" | "refuse" | "allow") {
    const store = new MemorySessionStore();
    const app = express();
    app.use(cookieParser());
    const credentials = [cookieToken("sid", crossSite === undefined ? {} : { crossSite })];
    app.post("/logout", createLogoutHandler({ store, credentials }));
    app.get("/logout-get", createLogoutHandler({ store, credentials }));
    return { store, app };
  }

  it("refuses a cross-site POST logout with 403, and the session lives", async () => {
    const { store, app } = setup();
    const { token, session } = await issueSession(store, { userId: "alice" });
    const res = await request(app).post("/logout").set({ Cookie: `sid=${token}`, "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate" });
    expect(res.status).toBe(403);
    expect((res.body as { code: string }).code).toBe("forbidden");
    expect(await store.getSession(session.id)).toEqual(session);
    store.close();
  });

  it.each(["same-origin", "none"])("lets a POST logout marked %s through", async (site) => {
    const { store, app } = setup();
    const { token, session } = await issueSession(store, { userId: "alice" });
    const res = await request(app).post("/logout").set({ Cookie: `sid=${token}`, "Sec-Fetch-Site": site });
    expect(res.status).toBe(200);
    expect(await store.getSession(session.id)).toBeUndefined();
    store.close();
  });

  it("lets a cross-site GET through by default (a logout URL with its own token is a link), and refuses it with crossSite: refuse", async () => {
    for (const [mode, status] of [[undefined, 200], ["refuse", 403]] as const) {
      const { store, app } = setup(mode);
      const { token } = await issueSession(store, { userId: "alice" });
      expect((await request(app).get("/logout-get").set({ Cookie: `sid=${token}`, "Sec-Fetch-Site": "cross-site" })).status).toBe(status);
      store.close();
    }
  });

  it("lets everything through with crossSite: allow", async () => {
    const { store, app } = setup("allow");
    const { token } = await issueSession(store, { userId: "alice" });
    expect((await request(app).post("/logout").set({ Cookie: `sid=${token}`, "Sec-Fetch-Site": "cross-site" })).status).toBe(200);
    store.close();
  });

  it("refuses an unknown crossSite option at setup", () => {
    expect(() => cookieToken("sid", { crossSite: "lax" as never })).toThrow(/`crossSite` must be/);
  });

  it("SOAJS: a cross-site link to GET /urac/logout with the soajsID cookie ends nothing", async () => {
    const store = new MemorySessionStore();
    const app = express();
    app.use(cookieParser());
    app.get("/urac/logout", createLogoutHandler({ store, users: demoUsers(), shape: shapes.soajs }));
    const { token, session } = await issueSession(store, { userId: "alice" });
    const forged = await request(app).get("/urac/logout").set({ key: "demo-tenant-key", Cookie: `soajsID=${token}`, "Sec-Fetch-Site": "cross-site" });
    expect(forged.body).toEqual({ result: true, data: true });
    expect(await store.getSession(session.id)).toEqual(session);
    const own = await request(app).get("/urac/logout").set({ key: "demo-tenant-key", Cookie: `soajsID=${token}`, "Sec-Fetch-Site": "same-origin" });
    expect((own.body as { data: { _id: string } }).data._id).toBe("alice");
    expect(await store.getSession(session.id)).toBeUndefined();
    store.close();
  });
});
