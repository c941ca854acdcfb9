/**
 * The refusing cookie modes refused only `Sec-Fetch-Site: cross-site`. An `<img>` on a sibling subdomain (the
 * browser marks that request `same-site`) could still end a SOAJS session through `GET /urac/logout` and the
 * `soajsID` cookie, and a form on a sibling subdomain could POST a logout with a `refuse-unsafe` cookie:
 * `SameSite=Strict` cannot help, since the request is same-site. Now both modes let a state-changing request
 * through only when the browser marks it `same-origin` (the app's own pages) or `none` (typed, bookmarked),
 * or sends no Fetch Metadata at all (an older browser or a non-browser client, left to `SameSite`).
 */
import cookieParser from "cookie-parser";
import request from "supertest";
import { describe, expect, it } from "vitest";
import { MemorySessionStore, cookieToken, createLogoutHandler, issueSession, shapes, type SessionStore } from "../../src/index.js";
import { expressVersions } from "../helpers/express.js";
import { demoUsers } from "../helpers/fixture.js";
import { RecordingStore } from "../helpers/store.js";

const sibling = { "Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "image" };

describe.each(expressVersions)("a session cookie sent by a page of a sibling subdomain, on $name", ({ express }) => {
  function soajsApp(store: SessionStore) {
    const app = express();
    app.use(cookieParser());
    app.get("/urac/logout", createLogoutHandler({ store, users: demoUsers(), shape: shapes.soajs }));
    return app;
  }

  it("ends nothing for SOAJS' GET /urac/logout with the soajsID cookie from an <img> marked same-site (an anonymous logout, as SOAJS answers one)", async () => {
    const store = new RecordingStore();
    const { token, session } = await issueSession(store, { userId: "alice" });
    store.reset();
    const res = await request(soajsApp(store)).get("/urac/logout").set({ key: "demo-tenant-key", Cookie: `soajsID=${token}`, ...sibling });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ result: true, data: true });
    expect(store.mutations).toEqual([]);
    expect(await store.getSession(session.id)).toEqual(session);
    store.close();
  });

  it.each([["same-origin", "same-origin"], ["none", "none"], ["with no Fetch Metadata", undefined]])("lets SOAJS' cookie logout %s through", async (_label, site) => {
    const store = new MemorySessionStore();
    const { token, session } = await issueSession(store, { userId: "alice" });
    const res = await request(soajsApp(store)).get("/urac/logout").set({ key: "demo-tenant-key", Cookie: `soajsID=${token}`, ...(site === undefined ? {} : { "Sec-Fetch-Site": site }) });
    expect(res.status).toBe(200);
    expect((res.body as { result: boolean }).result).toBe(true);
    expect(await store.getSession(session.id)).toBeUndefined();
    store.close();
  });

  it("refuses a POST logout with a refuse-unsafe cookie from a form marked same-site, and still lets its GET through", async () => {
    const store = new RecordingStore();
    const app = express();
    app.use(cookieParser());
    const credentials = [cookieToken("sid")];
    app.post("/logout", createLogoutHandler({ store, credentials }));
    app.get("/whoami", (req, res) => { res.json(credentials[0]!.read(req)?.kind ?? "none"); });
    const { token, session } = await issueSession(store, { userId: "alice" });
    store.reset();
    const res = await request(app).post("/logout").set({ Cookie: `sid=${token}`, "Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "navigate" });
    expect(res.status).toBe(403);
    expect((res.body as { code: string }).code).toBe("forbidden");
    expect(store.mutations).toEqual([]);
    expect(await store.getSession(session.id)).toEqual(session);
    expect((await request(app).get("/whoami").set({ Cookie: `sid=${token}`, "Sec-Fetch-Site": "same-site" })).body).toBe("session-token");
    expect((await request(app).post("/logout").set({ Cookie: `sid=${token}`, "Sec-Fetch-Site": "same-origin" })).status).toBe(200);
    store.close();
  });
});
