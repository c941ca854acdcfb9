/**
 * Security test matrix, group A: ending one's own session with an opaque token or cookie
 * (docs/security.md lists where each case is tested). Every product's logout of the example app is exercised.
 */
import request from "supertest";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { constantTimeEqual, hashSecret } from "../../src/index.js";
import { TENANT_KEY, credentials, demo, exampleHarness, kratosLogoutToken, selfLogouts, type Harness } from "../helpers/example.js";
import { listen, rawRequest } from "../helpers/raw-http.js";

let h: Harness;

beforeAll(() => {
  h = exampleHarness();
});

beforeEach(() => {
  h.events.length = 0;
});

/** Every live session of the demo users and of a bystander, to compare before and after a request. */
const everyone = () => h.base.snapshot("alice", "admin", "bystander");

describe("A1: a valid logout ends the session in the store, answers no-store, and the old credential is refused at once", () => {
  it.each(selfLogouts)("$name", async (logout) => {
    const caller = await h.login("alice");
    const other = await h.login("alice");
    const res = await logout.send(h.app, caller);
    expect(res.status).toBe(logout.success);
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(await h.base.getSession(caller.session.id)).toBeUndefined();
    expect(await h.base.getSession(other.session.id)).toEqual(other.session);
    expect((await logout.whoAmI(h.app, caller)).status).toBe(401);
    expect((await logout.whoAmI(h.app, other)).status).toBe(200);
  });

  it("Kratos browser logout expires the session cookie with the name, Path and attributes it was set with", async () => {
    const set = await request(h.app).post("/self-service/login").send({ username: "alice", password: demo.alicePassword });
    const cookie = (set.headers["set-cookie"] as unknown as string[])[0] ?? "";
    expect(cookie).toMatch(/^ory_kratos_session=[^;]+; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Lax$/);
    const token = (set.body as { session_token: string }).session_token;
    const res = await request(h.app).get("/self-service/logout").query({ token: await kratosLogoutToken(h.app, token) }).set(credentials.kratosCookie(token));
    expect(res.status).toBe(303);
    expect(res.headers["set-cookie"]).toEqual(["ory_kratos_session=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax"]);
  });
});

describe("A2: the pre-logout token stays dead after a new login, and the new session has a new token and id", () => {
  it.each([
    ["Endor", "/v1/auth/login", { username: "alice", password: demo.alicePassword }, (b: Record<string, unknown>) => b.token as string],
    ["Kratos", "/self-service/login", { username: "alice", password: demo.alicePassword }, (b: Record<string, unknown>) => b.session_token as string],
    ["Rocket.Chat", "/api/v1/login", { user: "alice", password: demo.alicePassword }, (b: Record<string, unknown>) => (b.data as { authToken: string }).authToken],
  ] as const)("%s", async (_product, path, body, tokenOf) => {
    const first = tokenOf((await request(h.app).post(path).send(body)).body as Record<string, unknown>);
    const firstSession = await h.base.findSessionByTokenHash(hashSecret(first));
    await request(h.app).get("/v1/auth/login/logout").set(credentials.endor(first)).expect(200);
    const second = tokenOf((await request(h.app).post(path).send(body)).body as Record<string, unknown>);
    const secondSession = await h.base.findSessionByTokenHash(hashSecret(second));
    expect(second).not.toBe(first);
    expect(secondSession?.id).not.toBe(firstSession?.id);
    expect((await request(h.app).get("/v1/auth").set(credentials.endor(first))).status).toBe(401);
    expect((await request(h.app).get("/v1/auth").set(credentials.endor(second))).status).toBe(200);
  });
});

describe("A3: repeating a logout changes nothing and reports no second ending", () => {
  // The products disagree on the second answer: SOAJS and Kratos' native logout answer success again (their
  // idempotent contract); the bearer-token routes answer 401 because the token no longer names anyone.
  const second: Record<string, number> = {
    "Endor GET /v1/auth/:source/logout": 401,
    "SOAJS GET /urac/logout": 200,
    "Rocket.Chat POST /api/v1/logout": 401,
    "Kratos browser GET /self-service/logout": 401,
    "Kratos native DELETE /self-service/logout/api": 204,
  };

  it.each(selfLogouts)("$name", async (logout) => {
    const caller = await h.login("alice");
    // The Kratos browser logout needs its token before the session ends.
    const logoutToken = await kratosLogoutToken(h.app, caller.token);
    await h.login("alice");
    expect((await logout.send(h.app, caller)).status).toBe(logout.success);
    const before = await everyone();
    h.base.reset();
    const again = logout.name.startsWith("Kratos browser")
      ? await request(h.app).get("/self-service/logout").query({ token: logoutToken }).set(credentials.kratosCookie(caller.token))
      : await logout.send(h.app, caller);
    expect(again.status).toBe(second[logout.name]);
    expect(again.headers.location).toBeUndefined();
    expect(again.headers["set-cookie"]).toBeUndefined();
    expect(h.base.mutations.filter((m) => m !== "incrementCounter")).toEqual([]);
    expect(await everyone()).toEqual(before);
    expect(h.ended().filter((e) => e.sessionId === caller.session.id)).toHaveLength(1);
  });
});

