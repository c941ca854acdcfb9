import cookieParser from "cookie-parser";
import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  LogoutError,
  LogoutEvents,
  MemorySessionStore,
  browserLogoutFlow,
  hashSecret,
  allStoreMethods,
  shapes,
  type BrowserLogoutFlowOptions,
  type CompleteSessionStore,
} from "../src/index.js";
import { expressVersions } from "./helpers/express.js";
import { login } from "./helpers/fixture.js";
import { NO_VALID_SESSION_COOKIE, SECRET, SESSION_INACTIVE, TOKEN_MISMATCH, cookieOf, kratosApp, returnToForbidden } from "./helpers/kratos.js";
import { RecordingStore, brokenStore } from "./helpers/store.js";

/** Security test matrix group D, as a browser would send it: each is refused at creation and at logout. */
const openRedirects = [
  "https://evil.example/",
  "http://app.example.com/",
  "//evil.example",
  "///evil.example",
  "\\\\evil.example",
  "/\\evil.example",
  "\\/evil.example",
  "/ /evil",
  "/\t/evil",
  "/\n/evil",
  "/\r\\evil",
  "/\v/evil",
  "/%09/evil",
  "%2F%2Fevil.example",
  "/%5Cevil.example",
  " https://app.example.com/",
  "\thttps://app.example.com/",
  "/./\\evil.example",
  "/./../../\\evil.example",
  "/app/../../evil",
  "/app/%2e%2e/evil",
  "https://app.example.com@evil.example/",
  "https://evil.example#@app.example.com",
  "https://evil.example?x=app.example.com",
  "https://evil.example/app.example.com",
  "https://app.example.com.evil.example/",
  "https://evilapp.example.com/",
  "https://app.example.com./",
  "https://\u0430pp.example.com/",
  "http://2130706433/",
  "https://app.example.com:8443/",
  "javascript:alert(1)",
  "JaVaScRiPt:alert(1)",
  "data:text/html,<script>alert(1)</script>",
  "vbscript:msgbox(1)",
  "file:///etc/passwd",
  "ftp://app.example.com/",
  `/${"a".repeat(8 * 1024)}`,
  "%zz",
  "/%zz",
];

const allowedReturns = ["/dashboard", "/foo/kratos%23abcd", "https://app.example.com/", "https://APP.example.com/x?y=1#z", "https://auth.example.com/welcome"];

/** Go's %q of a JS string, JSON-escaped again as it sits inside the body. */
function quotedInBody(value: string): string {
  const go = JSON.stringify(value)
    .slice(1, -1)
    .replace(/\\u000b/g, "\\v")
    .replace(/\\u0007/g, "\\a");
  return JSON.stringify(go).slice(1, -1);
}

