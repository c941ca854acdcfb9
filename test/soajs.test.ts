import cookieParser from "cookie-parser";
import request from "supertest";
import { beforeEach, describe, expect, it } from "vitest";
import { createLogoutHandler, encodeSoajsAuth, shapes, whoAmI } from "../src/index.js";
import { expressVersions } from "./helpers/express.js";
import { demoUsers, keysOf, login } from "./helpers/fixture.js";
import { RecordingStore } from "./helpers/store.js";

const KEY_NEEDED = '{"result":false,"errors":{"codes":[132],"details":[{"code":132,"message":"A valid key is needed to access any API."}]}}';
const NOT_LOGGED_IN = '{"result":false,"errors":{"codes":[161],"details":[{"code":161,"message":"You need to be logged in to access this API."}]}}';

const aliceData = {
  _id: "alice",
  locked: false,
  username: "alice",
  firstName: "Alice",
  lastName: "Liddell",
  email: "alice@example.com",
  ts: Date.parse("2024-01-15T09:30:00Z"),
  status: "active",
  profile: {},
  groups: ["users"],
  config: {},
  tenant: { id: "5551aca9e179c39b760f7a1a", code: "DBTN" },
  groupsConfig: [],
};

describe.each(expressVersions)("SOAJS urac GET /urac/logout on $name", ({ express }) => {
  let store: RecordingStore;
  const users = demoUsers();

  function app() {
    const a = express();
    a.use(cookieParser());
    const common = { store, users, shape: shapes.soajs };
    a.get("/urac/logout", createLogoutHandler(common));
    a.get("/urac/account", whoAmI(common));
    return a;
  }

  beforeEach(() => {
    store = new RecordingStore();
  });

  it("answers 200 result:true with the user as it was before logout and echoes the caller's soajsauth", async () => {
    const { token, session } = await login(store, "alice");
    const handle = encodeSoajsAuth(token);
    const res = await request(app()).get("/urac/logout").set("key", "demo-tenant-key").set("soajsauth", handle);
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(keysOf(res.text)).toEqual(["result", "data", "soajsauth"]);
    expect(res.body).toEqual({ result: true, data: aliceData, soajsauth: handle });
    expect(keysOf(JSON.stringify((res.body as { data: unknown }).data))).toEqual(Object.keys(aliceData));
    expect(res.text).not.toMatch(/password|secret/i);
    expect(await store.getSession(session.id)).toBeUndefined();
  });

  it("answers a second logout with result:true, data:true (idempotent) and the same handle, which now refers to no user", async () => {
    const { token } = await login(store, "alice");
    const handle = encodeSoajsAuth(token);
    await request(app()).get("/urac/logout").set("key", "demo-tenant-key").set("soajsauth", handle).expect(200);
    store.reset();
    const res = await request(app()).get("/urac/logout").set("key", "demo-tenant-key").set("soajsauth", handle);
    expect(res.status).toBe(200);
    expect(res.text).toBe(JSON.stringify({ result: true, data: true, soajsauth: handle }));
    expect(store.mutations).toEqual([]);
    const account = await request(app()).get("/urac/account").set("key", "demo-tenant-key").set("soajsauth", handle);
    expect(account.status).toBe(401);
    expect(account.text).toBe(NOT_LOGGED_IN);
  });

  it("answers result:true, data:true when nobody was logged in, without soajsauth", async () => {
    const res = await request(app()).get("/urac/logout").set("key", "demo-tenant-key");
    expect(res.status).toBe(200);
    expect(res.text).toBe('{"result":true,"data":true}');
  });

  it("accepts the tenant key and the handle from the query string", async () => {
    const { token, session } = await login(store, "alice");
    const handle = encodeSoajsAuth(token);
    const res = await request(app()).get(`/urac/logout?key=demo-tenant-key&soajsauth=${encodeURIComponent(handle)}`);
    expect(res.status).toBe(200);
    expect((res.body as { data: { username: string } }).data.username).toBe("alice");
    expect(await store.getSession(session.id)).toBeUndefined();
  });

  it("accepts the session from the soajsID cookie", async () => {
    const { token, session } = await login(store, "alice");
    const res = await request(app()).get("/urac/logout").set("key", "demo-tenant-key").set("Cookie", `soajsID=${token}`);
    expect(res.status).toBe(200);
    // The HttpOnly cookie's token is never echoed in a body a script could read.
    expect(res.body).not.toHaveProperty("soajsauth");
    expect(await store.getSession(session.id)).toBeUndefined();
  });

  it.each([
    ["no key", {}],
    ["an unknown key", { key: "nope" }],
    ["an empty key", { key: "" }],
  ])("answers HTTP 200 result:false code 132 for %s and ends nothing", async (_name, headers: Record<string, string>) => {
    const { token } = await login(store, "alice");
    const before = await store.snapshot("alice");
    store.reset();
    const res = await request(app()).get("/urac/logout").set(headers).set("soajsauth", encodeSoajsAuth(token));
    expect(res.status).toBe(200);
    expect(res.text).toBe(KEY_NEEDED);
    expect(store.mutations).toEqual([]);
    expect(await store.snapshot("alice")).toEqual(before);
  });

  it.each([
    ["a malformed soajsauth", "Bearer nope"],
    ["a soajsauth of another realm", `Basic ${Buffer.from("other:tok").toString("base64")}`],
    ["an unknown handle", encodeSoajsAuth("A".repeat(43))],
  ])("answers result:true, data:true for %s and ends nothing", async (_name, handle) => {
    await login(store, "alice");
    const before = await store.snapshot("alice");
    store.reset();
    const res = await request(app()).get("/urac/logout").set("key", "demo-tenant-key").set("soajsauth", handle);
    expect(res.status).toBe(200);
    expect((res.body as { result: boolean; data: unknown }).data).toBe(true);
    expect(store.mutations).toEqual([]);
    expect(await store.snapshot("alice")).toEqual(before);
  });

  it("serves who-am-I while logged in and result:false once logged out", async () => {
    const { token } = await login(store, "alice");
    const handle = encodeSoajsAuth(token);
    const before = await request(app()).get("/urac/account").set("key", "demo-tenant-key").set("soajsauth", handle);
    expect(before.status).toBe(200);
    expect(before.body).toEqual({ result: true, data: aliceData, soajsauth: handle });
    await request(app()).get("/urac/logout").set("key", "demo-tenant-key").set("soajsauth", handle).expect(200);
    const after = await request(app()).get("/urac/account").set("key", "demo-tenant-key").set("soajsauth", handle);
    expect((after.body as { result: boolean }).result).toBe(false);
  });

  it("never answers JSONP: a callback parameter changes nothing in the body", async () => {
    const res = await request(app()).get("/urac/logout?callback=alert").set("key", "demo-tenant-key");
    expect(res.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(res.text).toBe('{"result":true,"data":true}');
  });
});

describe("shapes.soajs setup", () => {
  it("refuses at factory time a directory without resolveTenantKey", () => {
    expect(() => createLogoutHandler({ store: new RecordingStore(), shape: shapes.soajs, users: { findUser: () => Promise.resolve(undefined) } })).toThrow(
      /shape `soajs` needs `users.resolveTenantKey`/,
    );
  });
});