describe("A4: a logout without any credential is refused (SOAJS: an anonymous no-op) and changes nothing", () => {
  it.each(selfLogouts)("$name", async (logout) => {
    await h.login("alice");
    const before = await everyone();
    h.base.reset();
    const res = await logout.send(h.app, undefined);
    if (logout.name.startsWith("SOAJS")) expect([res.status, res.text]).toEqual([200, '{"result":true,"data":true}']);
    else if (logout.name.startsWith("Kratos native")) expect(res.status).toBe(403);
    else expect(res.status).toBe(401);
    expect(h.base.mutations).toEqual([]);
    expect(await everyone()).toEqual(before);
    expect(h.ended()).toEqual([]);
  });
});

describe("A5: an unknown token gets the same answer as no credential and as an ended token (no existence oracle)", () => {
  const unknownToken = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

  it.each(selfLogouts.filter((l) => !l.name.startsWith("Kratos native")))("$name", async (logout) => {
    const ended = await h.login("alice");
    await logout.send(h.app, ended);
    await h.login("alice");
    const before = await everyone();
    h.base.reset();
    const unknown = await logout.send(h.app, { token: unknownToken, userId: "alice" });
    const gone = await logout.send(h.app, ended);
    const none = await logout.send(h.app, undefined);
    expect(h.base.mutations).toEqual([]);
    expect(await everyone()).toEqual(before);
    if (logout.name.startsWith("SOAJS")) {
      // SOAJS echoes the caller's own handle back; otherwise the three answers are the same.
      expect(unknown.body).toEqual({ result: true, data: true, soajsauth: credentials.soajs(unknownToken).soajsauth });
      expect(gone.body).toEqual({ result: true, data: true, soajsauth: credentials.soajs(ended.token).soajsauth });
      expect(none.body).toEqual({ result: true, data: true });
      return;
    }
    expect([unknown.status, unknown.text]).toEqual([none.status, none.text]);
    expect([gone.status, gone.text]).toEqual([none.status, none.text]);
  });

  it("Kratos native logout answers an unknown token as it answers an empty one (a token it ended is 204, as in Kratos)", async () => {
    const send = (body: unknown) => request(h.app).delete("/self-service/logout/api").set("Content-Type", "application/json").send(JSON.stringify(body));
    const unknown = await send({ session_token: unknownToken });
    const empty = await send({});
    expect([unknown.status, unknown.text]).toEqual([empty.status, empty.text]);
    expect(unknown.status).toBe(403);
  });
});