describe.each(expressVersions)("browserLogoutFlow on $name", ({ express }) => {
  let store: RecordingStore;

  beforeEach(() => {
    store = new RecordingStore();
  });

  const setup = (extra: Partial<BrowserLogoutFlowOptions> = {}, before?: Parameters<typeof kratosApp>[3]) => kratosApp(express, store, extra, before);

  describe("return_to", () => {
    it.each(openRedirects)("refuses %j when the logout URL is made, with nothing written and no Location", async (value) => {
      const { app } = setup();
      const { token, session } = await login(store, "alice");
      store.reset();
      const res = await request(app).get("/self-service/logout/browser").query({ return_to: value }).set("Cookie", cookieOf(token));
      expect(res.status).toBe(400);
      expect(res.headers.location).toBeUndefined();
      expect(res.text).toBe(returnToForbidden(quotedInBody(value)));
      expect(store.mutations).toEqual([]);
      expect(await store.getSession(session.id)).toEqual(session);
    });

    it.each(openRedirects)("refuses %j at logout with 400 before anything is revoked: the session and cookie live on", async (value) => {
      const { app, flow } = setup();
      const { token, session } = await login(store, "alice");
      store.reset();
      const res = await request(app).get("/self-service/logout").query({ token: flow.logoutToken(session), return_to: value }).set("Cookie", cookieOf(token));
      expect(res.status).toBe(400);
      expect(res.headers.location).toBeUndefined();
      expect(res.headers["set-cookie"]).toBeUndefined();
      expect(store.mutations).toEqual([]);
      expect(await store.snapshot("alice")).toEqual([session]);
    });

    it.each(allowedReturns)("redirects to the allowed %j with a byte-identical Location, carried through the logout URL", async (value) => {
      const { app } = setup();
      const { token, session } = await login(store, "alice");
      const created = await request(app).get("/self-service/logout/browser").query({ return_to: value }).set("Cookie", cookieOf(token));
      expect(created.status).toBe(200);
      const logoutUrl = new URL((created.body as { logout_url: string }).logout_url);
      expect(logoutUrl.searchParams.get("return_to")).toBe(value);
      const res = await request(app).get(`${logoutUrl.pathname}${logoutUrl.search}`).set("Cookie", cookieOf(token));
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe(value);
      expect(await store.getSession(session.id)).toBeUndefined();
    });

    it("re-checks return_to at logout: an allowed one edited in the URL is refused and nothing ends", async () => {
      const { app } = setup();
      const { token, session } = await login(store, "alice");
      const created = await request(app).get("/self-service/logout/browser").query({ return_to: "https://app.example.com/" }).set("Cookie", cookieOf(token));
      const edited = (created.body as { logout_url: string }).logout_url.replace("app.example.com", "evil.example");
      store.reset();
      const res = await request(app).get(new URL(edited).pathname + new URL(edited).search).set("Cookie", cookieOf(token));
      expect([res.status, res.text]).toEqual([400, returnToForbidden("https://evil.example/")]);
      expect(store.mutations).toEqual([]);
      expect(await store.getSession(session.id)).toEqual(session);
    });

    it("refuses a repeated return_to, even when both copies are allowed", async () => {
      const { app, flow } = setup();
      const { token, session } = await login(store, "alice");
      store.reset();
      const created = await request(app).get("/self-service/logout/browser?return_to=/a&return_to=/a").set("Cookie", cookieOf(token));
      expect([created.status, created.text]).toEqual([400, returnToForbidden("/a")]);
      const res = await request(app).get(`/self-service/logout?token=${flow.logoutToken(session)}&return_to=/a&return_to=https://evil.example/`).set("Cookie", cookieOf(token));
      expect(res.status).toBe(400);
      expect(store.mutations).toEqual([]);
    });

    it("refuses a raw, badly encoded return_to in the query (not a 500)", async () => {
      const { app } = setup();
      const { token } = await login(store, "alice");
      for (const raw of ["%zz", "%E0%A4%A", "%ff", "%00"]) {
        const res = await request(app).get(`/self-service/logout/browser?return_to=${raw}`).set("Cookie", cookieOf(token));
        expect(res.status).toBe(400);
        expect(res.headers["ory-error-id"]).toBe("self_service_flow_return_to_forbidden");
      }
    });

    it("uses returnTo.default when the logout URL has no return_to", async () => {
      const { app, flow } = setup({ returnTo: { allow: ["https://app.example.com/"], default: "https://app.example.com/bye" } });
      const { token, session } = await login(store, "alice");
      const res = await request(app).get("/self-service/logout").query({ token: flow.logoutToken(session), return_to: "" }).set("Cookie", cookieOf(token));
      expect(res.headers.location).toBe("https://app.example.com/bye");
    });
  });

  describe("the session cookie", () => {
    const attributes = (setCookie: string) => setCookie.split("; ").slice(1).filter((a) => !a.startsWith("Expires=")).sort();

    it("is cleared with the name, Path, Domain, SameSite and Secure it was set with", async () => {
      const sessionCookie = { name: "__Secure-sid", path: "/app", domain: "example.com", sameSite: "strict", secure: true } as const;
      const { app, flow } = setup({ sessionCookie }, (a) => {
        a.post("/login", (req, res, next) => {
          login(store, "alice").then(({ token, session }) => {
            flow.setSessionCookie(res, token, session.expiresAt);
            res.status(204).end();
          }, next);
        });
      });
      const set = (await request(app).post("/login")).headers["set-cookie"] as unknown as string[];
      expect(set).toHaveLength(1);
      const setCookie = set[0] ?? "";
      expect(attributes(setCookie)).toEqual(["Domain=example.com", "HttpOnly", "Path=/app", "SameSite=Strict", "Secure"]);
      const token = decodeURIComponent(setCookie.split(";")[0]?.split("=")[1] ?? "");
      const session = await store.findSessionByTokenHash(hashSecret(token));
      if (session === undefined) throw new Error("the login's cookie names no session");
      const res = await request(app).get("/self-service/logout").query({ token: flow.logoutToken(session) }).set("Cookie", `__Secure-sid=${token}`);
      expect(res.status).toBe(303);
      const cleared = (res.headers["set-cookie"] as unknown as string[])[0] ?? "";
      expect(cleared.startsWith("__Secure-sid=;")).toBe(true);
      expect(cleared).toContain("Expires=Thu, 01 Jan 1970 00:00:00 GMT");
      expect(attributes(cleared)).toEqual(attributes(setCookie));
    });

    it("is not Secure by default when the public URL is plain http", async () => {
      const { app, flow } = setup({ publicUrl: "http://127.0.0.1:3000" });
      const { token, session } = await login(store, "alice");
      const res = await request(app).get("/self-service/logout").query({ token: flow.logoutToken(session) }).set("Cookie", cookieOf(token));
      expect(res.headers["set-cookie"]).toEqual(["ory_kratos_session=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax"]);
    });

    it("is read as a signed cookie when signed, and a forged signature is refused", async () => {
      const { app, flow } = setup({ sessionCookie: { signed: true } }, (a) => {
        a.use(cookieParser("cookie-signing-secret"));
        a.post("/login", (req, res, next) => {
          login(store, "alice").then(({ token }) => {
            flow.setSessionCookie(res, token);
            res.status(204).end();
          }, next);
        });
      });
      const setCookie = ((await request(app).post("/login")).headers["set-cookie"] as unknown as string[])[0] ?? "";
      const pair = setCookie.split(";")[0] ?? "";
      expect(pair).toMatch(/^ory_kratos_session=s%3A/);
      expect((await request(app).get("/sessions/whoami").set("Cookie", pair)).status).toBe(200);
      const unsigned = `ory_kratos_session=${decodeURIComponent(pair.split("=")[1] ?? "").slice(2).split(".")[0] ?? ""}`;
      expect((await request(app).get("/sessions/whoami").set("Cookie", unsigned)).status).toBe(401);
      const forged = `${pair.slice(0, -3)}AAA`;
      expect((await request(app).get("/self-service/logout/browser").set("Cookie", forged)).text).toBe(SESSION_INACTIVE);
    });
  });

  describe("Clear-Site-Data", () => {
    async function logoutHeaders(extra: Partial<BrowserLogoutFlowOptions>, trustProxy: boolean | undefined, forwardedProto: string | undefined, accept = "text/html") {
      const { app, flow } = setup(extra, (a) => {
        if (trustProxy !== undefined) a.set("trust proxy", trustProxy);
      });
      const { token, session } = await login(store, "alice");
      let req = request(app).get("/self-service/logout").query({ token: flow.logoutToken(session) }).set("Cookie", cookieOf(token)).set("Accept", accept);
      if (forwardedProto !== undefined) req = req.set("X-Forwarded-Proto", forwardedProto);
      const res = await req;
      expect(res.status).toBeLessThan(400);
      return res.headers;
    }

    it("is sent over HTTPS, as Express' trust proxy says, when enabled", async () => {
      expect((await logoutHeaders({ clearSiteData: true }, true, "https"))["clear-site-data"]).toBe('"cookies", "storage"');
      expect((await logoutHeaders({ clearSiteData: { cache: true } }, true, "https"))["clear-site-data"]).toBe('"cookies", "storage", "cache"');
      expect((await logoutHeaders({ clearSiteData: true }, true, "https", "application/json"))["clear-site-data"]).toBe('"cookies", "storage"');
    });

    it("is absent over plain HTTP, when X-Forwarded-Proto is not trusted, and when disabled", async () => {
      expect((await logoutHeaders({ clearSiteData: true }, undefined, undefined))["clear-site-data"]).toBeUndefined();
      expect((await logoutHeaders({ clearSiteData: true }, undefined, "https"))["clear-site-data"]).toBeUndefined();
      expect((await logoutHeaders({ clearSiteData: true }, false, "https"))["clear-site-data"]).toBeUndefined();
      expect((await logoutHeaders({ clearSiteData: true }, true, "http"))["clear-site-data"]).toBeUndefined();
      expect((await logoutHeaders({ clearSiteData: false }, true, "https"))["clear-site-data"]).toBeUndefined();
      expect((await logoutHeaders({}, true, "https"))["clear-site-data"]).toBeUndefined();
    });

    it("is never sent with a refusal", async () => {
      const { app } = setup({ clearSiteData: true }, (a) => a.set("trust proxy", true));
      const { token } = await login(store, "alice");
      const res = await request(app).get("/self-service/logout").query({ token: "ory_lo_wrong" }).set("Cookie", cookieOf(token)).set("X-Forwarded-Proto", "https");
      expect(res.status).toBe(403);
      expect(res.headers["clear-site-data"]).toBeUndefined();
    });
  });

  describe("the error page", () => {
    it("sends refused browsers there with 303 and the error code, and API clients get the JSON error", async () => {
      const { app } = setup({ errorUrl: "/error" });
      const { token, session } = await login(store, "alice");
      store.reset();
      const cases = [
        [request(app).get("/self-service/logout"), "/error?error=logout-token-missing"],
        [request(app).get("/self-service/logout").query({ token: "x" }), "/error?error=unauthenticated"],
        [request(app).get("/self-service/logout").query({ token: "x" }).set("Cookie", cookieOf(token)), "/error?error=logout-token-mismatch"],
        [request(app).get("/self-service/logout/browser").query({ return_to: "//evil" }).set("Cookie", cookieOf(token)), "/error?error=return-to-forbidden"],
      ] as const;
      for (const [req, location] of cases) {
        const res = await req;
        expect([res.status, res.headers.location]).toEqual([303, location]);
      }
      const json = await request(app).get("/self-service/logout").query({ token: "x" }).set("Cookie", cookieOf(token)).set("Accept", "application/json");
      expect([json.status, json.text]).toEqual([403, TOKEN_MISMATCH]);
      expect(store.mutations).toEqual([]);
      expect(await store.getSession(session.id)).toEqual(session);
    });

    it("appends the error to an error URL that already has a query, and leaves API routes alone", async () => {
      const { app } = setup({ errorUrl: "https://app.example.com/error?from=logout" });
      const res = await request(app).get("/self-service/logout/browser");
      expect(res.headers.location).toBe("https://app.example.com/error?from=logout&error=unauthenticated");
      const list = await request(app).get("/sessions");
      expect([list.status, list.text]).toEqual([401, NO_VALID_SESSION_COOKIE]);
    });
  });

  describe("the logout token", () => {
    it("survives a secret rotation: a token signed with the old secret still logs out, new ones use the new secret", async () => {
      const oldSecret = "the-old-logout-secret-0123456789abcdef";
      const before = setup({ secrets: [oldSecret] });
      const after = setup({ secrets: [SECRET, oldSecret] });
      const { token, session } = await login(store, "alice");
      const oldToken = before.flow.logoutToken(session);
      expect(after.flow.logoutToken(session)).not.toBe(oldToken);
      const res = await request(after.app).get("/self-service/logout").query({ token: oldToken }).set("Cookie", cookieOf(token));
      expect(res.status).toBe(303);
    });

    it("is refused once the old secret is retired", async () => {
      const { app, flow } = setup({ secrets: [SECRET] });
      const { token, session } = await login(store, "alice");
      const stale = setup({ secrets: ["the-old-logout-secret-0123456789abcdef"] }).flow.logoutToken(session);
      expect(stale).not.toBe(flow.logoutToken(session));
      store.reset();
      const res = await request(app).get("/self-service/logout").query({ token: stale }).set("Cookie", cookieOf(token));
      expect([res.status, res.text]).toEqual([403, TOKEN_MISMATCH]);
      expect(store.mutations).toEqual([]);
    });

    it("builds logout URLs for server-rendered pages, under the public URL's own path prefix", async () => {
      const { flow } = setup({ publicUrl: "https://example.com/auth/", logoutPath: "/logout" });
      const s1 = { id: "s1", tokenHash: hashSecret("token-of-s1") };
      expect(flow.logoutUrl(s1)).toBe(`https://example.com/auth/logout?token=${flow.logoutToken(s1)}`);
      expect(flow.logoutUrl(s1, "/home")).toBe(`https://example.com/auth/logout?return_to=%2Fhome&token=${flow.logoutToken(s1)}`);
      expect(() => flow.logoutUrl(s1, "https://evil.example/")).toThrow(LogoutError);
      await Promise.resolve();
    });

    it("is bound to the session's token: a rotated token retires it, and a session without a token hash is bound to its id", () => {
      const { flow } = setup();
      const session = { id: "s1", tokenHash: hashSecret("token-of-s1") };
      expect(flow.logoutToken({ ...session, tokenHash: hashSecret("rotated-token-of-s1") })).not.toBe(flow.logoutToken(session));
      expect(flow.logoutToken({ ...session, id: "renamed" })).toBe(flow.logoutToken(session));
      // A JWT's session has no token hash: two of them must never share a logout token.
      expect(flow.logoutToken({ id: "jti-1", tokenHash: "" })).not.toBe(flow.logoutToken({ id: "jti-2", tokenHash: "" }));
    });

    it("is checked against the cookie before any store call: a logout is then one call, the ending with its revoked-token record", async () => {
      const { app, flow } = setup();
      const { token, session } = await login(store, "alice");
      store.reset();
      const res = await request(app).get("/self-service/logout").query({ token: flow.logoutToken(session) }).set("Cookie", cookieOf(token));
      expect(res.status).toBe(303);
      expect(store.calls).toEqual(["endSessionByTokenHash"]);
      expect(store.log[0]?.args).toEqual([session.tokenHash, { marker: { key: `logout:revoked:${session.tokenHash}`, ttlMs: 60_000 } }]);
      expect(await store.getSession(session.id)).toBeUndefined();
      expect(await store.isClaimed(`logout:revoked:${session.tokenHash}`)).toBe(true);
    });

    it("keeps the refusals in their order when the one call does not apply: no session (401), then a foreign token (403), then return_to (400)", async () => {
      const { app, flow } = setup();
      const alice = await login(store, "alice");
      const bob = await login(store, "bob");
      await store.revokeSession(bob.session.id);
      store.reset();
      // Bob's session has ended: his own logout token with a forbidden return_to is still "no session".
      const ended = await request(app).get("/self-service/logout").query({ token: flow.logoutToken(bob.session), return_to: "https://evil.example/" }).set("Cookie", cookieOf(bob.token));
      expect(ended.status).toBe(401);
      // Alice's cookie with a token that is not hers, and a forbidden return_to: the token is refused first.
      const foreign = await request(app).get("/self-service/logout").query({ token: flow.logoutToken(bob.session), return_to: "https://evil.example/" }).set("Cookie", cookieOf(alice.token));
      expect([foreign.status, foreign.text]).toEqual([403, TOKEN_MISMATCH]);
      const forbidden = await request(app).get("/self-service/logout").query({ token: flow.logoutToken(alice.session), return_to: "https://evil.example/" }).set("Cookie", cookieOf(alice.token));
      expect(forbidden.status).toBe(400);
      expect(store.mutations).toEqual([]);
      expect(await store.getSession(alice.session.id)).toEqual(alice.session);
    });

    it("refuses a session id where the session record belongs, saying what to pass", () => {
      const { flow } = setup();
      // A JavaScript caller, or one written for ids: the types do not hold it.
      const id = "s1" as unknown as Parameters<typeof flow.logoutToken>[0];
      expect(() => flow.logoutToken(id)).toThrow(/takes the session record \(`getAuthentication\(req\)\.session`\), not its id/);
      expect(() => flow.logoutUrl(id)).toThrow(TypeError);
    });
  });

  describe("events", () => {
    it("reports the logout and each refusal without any token in them", async () => {
      const events = new LogoutEvents();
      const seen: unknown[] = [];
      events.on("session.ended", (e) => seen.push(e));
      events.on("logout.refused", (e) => seen.push(e));
      const { app, flow } = setup({ events });
      const { token, session } = await login(store, "alice");
      await request(app).get("/self-service/logout").query({ token: "ory_lo_wrong" }).set("Cookie", cookieOf(token));
      await request(app).get("/self-service/logout").query({ token: flow.logoutToken(session) }).set("Cookie", cookieOf(token));
      expect(seen).toEqual([
        { code: "logout-token-mismatch", status: 403, userId: "alice", method: "GET", path: "/self-service/logout", ip: expect.any(String) as string, at: expect.any(Number) as number },
        { sessionId: session.id, userId: "alice", by: "alice", target: "current", at: expect.any(Number) as number },
      ]);
      const text = JSON.stringify(seen);
      expect(text).not.toContain(token);
      expect(text).not.toContain(flow.logoutToken(session));
      expect(text).not.toContain(session.tokenHash);
    });
  });
});

