import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { Configuration, FrontendApi } from "@ory/client";
import request from "supertest";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createExampleApp } from "../examples/app/index.js";
import { MemorySessionStore } from "../src/index.js";
import { keysOf } from "./helpers/fixture.js";
import { NO_VALID_SESSION_COOKIE, SESSION_INACTIVE, returnToForbidden } from "./helpers/kratos.js";

const PUBLIC_URL = "http://127.0.0.1:3202";

function cookieFrom(res: request.Response): string {
  const setCookie = (res.headers["set-cookie"] as unknown as string[] | undefined)?.[0] ?? "";
  return setCookie.split(";")[0] ?? "";
}

describe("the example app's Ory Kratos routes", () => {
  let store: MemorySessionStore;
  let app: ReturnType<typeof createExampleApp>["app"];

  beforeEach(() => {
    store = new MemorySessionStore();
    app = createExampleApp({ store, publicUrl: PUBLIC_URL }).app;
  });

  const loginJson = () => request(app).post("/self-service/login").send({ username: "alice", password: "alice-password" });

  it("logs in with JSON: 200 {session_token, session:{id, identity:{id}}} and the ory_kratos_session cookie", async () => {
    const res = await loginJson();
    expect(res.status).toBe(200);
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(keysOf(res.text)).toEqual(["session_token", "session"]);
    const body = res.body as { session_token: string; session: { id: string; identity: { id: string } } };
    expect(body.session_token).toMatch(/^ory_st_[A-Za-z0-9_-]{43}$/);
    expect(body.session.identity.id).toBe("alice");
    expect((await store.getSession(body.session.id))?.userId).toBe("alice");
    const setCookie = (res.headers["set-cookie"] as unknown as string[])[0] ?? "";
    expect(setCookie).toMatch(new RegExp(`^ory_kratos_session=${body.session_token}; Path=/; Expires=[^;]+; HttpOnly; SameSite=Lax$`));
  });

  it("logs in with form fields: 303 to / with the cookie", async () => {
    const res = await request(app).post("/self-service/login").type("form").send({ username: "alice", password: "alice-password" });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe("/");
    expect(cookieFrom(res)).toMatch(/^ory_kratos_session=ory_st_/);
  });

  it("answers wrong credentials 401 and missing ones 400, in herodot's envelope, opening no session", async () => {
    const wrong = await request(app).post("/self-service/login").send({ username: "alice", password: "nope" });
    expect(wrong.status).toBe(401);
    expect(wrong.text).toBe(
      '{"error":{"code":401,"status":"Unauthorized","reason":"The provided credentials are invalid, check for spelling mistakes in your password or username, email address, or phone number.","message":"The request could not be authorized"}}',
    );
    expect(wrong.headers["set-cookie"]).toBeUndefined();
    const missing = await request(app).post("/self-service/login").type("form").send({ username: "alice" });
    expect(missing.status).toBe(400);
    expect(missing.text).toBe('{"error":{"code":400,"status":"Bad Request","reason":"Both username and password are required.","message":"The request was malformed or contained invalid parameters"}}');
    expect(await store.listSessions("alice")).toEqual([]);
  });

  it("answers GET /sessions/whoami with the cookie, X-Session-Token or Bearer, and 401 after logout", async () => {
    const login = await loginJson();
    const { session_token: token, session } = login.body as { session_token: string; session: { id: string } };
    for (const req of [
      request(app).get("/sessions/whoami").set("Cookie", cookieFrom(login)),
      request(app).get("/sessions/whoami").set("X-Session-Token", token),
      request(app).get("/sessions/whoami").set("Authorization", `Bearer ${token}`),
    ]) {
      const res = await req;
      expect(res.status).toBe(200);
      expect((res.body as { id: string }).id).toBe(session.id);
    }
    expect((await request(app).delete("/self-service/logout/api").send({ session_token: token })).status).toBe(204);
    const after = await request(app).get("/sessions/whoami").set("Cookie", cookieFrom(login));
    expect([after.status, after.text]).toEqual([401, NO_VALID_SESSION_COOKIE]);
  });

  it("walks a browser through logout: logout URL, 303 to the allowed return_to, cookie cleared and dead", async () => {
    const agent = request.agent(app);
    const login = await agent.post("/self-service/login").type("form").send({ username: "alice", password: "alice-password" });
    const cookie = cookieFrom(login);
    const created = await agent.get("/self-service/logout/browser").query({ return_to: "https://app.example.com/after" });
    expect(created.status).toBe(200);
    const logoutUrl = new URL((created.body as { logout_url: string }).logout_url);
    expect(logoutUrl.origin).toBe(PUBLIC_URL);
    expect(logoutUrl.pathname).toBe("/self-service/logout");
    const done = await agent.get(logoutUrl.pathname + logoutUrl.search);
    expect(done.status).toBe(303);
    expect(done.headers.location).toBe("https://app.example.com/after");
    expect(cookieFrom(done)).toBe("ory_kratos_session=");
    // The old cookie, replayed, no longer opens anything.
    const replay = await request(app).get("/self-service/logout/browser").set("Cookie", cookie);
    expect([replay.status, replay.text]).toEqual([401, SESSION_INACTIVE]);
    const again = await request(app).get(logoutUrl.pathname + logoutUrl.search).set("Cookie", cookie);
    expect(again.status).toBe(401);
  });

  it("allows return_to on its own origin and the configured list, and returns to / by default", async () => {
    const login = await loginJson();
    const get = (returnTo: string) => request(app).get("/self-service/logout/browser").query({ return_to: returnTo }).set("Cookie", cookieFrom(login));
    expect((await get(`${PUBLIC_URL}/account`)).status).toBe(200);
    expect((await get("/account")).status).toBe(200);
    expect((await get("https://app.example.com/x")).status).toBe(200);
    expect((await get("https://evil.example/")).text).toBe(returnToForbidden("https://evil.example/"));
    const token = (login.body as { session_token: string }).session_token;
    const url = new URL(((await request(app).get("/self-service/logout/browser").set("X-Session-Token", token)).body as { logout_url: string }).logout_url);
    const res = await request(app).get(url.pathname + url.search).set("X-Session-Token", token);
    expect(res.headers.location).toBe("/");
  });

  it("replaces the allow-list with RETURN_TO_ALLOW", async () => {
    const custom = createExampleApp({ store, publicUrl: PUBLIC_URL, returnToAllow: ["https://other.example/"] }).app;
    const login = await request(custom).post("/self-service/login").send({ username: "alice", password: "alice-password" });
    const get = (returnTo: string) => request(custom).get("/self-service/logout/browser").query({ return_to: returnTo }).set("Cookie", cookieFrom(login));
    expect((await get("https://other.example/x")).status).toBe(200);
    expect((await get("https://app.example.com/x")).status).toBe(400);
  });
});