describe("A6: malformed tokens are a 400/401/403, never a 5xx, and the store never sees them", () => {
  const malformed: readonly (readonly [what: string, value: string])[] = [
    ["an empty string", ""],
    ["whitespace", "   "],
    ["a 10 kB token", "a".repeat(10_000)],
    ["a literal %00", "abc%00def"],
    ["an SQL injection", "'; DROP TABLE sessions; --"],
    ["a JSON operator object", '{"$ne":null}'],
    ["a JSON array", '["a","b"]'],
    ["a comma list (a repeated header)", "tokenA, tokenB"],
  ];

  /**
   * What a request hands the store: only a 43-character base64url hash, never the value it was sent, in a lookup
   * by that hash or in a logout by it (the one-call endings).
   */
  function expectStoreNeverSaw(value: string) {
    for (const { method, args } of h.base.log) {
      expect(["findSessionByTokenHash", "endSessionByTokenHash", "endUserSessionsByTokenHash"]).toContain(method);
      expect(args[0]).toMatch(/^[A-Za-z0-9_-]{43}$/);
      if (value !== "") expect(JSON.stringify(args)).not.toContain(value);
    }
  }

  const routes = [
    ["Endor", (v: string) => request(h.app).get("/v1/auth/login/logout").set("Authorization", `Bearer ${v}`)],
    ["SOAJS", (v: string) => request(h.app).get("/urac/logout").set({ key: TENANT_KEY, soajsauth: v })],
    ["Rocket.Chat", (v: string) => request(h.app).post("/api/v1/logout").set({ "X-User-Id": "alice", "X-Auth-Token": v })],
    ["Kratos cookie", (v: string) => request(h.app).get("/sessions/whoami").set("Cookie", `ory_kratos_session=${encodeURIComponent(v)}`)],
    ["Kratos header", (v: string) => request(h.app).delete("/sessions").set("X-Session-Token", v)],
  ] as const;

  for (const [product, send] of routes) {
    it.each(malformed)(`A6 ${product}: %s`, async (_what, value) => {
      await h.login("alice");
      const before = await everyone();
      h.base.reset();
      const res = await send(value);
      expect(res.status).toBeLessThan(500);
      // SOAJS answers an unusable handle as the anonymous logout it is.
      if (product === "SOAJS") expect(res.body).toMatchObject({ result: true, data: true });
      else expect([400, 401, 403]).toContain(res.status);
      expect(h.base.mutations).toEqual([]);
      expectStoreNeverSaw(value);
      expect(await everyone()).toEqual(before);
    });
  }

  it.each([
    ["a JSON operator object", { $ne: null }],
    ["an array", ["a", "b"]],
    ["a number", 12345],
    ["null", null],
    ["true", true],
  ])("A6 Kratos native logout: session_token as %s is a 400/403 and the store is never asked", async (_what, value) => {
    await h.login("alice");
    const before = await everyone();
    h.base.reset();
    const res = await request(h.app).delete("/self-service/logout/api").set("Content-Type", "application/json").send(JSON.stringify({ session_token: value }));
    expect([400, 403]).toContain(res.status);
    expect(h.base.calls).toEqual([]);
    expect(await everyone()).toEqual(before);
  });

  it.each([
    ["a JSON operator object", { $ne: null }],
    ["an array", ["a"]],
    ["a number", 1],
    ["null", null],
  ])("A6 Rocket.Chat logout.me: sessionId as %s is a 400 and nothing ends", async (_what, value) => {
    const caller = await h.login("alice");
    const before = await everyone();
    h.base.reset();
    const res = await request(h.app).post("/api/v1/sessions/logout.me").set(credentials.rocketChat("alice", caller.token)).send({ sessionId: value });
    expect(res.status).toBe(400);
    expect(h.base.mutations).toEqual([]);
    expect(await everyone()).toEqual(before);
  });

  describe("bytes Node's own HTTP client refuses to send", () => {
    let server: Awaited<ReturnType<typeof listen>>;
    beforeAll(async () => {
      server = await listen(h.app);
    });
    afterAll(async () => {
      await server.close();
    });

    it.each([
      ["emoji (UTF-8 bytes)", Buffer.from("Bearer \u{1F600}\u{1F600}\u{1F600}", "utf8"), [401]],
      ["non-ASCII latin1", Buffer.from("Bearer t\u00f6k\u00e9n", "latin1"), [401]],
      ["a NUL byte", Buffer.from("Bearer abc\u0000def", "latin1"), [400]],
      ["a bare CR", Buffer.from("Bearer abc\rdef", "latin1"), [400]],
      ["a DEL byte", Buffer.from("Bearer abc\u007fdef", "latin1"), [400]],
      ["a vertical tab", Buffer.from("Bearer abc\u000bdef", "latin1"), [400]],
      ["a bare LF (the rest is no header line)", Buffer.from("Bearer abc\ndef", "latin1"), [400]],
    ] as const)("A6 Endor over a raw socket, %s: never a 5xx, nothing changes", async (_what, value, statuses) => {
      await h.login("alice");
      const before = await everyone();
      h.base.reset();
      const res = await rawRequest(server.port, { method: "GET", target: "/v1/auth/login/logout", headers: [["Authorization", value]] });
      expect(statuses as readonly number[]).toContain(res.status);
      expect(h.base.mutations).toEqual([]);
      expect(h.base.calls).toEqual([]);
      expect(await everyone()).toEqual(before);
    });
  });
});