describe.each(expressVersions)("browserLogoutFlow with a store that fails, on $name", ({ express }) => {
  let base: MemorySessionStore;
  beforeEach(() => {
    base = new MemorySessionStore();
  });
  afterEach(() => {
    base.close();
  });

  const RETRY_BODY = '{"error":{"code":503,"status":"Service Unavailable","reason":"The session store failed or did not answer in time; nothing was confirmed. A logout it was asked for may still complete: retry it, and an ended session answers as ended.","message":"The service is temporarily unavailable, please try again later"}}';

  async function routes(mode: "throw" | "hang") {
    const store = brokenStore(mode, base);
    store.failing = false;
    const alice = await login(store, "alice");
    const other = await login(store, "alice");
    store.failing = true;
    const { app, flow } = kratosApp(express, store, { timeoutMs: 50, errorUrl: "/error" });
    const token = flow.logoutToken(alice.session);
    return {
      alice,
      other,
      requests: [
        request(app).get("/self-service/logout/browser").set("Cookie", cookieOf(alice.token)),
        request(app).get("/self-service/logout").query({ token }).set("Cookie", cookieOf(alice.token)),
        request(app).delete("/self-service/logout/api").set("Content-Type", "application/json").send({ session_token: alice.token }),
        request(app).get("/sessions").set("Cookie", cookieOf(alice.token)),
        request(app).delete("/sessions").set("Cookie", cookieOf(alice.token)),
        request(app).delete(`/sessions/${other.session.id}`).set("Cookie", cookieOf(alice.token)),
        request(app).get("/sessions/whoami").set("Cookie", cookieOf(alice.token)),
      ],
    };
  }

  it.each(["throw", "hang"] as const)("answers every route 503 with Retry-After in the herodot envelope when the store does %s, and nothing ends", async (mode) => {
    const { alice, other, requests } = await routes(mode);
    for (const req of requests) {
      const res = await req;
      expect(res.status).toBe(503);
      expect(res.headers["retry-after"]).toBe("5");
      expect(res.text).toBe(RETRY_BODY);
      expect(res.headers["set-cookie"]).toBeUndefined();
    }
    expect(await base.getSession(alice.session.id)).toEqual(alice.session);
    expect(await base.getSession(other.session.id)).toEqual(other.session);
  });

  /** The memory store with some methods replaced. */
  function storeWith(overrides: Partial<CompleteSessionStore>): CompleteSessionStore {
    const store: Record<string, unknown> = {};
    for (const name of allStoreMethods) store[name] = (base[name] as (...a: unknown[]) => unknown).bind(base);
    return Object.assign(store, overrides) as unknown as CompleteSessionStore;
  }

  it.each([
    ["the revocation with its revoked-token marker (one call)", { endSessionById: () => Promise.reject(new Error("write failed")) }],
    ["the revocation, on a store without endSessionById", { endSessionById: undefined, revokeSession: () => Promise.reject(new Error("write failed")) }],
    ["the revoked-token marker, on a store without endSessionById", { endSessionById: undefined, claim: () => Promise.reject(new Error("write failed")) }],
  ] as const)("answers 503 and keeps the session and cookie when %s fails after the checks passed", async (_what, overrides) => {
    const { app, flow } = kratosApp(express, storeWith(overrides), {});
    const { token, session } = await login(base, "alice");
    const res = await request(app).get("/self-service/logout").query({ token: flow.logoutToken(session) }).set("Cookie", cookieOf(token));
    expect(res.status).toBe(503);
    expect(res.headers["set-cookie"]).toBeUndefined();
    expect(res.headers.location).toBeUndefined();
    expect(await base.getSession(session.id)).toEqual(session);
    // Once the store is back, the same logout URL works.
    const again = await request(kratosApp(express, base, {}).app).get("/self-service/logout").query({ token: flow.logoutToken(session) }).set("Cookie", cookieOf(token));
    expect(again.status).toBe(303);
  });
});