describe("the @ory/client SDK against the example app", () => {
  let server: Server;
  let api: FrontendApi;
  let store: MemorySessionStore;
  let basePath: string;

  beforeAll(async () => {
    store = new MemorySessionStore();
    await new Promise<void>((resolve) => {
      server = createExampleApp({ store, publicUrl: PUBLIC_URL }).app.listen(0, "127.0.0.1", () => {
        resolve();
      });
    });
    basePath = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    api = new FrontendApi(new Configuration({ basePath }));
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    store.close();
  });

  async function login(): Promise<{ token: string; id: string; cookie: string }> {
    const res = await fetch(`${basePath}/self-service/login`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ username: "alice", password: "alice-password" }) });
    const body = (await res.json()) as { session_token: string; session: { id: string } };
    return { token: body.session_token, id: body.session.id, cookie: (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "" };
  }

  it("createBrowserLogoutFlow and updateLogoutFlow log a cookie session out", async () => {
    const { cookie, token } = await login();
    const flow = await api.createBrowserLogoutFlow({ cookie, returnTo: "https://app.example.com/" });
    expect(flow.status).toBe(200);
    expect(flow.data.logout_url).toContain("return_to=https%3A%2F%2Fapp.example.com%2F&token=ory_lo_");
    const done = await api.updateLogoutFlow({ token: flow.data.logout_token, returnTo: "https://app.example.com/", cookie });
    expect(done.status).toBe(204);
    await expect(api.toSession({ xSessionToken: token })).rejects.toMatchObject({ response: { status: 401 } });
  });

  it("performNativeLogout answers 204 twice and 403 for a token it never issued", async () => {
    const { token } = await login();
    expect((await api.performNativeLogout({ performNativeLogoutBody: { session_token: token } })).status).toBe(204);
    expect((await api.performNativeLogout({ performNativeLogoutBody: { session_token: token } })).status).toBe(204);
    await expect(api.performNativeLogout({ performNativeLogoutBody: { session_token: "ory_st_never" } })).rejects.toMatchObject({ response: { status: 403 } });
  });

  it("listMySessions, disableMySession and disableMyOtherSessions manage the other sessions", async () => {
    const me = await login();
    const second = await login();
    await login();
    const list = await api.listMySessions({ xSessionToken: me.token });
    expect(list.data.map((s) => s.id)).not.toContain(me.id);
    expect(list.data.map((s) => s.id)).toContain(second.id);
    expect((await api.disableMySession({ id: second.id, xSessionToken: me.token })).status).toBe(204);
    const rest = await api.disableMyOtherSessions({ xSessionToken: me.token });
    expect(rest.data.count).toBeGreaterThanOrEqual(1);
    expect((await api.listMySessions({ xSessionToken: me.token })).data).toEqual([]);
    const whoami = await api.toSession({ xSessionToken: me.token });
    expect(whoami.data.id).toBe(me.id);
    expect(whoami.data.identity?.traits).toMatchObject({ username: "alice" });
  });
});
