import request from "supertest";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createExampleApp } from "../examples/app/index.js";
import { demoConfig } from "../examples/app/demo.js";
import { MemorySessionStore } from "../src/index.js";

const config = demoConfig({});

/** The example app's contract (`spec/example-app.md`): every route on its path. */
describe("the example app's routes", () => {
  let store: MemorySessionStore;
  let app: ReturnType<typeof createExampleApp>["app"];

  beforeAll(() => {
    store = new MemorySessionStore();
    app = createExampleApp({ store, config, publicUrl: "http://127.0.0.1:3000" }).app;
  });
  afterAll(() => {
    store.close();
  });

  const routes: readonly (readonly ["get" | "post" | "delete", string])[] = [
    ["get", "/"],
    ["post", "/v1/auth/login"],
    ["post", "/v1/auth/api-key"],
    ["get", "/v1/auth"],
    ["get", "/v1/auth/login/logout"],
    ["get", "/v1/auth/api-key/logout"],
    ["post", "/urac/login"],
    ["get", "/urac/account"],
    ["get", "/urac/logout"],
    ["post", "/self-service/login"],
    ["get", "/sessions/whoami"],
    ["get", "/self-service/logout/browser"],
    ["get", "/self-service/logout"],
    ["delete", "/self-service/logout/api"],
    ["get", "/sessions"],
    ["delete", "/sessions"],
    ["delete", "/sessions/5b3b2f44-8a8c-4c55-9f1c-1b1f3f0f3e11"],
    ["post", "/api/v1/login"],
    ["get", "/api/v1/me"],
    ["post", "/api/v1/sessions/logout"],
    ["post", "/api/v1/sessions/logout.me"],
    ["get", "/api/v1/sessions/list"],
    ["get", "/api/v1/sessions/info"],
    ["post", "/api/v1/logout"],
  ];

  it.each(routes)("serves %s %s (without credentials it answers in its shape, never Express' 404)", async (method, path) => {
    const res = await request(app)[method](path);
    expect(res.status).not.toBe(404);
    expect(res.status).toBeLessThan(500);
    expect(res.text).not.toMatch(/Cannot (GET|POST|DELETE)/);
  });
});

/** Its logins and who-am-I routes. */
describe("the example app's logins", () => {
  let store: MemorySessionStore;
  let app: ReturnType<typeof createExampleApp>["app"];

  beforeEach(() => {
    store = new MemorySessionStore();
    app = createExampleApp({ store, config, publicUrl: "http://127.0.0.1:3000" }).app;
  });
  afterEach(() => {
    store.close();
  });

  it("opens a new session at every login, with the device and the IP of the request", async () => {
    const agent = "curl/8.5.0";
    const logins = [
      request(app).post("/v1/auth/login").set("User-Agent", agent).send({ username: "alice", password: config.alicePassword }),
      request(app).post("/v1/auth/api-key").set("User-Agent", agent).send({ key: config.apiKey, secret: config.apiSecret }),
      request(app).post("/urac/login").set("User-Agent", agent).set("key", config.tenantKey).send({ username: "alice", password: config.alicePassword }),
      request(app).post("/self-service/login").set("User-Agent", agent).send({ username: "alice", password: config.alicePassword }),
      request(app).post("/api/v1/login").set("User-Agent", agent).send({ user: "alice", password: config.alicePassword }),
      request(app).post("/api/v1/login").set("User-Agent", agent).send({ user: "alice", password: config.alicePassword }),
    ];
    for (const login of logins) expect((await login).status).toBe(200);
    const sessions = await store.listSessions("alice");
    expect(sessions).toHaveLength(6);
    expect(new Set(sessions.map((s) => s.id)).size).toBe(6);
    for (const s of sessions) {
      expect(s).toMatchObject({ userAgent: agent, ip: "127.0.0.1" });
      expect(s.expiresAt - s.createdAt).toBe(24 * 60 * 60 * 1000);
    }
    expect(sessions.map((s) => s.authenticationSource)).toEqual(["login", "api-key", "urac", "password", "rocket.chat", "rocket.chat"]);
  });

  it("answers each login, and its who-am-I route, in the product's shape", async () => {
    const endor = await request(app).post("/v1/auth/login").send({ username: "alice", password: config.alicePassword });
    expect(Object.keys(endor.body as object)).toEqual(["authentication_source", "expiration_time", "token", "user"]);
    expect(endor.body).toMatchObject({ authentication_source: "login", user: { spec: { user_name: "alice" } } });
    const endorMe = await request(app).get("/v1/auth").set("Authorization", `Bearer ${(endor.body as { token: string }).token}`);
    expect(endorMe.status).toBe(200);

    const apiKey = await request(app).post("/v1/auth/api-key").send({ key: config.apiKey, secret: config.apiSecret });
    expect(apiKey.body).toMatchObject({ authentication_source: "api-key", user: { spec: { user_name: "alice" } } });

    const soajs = await request(app).post("/urac/login").set("key", config.tenantKey).send({ username: "alice", password: config.alicePassword });
    expect(Object.keys(soajs.body as object)).toEqual(["result", "data", "soajsauth"]);
    expect(soajs.body).toMatchObject({ result: true, data: { username: "alice", tenant: { id: config.tenant.id, code: config.tenant.code } } });
    const soajsMe = await request(app).get("/urac/account").set("key", config.tenantKey).set("soajsauth", (soajs.body as { soajsauth: string }).soajsauth);
    expect(soajsMe.body).toMatchObject({ result: true, data: { username: "alice" } });
    expect(JSON.stringify(soajs.body)).not.toContain(config.alicePassword);
  });

  it("refuses wrong credentials in each product's error shape, and opens no session", async () => {
    const endor = await request(app).post("/v1/auth/login").send({ username: "alice", password: "nope" });
    expect([endor.status, (endor.body as { code: number }).code]).toEqual([401, 16]);
    const apiKey = await request(app).post("/v1/auth/api-key").send({ key: config.apiKey, secret: "nope" });
    expect([apiKey.status, (apiKey.body as { code: number }).code]).toEqual([401, 16]);
    const soajs = await request(app).post("/urac/login").set("key", config.tenantKey).send({ username: "alice", password: "nope" });
    expect([soajs.status, (soajs.body as { result: boolean }).result]).toEqual([200, false]);
    const soajsNoKey = await request(app).post("/urac/login").send({ username: "alice", password: config.alicePassword });
    expect(soajsNoKey.body).toMatchObject({ result: false, errors: { codes: [132] } });
    const kratos = await request(app).post("/self-service/login").send({ username: "alice", password: "nope" });
    expect(kratos.status).toBe(401);
    expect(kratos.body).toMatchObject({ error: { code: 401 } });
    const rocketChat = await request(app).post("/api/v1/login").send({ user: "alice", password: "nope" });
    expect([rocketChat.status, rocketChat.body]).toEqual([401, { status: "error", error: "Unauthorized", message: "Unauthorized" }]);
    expect(store.size).toBe(0);
  });
});