describe("A7: a token or id of another length than the stored one is a 401/403, never a RangeError 500", () => {
  it("compares strings of any lengths in constant time without throwing", () => {
    expect(constantTimeEqual("a", "a".repeat(1000))).toBe(false);
    expect(constantTimeEqual("", "x")).toBe(false);
    expect(constantTimeEqual("\u{1F600}", "\u{1F600}")).toBe(true);
  });

  it.each([
    ["Rocket.Chat X-User-Id longer than the session's user id", (t: string) => request(h.app).post("/api/v1/logout").set({ "X-User-Id": "alice-and-more", "X-Auth-Token": t }), 401],
    ["Rocket.Chat X-User-Id shorter than the session's user id", (t: string) => request(h.app).post("/api/v1/logout").set({ "X-User-Id": "a", "X-Auth-Token": t }), 401],
    ["Endor, the token with a character more", (t: string) => request(h.app).get("/v1/auth/login/logout").set(credentials.endor(`${t}x`)), 401],
    ["Kratos, a logout token of another length", (t: string) => request(h.app).get("/self-service/logout").query({ token: "ory_lo_short" }).set(credentials.kratosCookie(t)), 403],
  ] as const)("%s", async (_what, send, status) => {
    const caller = await h.login("alice");
    const before = await everyone();
    h.base.reset();
    const res = await send(caller.token);
    expect(res.status).toBe(status);
    expect(h.base.mutations).toEqual([]);
    expect(await everyone()).toEqual(before);
  });
});

describe("A8: a cookie and a header naming different sessions: the one that authenticated ends, never the other", () => {
  it("Kratos: X-Session-Token decides over the cookie; the cookie's session lives", async () => {
    const byHeader = await h.login("alice");
    const byCookie = await h.login("admin");
    const res = await request(h.app)
      .get("/self-service/logout")
      .query({ token: await kratosLogoutToken(h.app, byHeader.token) })
      .set({ ...credentials.kratosHeader(byHeader.token), ...credentials.kratosCookie(byCookie.token), Accept: "application/json" });
    expect(res.status).toBe(204);
    expect(await h.base.getSession(byHeader.session.id)).toBeUndefined();
    expect(await h.base.getSession(byCookie.session.id)).toEqual(byCookie.session);
  });

  it("Kratos: the cookie's logout token with a header of another session is a 403, and neither ends", async () => {
    const byHeader = await h.login("alice");
    const byCookie = await h.login("admin");
    const before = await everyone();
    h.base.reset();
    const res = await request(h.app)
      .get("/self-service/logout")
      .query({ token: await kratosLogoutToken(h.app, byCookie.token) })
      .set({ ...credentials.kratosHeader(byHeader.token), ...credentials.kratosCookie(byCookie.token) });
    expect(res.status).toBe(403);
    expect(h.base.mutations).toEqual([]);
    expect(await everyone()).toEqual(before);
  });

  it("Kratos: the same token in the cookie and the header is one session, ended once, never a 500", async () => {
    const caller = await h.login("alice");
    const res = await request(h.app)
      .get("/self-service/logout")
      .query({ token: await kratosLogoutToken(h.app, caller.token) })
      .set({ ...credentials.kratosHeader(caller.token), ...credentials.kratosCookie(caller.token), Accept: "application/json" });
    expect(res.status).toBe(204);
    expect(h.ended().filter((e) => e.sessionId === caller.session.id)).toHaveLength(1);
  });

  it("Kratos: DELETE /sessions ends the others of the header's user only", async () => {
    const byHeader = await h.login("alice");
    const aliceOther = await h.login("alice");
    const byCookie = await h.login("admin");
    const adminOther = await h.login("admin");
    const res = await request(h.app).delete("/sessions").set({ ...credentials.kratosHeader(byHeader.token), ...credentials.kratosCookie(byCookie.token) });
    expect(res.status).toBe(200);
    expect(await h.base.getSession(aliceOther.session.id)).toBeUndefined();
    expect(await h.base.getSession(byHeader.session.id)).toBeDefined();
    expect(await h.base.snapshot("admin")).toEqual(expect.arrayContaining([byCookie.session, adminOther.session]));
  });

  it("SOAJS: the soajsauth header decides over the soajsID cookie; the cookie's session lives", async () => {
    const byHeader = await h.login("alice");
    const byCookie = await h.login("admin");
    const res = await request(h.app).get("/urac/logout").set({ ...credentials.soajs(byHeader.token), Cookie: `soajsID=${byCookie.token}` });
    expect((res.body as { data: { _id: string } }).data._id).toBe("alice");
    expect(await h.base.getSession(byHeader.session.id)).toBeUndefined();
    expect(await h.base.getSession(byCookie.session.id)).toEqual(byCookie.session);
  });

  it("a malformed header never falls through to a valid cookie", async () => {
    const byCookie = await h.login("alice");
    const before = await everyone();
    h.base.reset();
    const res = await request(h.app).delete("/sessions").set({ "X-Session-Token": "not a token", ...credentials.kratosCookie(byCookie.token) });
    expect(res.status).toBe(401);
    expect(await everyone()).toEqual(before);
  });
});

