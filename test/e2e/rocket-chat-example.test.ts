import { generate } from "otplib";
import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MemorySessionStore } from "../../src/index.js";
import { createExampleApp } from "../../examples/app/index.js";
import { demoConfig } from "../../examples/app/demo.js";

describe("example app: Rocket.Chat routes", () => {
  const config = demoConfig({});
  let store: MemorySessionStore;
  let app: ReturnType<typeof createExampleApp>["app"];

  beforeEach(() => {
    store = new MemorySessionStore();
    app = createExampleApp({ store, config, publicUrl: "http://127.0.0.1" }).app;
  });

  afterEach(() => {
    store.close();
  });

  async function login(user: string, password: string) {
    const res = await request(app).post("/api/v1/login").set("User-Agent", `${user}-client/1.0`).send({ user, password });
    expect(res.status).toBe(200);
    const body = res.body as { status: string; data: { userId: string; authToken: string; me: Record<string, unknown> } };
    return { body, text: res.text, headers: { "X-User-Id": body.data.userId, "X-Auth-Token": body.data.authToken } };
  }

  it("logs in with {user, password} and answers {status, data:{userId, authToken, me}} without any secret", async () => {
    const { body, text } = await login("admin", config.adminPassword);
    expect(Object.keys(body)).toEqual(["status", "data"]);
    expect(Object.keys(body.data)).toEqual(["userId", "authToken", "me"]);
    expect(body.status).toBe("success");
    expect(body.data.userId).toBe("admin");
    expect(body.data.authToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(body.data.me).toMatchObject({ _id: "admin", username: "admin" });
    expect(text).not.toContain(config.adminTotpSecret);
    expect(text).not.toContain(config.adminPassword);
  });

  it("answers 401 {status:error} for wrong credentials, and opens no session", async () => {
    for (const body of [{ user: "admin", password: "nope" }, { user: "nobody", password: "x" }, {}]) {
      const res = await request(app).post("/api/v1/login").send(body);
      expect(res.status).toBe(401);
      expect(res.text).toBe('{"status":"error","error":"Unauthorized","message":"Unauthorized"}');
    }
    expect(store.size).toBe(0);
  });

  it("walks through the README: the admin ends alice's session with a TOTP code, and alice's token is refused at once", async () => {
    const admin = await login("admin", config.adminPassword);
    const alice = await login("alice", config.alicePassword);
    expect((await request(app).get("/api/v1/me").set(alice.headers)).status).toBe(200);

    const list = await request(app).get("/api/v1/sessions/list").set(alice.headers);
    const sessions = (list.body as { sessions: { sessionId: string; userId: string; device: { name: string }; ip: string; loginAt: string }[] }).sessions;
    expect(sessions).toHaveLength(1);
    expect(sessions[0]).toMatchObject({ userId: "alice", device: { name: "alice-client" }, ip: expect.any(String) as string, loginAt: expect.any(String) as string });
    const sessionId = sessions[0]!.sessionId;

    const forbidden = await request(app).post("/api/v1/sessions/logout").set(alice.headers).send({ sessionId });
    expect(forbidden.status).toBe(403);

    const required = await request(app).post("/api/v1/sessions/logout").set(admin.headers).send({ sessionId });
    expect(required.status).toBe(400);
    expect((required.body as { errorType: string }).errorType).toBe("totp-required");

    const code = await generate({ secret: config.adminTotpSecret });
    const ended = await request(app).post("/api/v1/sessions/logout").set({ ...admin.headers, "x-2fa-code": code }).send({ sessionId });
    expect(ended.status).toBe(200);
    expect(ended.text).toBe(`{"sessionId":"${sessionId}","success":true}`);

    const me = await request(app).get("/api/v1/me").set(alice.headers);
    expect(me.status).toBe(401);
    expect(me.text).toBe('{"success":false,"error":"You must be logged in to do this.","status":"error","message":"You must be logged in to do this."}');
    expect((await request(app).get("/api/v1/me").set(admin.headers)).status).toBe(200);
  });

  it("serves logout.me, sessions/info and /api/v1/logout on the seed paths", async () => {
    const alice = await login("alice", config.alicePassword);
    const phone = await login("alice", config.alicePassword);
    const phoneId = ((await request(app).get("/api/v1/sessions/list").set(phone.headers)).body as { sessions: { sessionId: string; current: boolean }[] }).sessions.find((s) => s.current)!.sessionId;
    const info = await request(app).get(`/api/v1/sessions/info?sessionId=${phoneId}`).set(alice.headers);
    expect(info.body).toMatchObject({ sessionId: phoneId, current: false, success: true });
    const me = await request(app).post("/api/v1/sessions/logout.me").set(alice.headers).send({ sessionId: phoneId });
    expect(me.text).toBe(`{"sessionId":"${phoneId}","success":true}`);
    expect((await request(app).get("/api/v1/me").set(phone.headers)).status).toBe(401);
    const out = await request(app).post("/api/v1/logout").set(alice.headers);
    expect(out.text).toBe(`{"status":"success","data":{"message":"You've been logged out!"}}`);
    expect((await request(app).get("/api/v1/me").set(alice.headers)).status).toBe(401);
  });
});
