import express5 from "express";
import request from "supertest";
import { beforeEach, describe, expect, it } from "vitest";
import { LogoutEvents, type BrowserLogoutFlowOptions, type LogoutEventMap } from "../src/index.js";
import { expressVersions } from "./helpers/express.js";
import { keysOf, login } from "./helpers/fixture.js";
import {
  CANNOT_REVOKE_CURRENT,
  NATIVE_TOKEN_INVALID,
  NO_VALID_SESSION_COOKIE,
  SESSION_INACTIVE,
  TOKEN_MISMATCH,
  TOKEN_MISSING,
  badRequest,
  cookieOf,
  kratosApp,
  returnToForbidden,
} from "./helpers/kratos.js";
import { RecordingStore } from "./helpers/store.js";

describe.each(expressVersions)("Ory Kratos routes on $name", ({ express }) => {
  let store: RecordingStore;
  let events: LogoutEvents;
  let ended: LogoutEventMap["session.ended"][];

  beforeEach(() => {
    store = new RecordingStore();
    events = new LogoutEvents();
    ended = [];
    events.on("session.ended", (e) => ended.push(e));
  });

  const setup = (extra: Partial<BrowserLogoutFlowOptions> = {}) => kratosApp(express, store, { events, ...extra });
  const aliceLogin = () => login(store, "alice", { tokenPrefix: "ory_st_" });

  async function logoutTokenOf(app: ReturnType<typeof setup>["app"], token: string): Promise<string> {
    const res = await request(app).get("/self-service/logout/browser").set("Cookie", cookieOf(token));
    return (res.body as { logout_token: string }).logout_token;
  }

  describe("GET /self-service/logout/browser", () => {
    it("answers 200 {logout_url, logout_token} with a 256-bit token bound to the session, and writes nothing", async () => {
      const { app, flow } = setup();
      const { token, session } = await aliceLogin();
      store.reset();
      const res = await request(app).get("/self-service/logout/browser").set("Cookie", cookieOf(token));
      expect(res.status).toBe(200);
      expect(res.headers["content-type"]).toBe("application/json; charset=utf-8");
      expect(res.headers["cache-control"]).toBe("no-store");
      expect(res.headers["referrer-policy"]).toBe("no-referrer");
      expect(keysOf(res.text)).toEqual(["logout_url", "logout_token"]);
      const body = res.body as { logout_url: string; logout_token: string };
      expect(body.logout_token).toMatch(/^ory_lo_[A-Za-z0-9_-]{43}$/);
      expect(body.logout_token).toBe(flow.logoutToken(session));
      expect(body.logout_url).toBe(`https://auth.example.com/self-service/logout?token=${body.logout_token}`);
      expect(store.mutations).toEqual([]);
    });

    it("gives a session the same token every time, and another session another token", async () => {
      const { app } = setup();
      const a = await aliceLogin();
      const b = await aliceLogin();
      const first = await logoutTokenOf(app, a.token);
      expect(await logoutTokenOf(app, a.token)).toBe(first);
      expect(await logoutTokenOf(app, b.token)).not.toBe(first);
    });

    it("puts an allowed return_to before the token, escaped as Go's url.Values.Encode does", async () => {
      const { app } = setup();
      const { token } = await aliceLogin();
      const res = await request(app).get("/self-service/logout/browser").query({ return_to: "/x?a=1&b=*~!(" }).set("Cookie", cookieOf(token));
      const body = res.body as { logout_url: string; logout_token: string };
      expect(body.logout_url).toBe(`https://auth.example.com/self-service/logout?return_to=%2Fx%3Fa%3D1%26b%3D%2A~%21%28&token=${body.logout_token}`);
    });

    it("answers 401 session_inactive without a session, for an unknown token and for an ended session, writing nothing", async () => {
      const { app } = setup();
      const { token, session } = await aliceLogin();
      await store.revokeSession(session.id);
      store.reset();
      for (const req of [
        request(app).get("/self-service/logout/browser"),
        request(app).get("/self-service/logout/browser").set("Cookie", cookieOf("ory_st_unknown")),
        request(app).get("/self-service/logout/browser").set("Cookie", cookieOf(token)),
        request(app).get("/self-service/logout/browser").set("X-Session-Token", token),
      ]) {
        const res = await req;
        expect(res.status).toBe(401);
        expect(res.headers["content-type"]).toBe("application/json");
        expect(res.headers["ory-error-id"]).toBe("session_inactive");
        expect(res.text).toBe(SESSION_INACTIVE);
      }
      expect(store.mutations).toEqual([]);
    });

    it("answers 400 self_service_flow_return_to_forbidden for a return_to off the allow-list, quoting it as Go does", async () => {
      const { app } = setup();
      const { token, session } = await aliceLogin();
      store.reset();
      const res = await request(app).get("/self-service/logout/browser").query({ return_to: "https://www.ory.com" }).set("Cookie", cookieOf(token));
      expect(res.status).toBe(400);
      expect(res.headers["ory-error-id"]).toBe("self_service_flow_return_to_forbidden");
      expect(res.text).toBe(returnToForbidden("https://www.ory.com"));
      const tab = await request(app).get("/self-service/logout/browser").query({ return_to: '/\t"x' }).set("Cookie", cookieOf(token));
      expect(tab.text).toBe(returnToForbidden(String.raw`/\\t\\\"x`));
      expect(store.mutations).toEqual([]);
      expect(await store.getSession(session.id)).toEqual(session);
    });

    it("reads X-Session-Token first, then the ory_kratos_session cookie, then Authorization: Bearer", async () => {
      const { app, flow } = setup();
      const [a, b, c] = [await aliceLogin(), await aliceLogin(), await aliceLogin()];
      const tokenOf = async (req: request.Test) => ((await req).body as { logout_token: string }).logout_token;
      const get = () => request(app).get("/self-service/logout/browser");
      expect(await tokenOf(get().set("X-Session-Token", a.token).set("Cookie", cookieOf(b.token)).set("Authorization", `Bearer ${c.token}`))).toBe(flow.logoutToken(a.session));
      expect(await tokenOf(get().set("Cookie", cookieOf(b.token)).set("Authorization", `Bearer ${c.token}`))).toBe(flow.logoutToken(b.session));
      expect(await tokenOf(get().set("Authorization", `Bearer ${c.token}`))).toBe(flow.logoutToken(c.session));
    });

    it("echoes X-Request-ID as the herodot `request` field, between status and reason", async () => {
      const { app } = setup();
      const res = await request(app).get("/self-service/logout/browser").set("X-Request-ID", "d7ef54b1-ec15-46e6-bccb-524b82c035e6");
      expect(res.text).toBe(
        '{"error":{"id":"session_inactive","code":401,"status":"Unauthorized","request":"d7ef54b1-ec15-46e6-bccb-524b82c035e6","reason":"No active session was found in this request.","message":"request does not have a valid authentication session"}}',
      );
    });
  });

  describe("GET /self-service/logout", () => {
    it("ends the session, clears the cookie and sends a browser 303 to the default return URL", async () => {
      const { app } = setup();
      const { token, session } = await aliceLogin();
      const logoutToken = await logoutTokenOf(app, token);
      const res = await request(app).get("/self-service/logout").query({ token: logoutToken }).set("Cookie", cookieOf(token));
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe("/");
      expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
      expect(res.text).toBe('<a href="/">See Other</a>.\n\n');
      expect(res.headers["cache-control"]).toBe("no-store");
      expect(res.headers["set-cookie"]).toEqual(["ory_kratos_session=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax"]);
      expect(await store.getSession(session.id)).toBeUndefined();
      expect(ended).toEqual([{ sessionId: session.id, userId: "alice", by: "alice", target: "current", at: expect.any(Number) as number }]);
      const whoami = await request(app).get("/sessions/whoami").set("Cookie", cookieOf(token));
      expect(whoami.status).toBe(401);
    });

    it("redirects to an allowed return_to with a Location byte-identical to it", async () => {
      const { app } = setup();
      const { token } = await aliceLogin();
      const logoutToken = await logoutTokenOf(app, token);
      const returnTo = "https://app.example.com/after?x=1#done";
      const res = await request(app).get("/self-service/logout").query({ token: logoutToken, return_to: returnTo }).set("Cookie", cookieOf(token));
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe(returnTo);
      expect(res.text).toBe(`<a href="${returnTo}">See Other</a>.\n\n`);
    });

    it.each([
      ["Accept: application/json", { Accept: "application/json" }],
      ["Content-Type: application/json and no Accept", { "Content-Type": "application/json" }],
      ["Accept preferring JSON by quality", { Accept: "text/html;q=0.9, application/json" }],
      ["axios' default Accept", { Accept: "application/json, text/plain, */*" }],
    ])("answers an API client (%s) 204 with an empty body, and still clears the cookie", async (_what, headers) => {
      const { app } = setup();
      const { token, session } = await aliceLogin();
      const logoutToken = await logoutTokenOf(app, token);
      const res = await request(app).get("/self-service/logout").query({ token: logoutToken, return_to: "/x" }).set("Cookie", cookieOf(token)).set(headers);
      expect(res.status).toBe(204);
      expect(res.text).toBe("");
      expect(res.headers.location).toBeUndefined();
      expect(res.headers["set-cookie"]).toHaveLength(1);
      expect(await store.getSession(session.id)).toBeUndefined();
    });

    it.each([
      ["no Accept header", {}],
      ["Accept: text/html", { Accept: "text/html" }],
      ["Accept: */*", { Accept: "*/*" }],
      ["JSON and HTML at equal quality (HTML is offered first)", { Accept: "application/json, text/html" }],
      ["a Content-Type with parameters", { "Content-Type": "application/json; charset=utf-8" }],
    ])("treats a request with %s as a browser: 303", async (_what, headers) => {
      const { app } = setup();
      const { token } = await aliceLogin();
      const logoutToken = await logoutTokenOf(app, token);
      const res = await request(app).get("/self-service/logout").query({ token: logoutToken }).set("Cookie", cookieOf(token)).set(headers);
      expect(res.status).toBe(303);
    });

    it("checks in order: no token 400 before any store call, no session 401, wrong token 403, return_to 400, then revokes", async () => {
      const { app } = setup();
      const { token, session } = await aliceLogin();
      const other = await aliceLogin();
      const logoutToken = await logoutTokenOf(app, token);
      store.reset();

      const missing = await request(app).get("/self-service/logout").query({ return_to: "https://evil.example/" }).set("Cookie", cookieOf("ory_st_unknown"));
      expect([missing.status, missing.text]).toEqual([400, TOKEN_MISSING]);
      expect(store.calls).toEqual([]);
      const empty = await request(app).get("/self-service/logout?token=").set("Cookie", cookieOf(token));
      expect([empty.status, empty.text]).toEqual([400, TOKEN_MISSING]);

      const noSession = await request(app).get("/self-service/logout").query({ token: "wrong", return_to: "https://evil.example/" });
      expect([noSession.status, noSession.text]).toEqual([401, SESSION_INACTIVE]);

      const mismatch = await request(app).get("/self-service/logout").query({ token: logoutToken, return_to: "https://evil.example/" }).set("Cookie", cookieOf(other.token));
      expect([mismatch.status, mismatch.text]).toEqual([403, TOKEN_MISMATCH]);

      const forbidden = await request(app).get("/self-service/logout").query({ token: logoutToken, return_to: "https://evil.example/" }).set("Cookie", cookieOf(token));
      expect([forbidden.status, forbidden.text]).toEqual([400, returnToForbidden("https://evil.example/")]);
      expect(forbidden.headers["set-cookie"]).toBeUndefined();

      expect(store.mutations).toEqual([]);
      expect(await store.snapshot("alice")).toEqual([session, other.session].sort((x, y) => x.id.localeCompare(y.id)));

      const ok = await request(app).get("/self-service/logout").query({ token: logoutToken }).set("Cookie", cookieOf(token));
      expect(ok.status).toBe(303);
      expect(await store.snapshot("alice")).toEqual([other.session]);
    });

    it("answers a second logout 401 session_inactive, never 204", async () => {
      const { app } = setup();
      const { token } = await aliceLogin();
      const logoutToken = await logoutTokenOf(app, token);
      const first = await request(app).get("/self-service/logout").query({ token: logoutToken }).set("Cookie", cookieOf(token)).set("Accept", "application/json");
      expect(first.status).toBe(204);
      store.reset();
      const second = await request(app).get("/self-service/logout").query({ token: logoutToken }).set("Cookie", cookieOf(token)).set("Accept", "application/json");
      expect([second.status, second.text]).toEqual([401, SESSION_INACTIVE]);
      expect(second.headers["set-cookie"]).toBeUndefined();
      expect(store.mutations).toEqual([]);
    });

    it.each([
      ["one character appended", (t: string) => `${t}x`],
      ["the last character dropped", (t: string) => t.slice(0, -1)],
      ["half of it", (t: string) => t.slice(0, t.length / 2)],
      ["its case swapped", (t: string) => t.replace(/[a-zA-Z]/g, (c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()))],
      ["without its prefix", (t: string) => t.slice("ory_lo_".length)],
      ["a very long one", (t: string) => t.repeat(200)],
    ])("answers 403 for the session's token with %s, and changes nothing", async (_what, tamper) => {
      const { app } = setup();
      const { token, session } = await aliceLogin();
      const logoutToken = await logoutTokenOf(app, token);
      store.reset();
      const res = await request(app).get("/self-service/logout").query({ token: tamper(logoutToken) }).set("Cookie", cookieOf(token)).set("Accept", "application/json");
      expect([res.status, res.text]).toEqual([403, TOKEN_MISMATCH]);
      expect(store.mutations).toEqual([]);
      expect(await store.getSession(session.id)).toEqual(session);
    });

    it("answers 403 for another user's logout token presented with one's own cookie, and neither session changes", async () => {
      const { app } = setup();
      const alice = await aliceLogin();
      const admin = await login(store, "admin");
      const adminsToken = await logoutTokenOf(app, admin.token);
      store.reset();
      const res = await request(app).get("/self-service/logout").query({ token: adminsToken }).set("Cookie", cookieOf(alice.token));
      expect(res.status).toBe(403);
      expect(store.mutations).toEqual([]);
      expect(await store.snapshot("alice", "admin")).toHaveLength(2);
    });

    it("answers 403 when the token parameter is repeated, even with the right token first", async () => {
      const { app } = setup();
      const { token } = await aliceLogin();
      const logoutToken = await logoutTokenOf(app, token);
      store.reset();
      const res = await request(app).get(`/self-service/logout?token=${logoutToken}&token=${logoutToken}`).set("Cookie", cookieOf(token));
      expect(res.status).toBe(403);
      expect(store.mutations).toEqual([]);
    });

    it("ends a session presented in X-Session-Token too (Kratos leaves it alive)", async () => {
      const { app } = setup();
      const { token, session } = await aliceLogin();
      const logoutToken = await logoutTokenOf(app, token);
      const res = await request(app).get("/self-service/logout").query({ token: logoutToken }).set("X-Session-Token", token).set("Accept", "application/json");
      expect(res.status).toBe(204);
      expect(await store.getSession(session.id)).toBeUndefined();
    });
  });

  describe("DELETE /self-service/logout/api", () => {
    const native = (app: ReturnType<typeof setup>["app"], body: string, type = "application/json") =>
      request(app).delete("/self-service/logout/api").set("Content-Type", type).send(body);

    it("answers 204 and ends the session, then 204 again for the same token, never touching cookies", async () => {
      const { app } = setup();
      const { token, session } = await aliceLogin();
      const first = await native(app, JSON.stringify({ session_token: token }));
      expect([first.status, first.text]).toEqual([204, ""]);
      expect(first.headers["set-cookie"]).toBeUndefined();
      expect(await store.getSession(session.id)).toBeUndefined();
      expect(ended).toEqual([{ sessionId: session.id, userId: "alice", by: "alice", target: "current", at: expect.any(Number) as number }]);
      store.reset();
      const again = await native(app, JSON.stringify({ session_token: token }));
      expect([again.status, again.text]).toEqual([204, ""]);
      expect(store.mutations).toEqual([]);
      expect(ended).toHaveLength(1);
    });

    it("answers 204 for a token the browser logout ended earlier", async () => {
      const { app } = setup();
      const { token } = await aliceLogin();
      const logoutToken = await logoutTokenOf(app, token);
      await request(app).get("/self-service/logout").query({ token: logoutToken }).set("Cookie", cookieOf(token));
      expect((await native(app, JSON.stringify({ session_token: token }))).status).toBe(204);
    });

    it.each([
      ["an unknown token", JSON.stringify({ session_token: "ory_st_never-issued" })],
      ["an empty token", JSON.stringify({ session_token: "" })],
      ["a null token", JSON.stringify({ session_token: null })],
      ["no token", "{}"],
      ["a JSON null body", "null"],
      ["a token with spaces", JSON.stringify({ session_token: "ory st" })],
    ])("answers 403 for %s, and writes nothing", async (_what, body) => {
      const { app } = setup();
      await aliceLogin();
      store.reset();
      const res = await native(app, body);
      expect([res.status, res.text]).toEqual([403, NATIVE_TOKEN_INVALID]);
      expect(store.mutations).toEqual([]);
    });

    it("answers 400 for an empty body, a wrong Content-Type and bad JSON, with decoderx's reasons", async () => {
      const { app } = setup();
      const { token, session } = await aliceLogin();
      store.reset();
      const empty = await request(app).delete("/self-service/logout/api");
      expect([empty.status, empty.text]).toEqual([400, badRequest('Unable to decode HTTP Request Body because its HTTP Header "Content-Length" is zero.')]);
      const zero = await request(app).delete("/self-service/logout/api").set("Content-Type", "application/json").set("Content-Length", "0");
      expect(zero.text).toBe(empty.text);
      const text = await native(app, JSON.stringify({ session_token: token }), "text/plain");
      expect([text.status, text.text]).toEqual([400, badRequest('HTTP DELETE Request used unknown HTTP Header "Content-Type: text/plain", only [application/json] are supported.')]);
      const broken = await native(app, '{"session_token":');
      expect([broken.status, broken.text]).toEqual([400, badRequest("Unable to decode JSON payload: the body is not valid JSON.")]);
      const array = await native(app, "[]");
      expect(array.status).toBe(400);
      const number = await native(app, '{"session_token":42}');
      expect([number.status, number.text]).toEqual([400, badRequest("Unable to decode JSON payload: session_token must be a string.")]);
      const huge = await native(app, JSON.stringify({ session_token: "x".repeat(20_000) }));
      expect(huge.status).toBe(400);
      expect(store.mutations).toEqual([]);
      expect(await store.getSession(session.id)).toEqual(session);
    });

    it("accepts a charset parameter on the Content-Type and a body a JSON parser already read", async () => {
      const { app } = kratosApp(express, store, {}, (a) => a.use(express5.json()));
      const { token, session } = await aliceLogin();
      const res = await native(app, JSON.stringify({ session_token: token }), "application/json; charset=utf-8");
      expect(res.status).toBe(204);
      expect(await store.getSession(session.id)).toBeUndefined();
    });
  });

  describe("session management", () => {
    it("GET /sessions lists the caller's other live sessions as Kratos session objects, never the current one", async () => {
      const { app } = setup();
      const current = await aliceLogin();
      const other = await login(store, "alice", { ip: "10.0.0.2", userAgent: "Phone" });
      await login(store, "admin");
      const res = await request(app).get("/sessions").set("Cookie", cookieOf(current.token));
      expect(res.status).toBe(200);
      expect(res.headers["content-type"]).toBe("application/json; charset=utf-8");
      expect(res.headers["x-total-count"]).toBe("1");
      const list = res.body as Record<string, unknown>[];
      expect(list.map((s) => s.id)).toEqual([other.session.id]);
      expect(keysOf(JSON.stringify(list[0]))).toEqual([
        "id", "active", "expires_at", "authenticated_at", "authenticator_assurance_level", "authentication_methods", "issued_at", "identity", "devices",
      ]);
      expect(list[0]?.devices).toEqual([{ id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/) as string, ip_address: "10.0.0.2", user_agent: "Phone", location: "" }]);
      expect(res.text).not.toContain(other.session.tokenHash);
    });

    it("DELETE /sessions ends every other session and answers 200 {\"count\":n}; the current one lives", async () => {
      const { app } = setup();
      const current = await aliceLogin();
      await aliceLogin();
      await aliceLogin();
      const admin = await login(store, "admin");
      const res = await request(app).delete("/sessions").set("X-Session-Token", current.token);
      expect([res.status, res.text]).toEqual([200, '{"count":2}']);
      expect(await store.snapshot("alice")).toEqual([current.session]);
      expect(await store.snapshot("admin")).toEqual([admin.session]);
    });

    it("DELETE /sessions/:id ends that one other session of the caller: 204", async () => {
      const { app } = setup();
      const current = await aliceLogin();
      const other = await aliceLogin();
      const third = await aliceLogin();
      const res = await request(app).delete(`/sessions/${other.session.id}`).set("Cookie", cookieOf(current.token));
      expect([res.status, res.text]).toEqual([204, ""]);
      expect((await store.snapshot("alice")).map((s) => s.id).sort()).toEqual([current.session.id, third.session.id].sort());
      expect(ended).toEqual([{ sessionId: other.session.id, userId: "alice", by: "alice", target: "session", at: expect.any(Number) as number }]);
    });

    it("DELETE /sessions/:id takes the braced, URN and upper-case forms of an id", async () => {
      const { app } = setup();
      const current = await aliceLogin();
      const ids = [await aliceLogin(), await aliceLogin(), await aliceLogin()].map((s) => s.session.id);
      const [a = "", b = "", c = ""] = ids;
      for (const form of [`{${a}}`, `urn:uuid:${b.toUpperCase()}`, c.replace(/-/g, "")]) {
        expect((await request(app).delete(`/sessions/${encodeURIComponent(form)}`).set("Cookie", cookieOf(current.token))).status).toBe(204);
      }
      expect(await store.snapshot("alice")).toEqual([current.session]);
    });

    it("DELETE /sessions/:id answers 400 cannot revoke current session for the caller's own, and changes nothing", async () => {
      const { app } = setup();
      const current = await aliceLogin();
      store.reset();
      const res = await request(app).delete(`/sessions/${current.session.id}`).set("Cookie", cookieOf(current.token));
      expect([res.status, res.text]).toEqual([400, CANNOT_REVOKE_CURRENT]);
      expect(store.mutations).toEqual([]);
    });

    it("DELETE /sessions/:id answers a silent 204 for another user's session and for an unknown one, changing nothing", async () => {
      const { app } = setup();
      const current = await aliceLogin();
      const admin = await login(store, "admin");
      store.reset();
      const foreign = await request(app).delete(`/sessions/${admin.session.id}`).set("Cookie", cookieOf(current.token));
      expect([foreign.status, foreign.text]).toEqual([204, ""]);
      const unknown = await request(app).delete("/sessions/00000000-0000-4000-8000-000000000000").set("Cookie", cookieOf(current.token));
      expect(unknown.status).toBe(204);
      expect(store.mutations).toEqual([]);
      expect(await store.getSession(admin.session.id)).toEqual(admin.session);
      expect(ended).toEqual([]);
    });

    it("DELETE /sessions/:id answers 400 with the UUID parse error as message for an id that is not a UUID", async () => {
      const { app } = setup();
      const current = await aliceLogin();
      store.reset();
      const short = await request(app).delete("/sessions/abc").set("Cookie", cookieOf(current.token));
      expect([short.status, short.text]).toEqual([400, '{"error":{"code":400,"status":"Bad Request","message":"uuid: incorrect UUID length 3 in string \\"abc\\""}}']);
      const format = await request(app).delete(`/sessions/${"z".repeat(36)}`).set("Cookie", cookieOf(current.token));
      expect(format.text).toBe(`{"error":{"code":400,"status":"Bad Request","message":"uuid: incorrect UUID format in string \\"${"z".repeat(36)}\\""}}`);
      expect(store.mutations).toEqual([]);
    });

    it("answers 401 No valid session cookie found. on all three without a session, before looking at the id", async () => {
      const { app } = setup();
      await aliceLogin();
      store.reset();
      for (const req of [request(app).get("/sessions"), request(app).delete("/sessions"), request(app).delete("/sessions/abc")]) {
        const res = await req;
        expect([res.status, res.text]).toEqual([401, NO_VALID_SESSION_COOKIE]);
        expect(res.headers["ory-error-id"]).toBe("");
      }
      expect(store.mutations).toEqual([]);
    });
  });

  describe("GET /sessions/whoami", () => {
    it("answers the session object with the identity's traits and X-Kratos-Authenticated-Identity-Id", async () => {
      const { app } = setup();
      const { token, session } = await aliceLogin();
      const res = await request(app).get("/sessions/whoami").set("Authorization", `Bearer ${token}`);
      expect(res.status).toBe(200);
      expect(res.headers["x-kratos-authenticated-identity-id"]).toBe("alice");
      const body = res.body as Record<string, unknown>;
      expect(body.id).toBe(session.id);
      expect(body.active).toBe(true);
      expect(body.expires_at).toBe(new Date(session.expiresAt).toISOString());
      expect(body.identity).toEqual({
        id: "alice",
        schema_id: "default",
        state: "active",
        traits: { email: "alice@example.com", username: "alice", name: { first: "Alice", last: "Liddell" } },
        metadata_public: null,
        created_at: "2024-01-15T09:30:00.000Z",
        updated_at: "2024-01-15T09:30:00.000Z",
      });
      expect(res.text).not.toContain(token);
      expect(res.text).not.toContain("ory_lo_");
    });

    it("answers 401 once the session has been logged out", async () => {
      const { app } = setup();
      const { token } = await aliceLogin();
      await request(app).delete("/self-service/logout/api").set("Content-Type", "application/json").send({ session_token: token });
      const res = await request(app).get("/sessions/whoami").set("X-Session-Token", token);
      expect([res.status, res.text]).toEqual([401, NO_VALID_SESSION_COOKIE]);
    });
  });
});
