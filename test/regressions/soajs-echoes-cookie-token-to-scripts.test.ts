/**
 * The SOAJS shape answered `soajsauth: Basic base64("soajs:" + token)` to every caller, also to one who sent
 * only the `soajsID` cookie: `/urac/account` then handed the HttpOnly cookie's own token to any script of the
 * page (an XSS could read it and use it from anywhere). Now `soajsauth` is echoed only to a caller who sent it,
 * in the `soajsauth` header or `?soajsauth=`, byte for byte as sent; a cookie caller gets the same body without
 * the key.
 */
import cookieParser from "cookie-parser";
import request from "supertest";
import { describe, expect, it } from "vitest";
import { MemorySessionStore, createLogoutHandler, encodeSoajsAuth, issueSession, shapes, whoAmI } from "../../src/index.js";
import { expressVersions } from "../helpers/express.js";
import { demoUsers, keysOf } from "../helpers/fixture.js";

describe.each(expressVersions)("SOAJS answers to a caller who sent only the soajsID cookie, on $name", ({ express }) => {
  function setup() {
    const store = new MemorySessionStore();
    const app = express();
    app.use(cookieParser());
    const common = { store, users: demoUsers(), shape: shapes.soajs };
    app.get("/urac/account", whoAmI(common));
    app.get("/urac/logout", createLogoutHandler(common));
    return { store, app };
  }

  it("never puts the cookie's token in the /urac/account body", async () => {
    const { store, app } = setup();
    const { token } = await issueSession(store, { userId: "alice" });
    const res = await request(app).get("/urac/account").set({ key: "demo-tenant-key", Cookie: `soajsID=${token}` });
    expect(res.status).toBe(200);
    expect(keysOf(res.text)).toEqual(["result", "data"]);
    expect(res.text).not.toContain(encodeSoajsAuth(token).slice("Basic ".length));
    expect(res.text).not.toContain(token);
    store.close();
  });

  it("never puts the cookie's token in the /urac/logout body", async () => {
    const { store, app } = setup();
    const { token, session } = await issueSession(store, { userId: "alice" });
    const res = await request(app).get("/urac/logout").set({ key: "demo-tenant-key", Cookie: `soajsID=${token}` });
    expect(res.status).toBe(200);
    expect(keysOf(res.text)).toEqual(["result", "data"]);
    expect((res.body as { data: { _id: string } }).data._id).toBe("alice");
    expect(res.text).not.toContain(encodeSoajsAuth(token).slice("Basic ".length));
    expect(await store.getSession(session.id)).toBeUndefined();
    store.close();
  });

  it("still echoes the handle byte for byte to a caller who sent it in the header or the query", async () => {
    const { store, app } = setup();
    const first = await issueSession(store, { userId: "alice" });
    const handle = encodeSoajsAuth(first.token);
    const byHeader = await request(app).get("/urac/account").set({ key: "demo-tenant-key", soajsauth: handle, Cookie: `soajsID=${first.token}` });
    expect(keysOf(byHeader.text)).toEqual(["result", "data", "soajsauth"]);
    expect((byHeader.body as { soajsauth: string }).soajsauth).toBe(handle);
    const byQuery = await request(app).get(`/urac/logout?key=demo-tenant-key&soajsauth=${encodeURIComponent(handle)}`);
    expect(keysOf(byQuery.text)).toEqual(["result", "data", "soajsauth"]);
    expect((byQuery.body as { soajsauth: string }).soajsauth).toBe(handle);
    store.close();
  });
});