describe("browserLogoutFlow factory-time validation", () => {
  const store = new MemorySessionStore();
  const valid = { store, publicUrl: "https://auth.example.com", secrets: [SECRET] };

  it.each([
    ["no publicUrl", { ...valid, publicUrl: undefined }, /needs `publicUrl`/],
    ["a relative publicUrl", { ...valid, publicUrl: "/auth" }, /must be an absolute http\(s\) URL/],
    ["no secrets", { ...valid, secrets: undefined }, /needs `secrets`/],
    ["an empty secrets array", { ...valid, secrets: [] }, /needs `secrets`/],
    ["a single secret string", { ...valid, secrets: SECRET }, /write `secrets: \[yourSecret\]`/],
    ["a short secret", { ...valid, secrets: [SECRET, "short"] }, /`secrets\[1\]` must be a string of at least 32/],
    ["a bad allow-list entry", { ...valid, returnTo: { allow: ["https://*.com/"] } }, /would match hosts anyone can register/],
    ["a default return off the allow-list", { ...valid, returnTo: { default: "https://evil.example/" } }, /`returnTo.default` .* matches no allow-list entry/],
    ["an unknown returnTo option", { ...valid, returnTo: { allowed: [] } }, /unsupported option `allowed`/],
    ["SameSite=None without Secure", { ...valid, sessionCookie: { sameSite: "none", secure: false } }, /needs `secure: true`/],
    ["a __Host- cookie with a domain", { ...valid, sessionCookie: { name: "__Host-sid", domain: "example.com" } }, /`__Host-` cookie needs/],
    ["a cookie name with a space", { ...valid, sessionCookie: { name: "my sid" } }, /`sessionCookie.name` must be a cookie name/],
    ["an unknown cookie option", { ...valid, sessionCookie: { maxAge: 5 } }, /unsupported option `maxAge`/],
    ["a scheme-relative error page", { ...valid, errorUrl: "//evil.example/error" }, /`errorUrl` must be/],
    ["a bad clearSiteData", { ...valid, clearSiteData: "yes" }, /`clearSiteData` must be/],
    ["a logoutPath without a slash", { ...valid, logoutPath: "logout" }, /`logoutPath` must be a path/],
    ["a typo", { ...valid, secret: [SECRET] }, /unsupported option `secret`\. Did you mean `secrets`\?/],
    ["a shape without a logout URL", { ...valid, shape: shapes.endor }, /shape `endor`: it has no logout-URL answer/],
    ["an error page with a shape that cannot redirect", { ...valid, shape: { ...shapes.kratos, errorRedirect: undefined }, errorUrl: "/error" }, /`errorUrl` needs a shape/],
  ])("refuses %s with a TypeError that says what to do", (_what, options, message) => {
    expect(() => browserLogoutFlow(options as never)).toThrow(TypeError);
    expect(() => browserLogoutFlow(options as never)).toThrow(message);
  });

  it("explains a flow mounted without being called", async () => {
    const app = expressVersions[0].express();
    app.use(browserLogoutFlow as never);
    app.use((error: Error, _req: unknown, res: { status: (n: number) => { send: (s: string) => void } }, _next: unknown) => {
      res.status(500).send(error.message);
    });
    expect((await request(app).get("/")).text).toMatch(/browserLogoutFlow is a factory/);
  });
});