describe("A9: a session id of another user on the routes that end one named session is a no-op", () => {
  it("Kratos DELETE /sessions/:id: a silent 204, and the other user's session lives", async () => {
    const caller = await h.login("alice");
    const victim = await h.login("admin");
    const before = await everyone();
    h.base.reset();
    const res = await request(h.app).delete(`/sessions/${victim.session.id}`).set(credentials.kratosCookie(caller.token));
    expect(res.status).toBe(204);
    expect(h.base.mutations).toEqual([]);
    expect(await everyone()).toEqual(before);
  });

  it("Rocket.Chat logout.me: 404 Session not found, and the other user's session lives", async () => {
    const caller = await h.login("alice");
    const victim = await h.login("admin");
    const before = await everyone();
    h.base.reset();
    const res = await request(h.app).post("/api/v1/sessions/logout.me").set(credentials.rocketChat("alice", caller.token)).send({ sessionId: victim.session.id });
    expect([res.status, res.text]).toEqual([404, '{"success":false,"error":"Session not found"}']);
    expect(h.base.mutations).toEqual([]);
    expect(await everyone()).toEqual(before);
  });
});

describe("A10: ending the current session through the route for other sessions", () => {
  it("is a 400 cannot revoke current session, and nothing changes", async () => {
    const caller = await h.login("alice");
    const before = await everyone();
    h.base.reset();
    const res = await request(h.app).delete(`/sessions/${caller.session.id.toUpperCase()}`).set(credentials.kratosCookie(caller.token));
    expect(res.status).toBe(400);
    expect(h.base.mutations).toEqual([]);
    expect(await everyone()).toEqual(before);
  });
});

describe("A11: ending all other sessions", () => {
  it("answers the count, refuses every other session at once, keeps the current one and every other user's", async () => {
    const caller = await h.login("alice");
    const others = [await h.login("alice"), await h.login("alice")];
    const admin = await h.login("admin");
    const count = (await h.base.snapshot("alice")).length - 1;
    const res = await request(h.app).delete("/sessions").set(credentials.kratosCookie(caller.token));
    expect([res.status, res.text]).toEqual([200, `{"count":${String(count)}}`]);
    expect(await h.base.snapshot("alice")).toEqual([caller.session]);
    for (const other of others) expect((await request(h.app).get("/sessions/whoami").set(credentials.kratosCookie(other.token))).status).toBe(401);
    expect((await request(h.app).get("/sessions/whoami").set(credentials.kratosCookie(caller.token))).status).toBe(200);
    expect(await h.base.getSession(admin.session.id)).toEqual(admin.session);
  });
});

describe("A13: the wrong method on a POST or DELETE logout route never reaches the handler", () => {
  const routes = [
    ["/api/v1/logout", "POST"],
    ["/api/v1/sessions/logout", "POST"],
    ["/api/v1/sessions/logout.me", "POST"],
    ["/self-service/logout/api", "DELETE"],
    ["/sessions", "DELETE"],
  ] as const;

  for (const [path, method] of routes) {
    it.each(["GET", "HEAD", "PUT", "PATCH", "OPTIONS"] as const)(`A13 ${method} ${path} sent as %s`, async (wrong) => {
      const caller = await h.login("alice");
      const before = await everyone();
      h.base.reset();
      const headers = { ...credentials.rocketChat("alice", caller.token), ...credentials.kratosHeader(caller.token), "Content-Type": "application/json" };
      const verb = wrong.toLowerCase() as "get" | "head" | "put" | "patch" | "options";
      if ((wrong === "GET" || wrong === "HEAD") && path === "/sessions") {
        // GET /sessions (and so HEAD) is Kratos' list route: it reads, it never ends anything.
        expect((await request(h.app)[verb](path).set(headers)).status).toBe(200);
      } else {
        const body = JSON.stringify({ sessionId: caller.session.id, session_token: caller.token });
        const res = wrong === "HEAD" || wrong === "OPTIONS" ? await request(h.app)[verb](path).set(headers) : await request(h.app)[verb](path).set(headers).send(body);
        // Express answers OPTIONS itself with the methods the path has; every other wrong method is a 404.
        if (wrong === "OPTIONS") expect(res.headers.allow).toContain(method);
        else expect(res.status).toBe(404);
      }
      expect(h.base.mutations).toEqual([]);
      expect(await everyone()).toEqual(before);
    });
  }
});
