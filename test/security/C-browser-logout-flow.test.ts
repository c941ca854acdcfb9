/**
 * Security test matrix, group C: the browser logout flow (logout token + logout URL), on the example app's Kratos
 * routes. Cases already pinned by test/kratos.test.ts and test/browser-logout-flow.test.ts are listed in
 * docs/security.md; this file holds the rest.
 */
import { randomBytes } from "node:crypto";
import request from "supertest";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { credentials, exampleHarness, kratosLogoutToken, type Harness } from "../helpers/example.js";

let h: Harness;

beforeAll(() => {
  h = exampleHarness();
});

beforeEach(() => {
  h.events.length = 0;
});

afterEach(() => {
  vi.useRealTimers();
});

const everyone = () => h.base.snapshot("alice", "admin");
const logout = (query: Record<string, string>, headers: Record<string, string> = {}) => request(h.app).get("/self-service/logout").query(query).set(headers);

describe("C23/C24: the logout URL", () => {
  it("C23: is refused without a session (401), and no token is issued", async () => {
    const res = await request(h.app).get("/self-service/logout/browser");
    expect(res.status).toBe(401);
    expect(res.text).not.toContain("logout_token");
  });

  it("C24: carries a 256-bit token bound to the session, and points at the flow's own logout route on the public URL", async () => {
    const a = await h.login("alice");
    const b = await h.login("alice");
    h.base.reset();
    const res = await request(h.app).get("/self-service/logout/browser").set(credentials.kratosCookie(a.token));
    const body = res.body as { logout_url: string; logout_token: string };
    expect(body.logout_token).toMatch(/^ory_lo_[A-Za-z0-9_-]{43}$/);
    expect(new URL(body.logout_url).origin + new URL(body.logout_url).pathname).toBe("http://127.0.0.1:3000/self-service/logout");
    expect(await kratosLogoutToken(h.app, b.token)).not.toBe(body.logout_token);
    expect(h.base.mutations).toEqual([]);
  });
});

describe("C27: a logout token without the session cookie", () => {
  it("is a 401 with no redirect to return_to, and nothing changes", async () => {
    const caller = await h.login("alice");
    const token = await kratosLogoutToken(h.app, caller.token);
    const before = await everyone();
    h.base.reset();
    const res = await logout({ token, return_to: "https://app.example.com/" });
    expect(res.status).toBe(401);
    expect(res.headers.location).toBeUndefined();
    expect(res.headers["set-cookie"]).toBeUndefined();
    expect(h.base.mutations).toEqual([]);
    expect(await everyone()).toEqual(before);
  });
});

describe("C30: a logout token used again after its logout", () => {
  it("is a 401 for a browser too: no redirect to return_to, no cookie touched", async () => {
    const caller = await h.login("alice");
    const token = await kratosLogoutToken(h.app, caller.token);
    const first = await logout({ token, return_to: "https://app.example.com/" }, credentials.kratosCookie(caller.token));
    expect([first.status, first.headers.location]).toEqual([303, "https://app.example.com/"]);
    const before = await everyone();
    h.base.reset();
    const again = await logout({ token, return_to: "https://app.example.com/" }, credentials.kratosCookie(caller.token));
    expect(again.status).toBe(401);
    expect(again.headers.location).toBeUndefined();
    expect(again.headers["set-cookie"]).toBeUndefined();
    expect(h.base.mutations).toEqual([]);
    expect(await everyone()).toEqual(before);
  });

  it("is useless for the next session of the same user: a new session has a new token", async () => {
    const old = await h.login("alice");
    const oldToken = await kratosLogoutToken(h.app, old.token);
    await logout({ token: oldToken }, credentials.kratosCookie(old.token)).expect(303);
    const next = await h.login("alice");
    const before = await everyone();
    h.base.reset();
    expect((await logout({ token: oldToken }, credentials.kratosCookie(next.token))).status).toBe(403);
    expect(h.base.mutations).toEqual([]);
    expect(await everyone()).toEqual(before);
  });
});

describe("C31: a logout token lives exactly as long as its session", () => {
  it("is refused once the session has expired (401), and nothing changes", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.parse("2030-01-01T00:00:00Z"));
    const caller = await h.login("alice", { ttlMs: 60_000 });
    const token = await kratosLogoutToken(h.app, caller.token);
    vi.setSystemTime(Date.parse("2030-01-01T00:01:00.001Z"));
    h.base.reset();
    const res = await logout({ token }, credentials.kratosCookie(caller.token));
    expect(res.status).toBe(401);
    expect(res.headers.location).toBeUndefined();
    expect(res.headers["set-cookie"]).toBeUndefined();
    expect(h.base.mutations).toEqual([]);
  });
});

describe("C32: a cross-site GET of the logout route (an <img src>) without the right token", () => {
  const crossSiteImage = { "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "image" };

  it.each([
    ["no token", undefined, 400],
    ["an empty token", "", 400],
    ["a guessed token", `ory_lo_${randomBytes(32).toString("base64url")}`, 403],
    ["the token of another session", "other", 403],
  ] as const)("with %s is refused and ends nothing", async (_what, token, status) => {
    const victim = await h.login("alice");
    const other = await h.login("admin");
    const q: Record<string, string> = token === undefined ? {} : { token: token === "other" ? await kratosLogoutToken(h.app, other.token) : token };
    const before = await everyone();
    h.base.reset();
    const res = await logout(q, { ...credentials.kratosCookie(victim.token), ...crossSiteImage });
    expect(res.status).toBe(status);
    expect(res.headers.location).toBeUndefined();
    expect(res.headers["set-cookie"]).toBeUndefined();
    expect(h.base.mutations).toEqual([]);
    expect(await everyone()).toEqual(before);
  });
});

describe("C33: cookie-authenticated session endings sent by a page of another site", () => {
  const crossSite = { "Sec-Fetch-Site": "cross-site" };

  it("DELETE /sessions with the cookie and Sec-Fetch-Site: cross-site is a 403, and nothing ends", async () => {
    const caller = await h.login("alice");
    await h.login("alice");
    const before = await everyone();
    h.base.reset();
    const res = await request(h.app).delete("/sessions").set({ ...credentials.kratosCookie(caller.token), ...crossSite });
    expect(res.status).toBe(403);
    expect(h.base.mutations).toEqual([]);
    expect(await everyone()).toEqual(before);
  });

  it("DELETE /sessions/:id with the cookie and Sec-Fetch-Site: cross-site is a 403, and nothing ends", async () => {
    const caller = await h.login("alice");
    const other = await h.login("alice");
    const before = await everyone();
    h.base.reset();
    const res = await request(h.app).delete(`/sessions/${other.session.id}`).set({ ...credentials.kratosCookie(caller.token), ...crossSite });
    expect(res.status).toBe(403);
    expect(h.base.mutations).toEqual([]);
    expect(await everyone()).toEqual(before);
  });

  it("the same requests from the app's own site go through", async () => {
    const caller = await h.login("alice");
    const other = await h.login("alice");
    const res = await request(h.app).delete(`/sessions/${other.session.id}`).set({ ...credentials.kratosCookie(caller.token), "Sec-Fetch-Site": "same-origin" });
    expect(res.status).toBe(204);
    expect(await h.base.getSession(other.session.id)).toBeUndefined();
  });

  it("the logout URL followed from another site still works: its token is the CSRF defence", async () => {
    const caller = await h.login("alice");
    const token = await kratosLogoutToken(h.app, caller.token);
    const res = await logout({ token }, { ...credentials.kratosCookie(caller.token), ...crossSite, "Sec-Fetch-Mode": "navigate" });
    expect(res.status).toBe(303);
    expect(await h.base.getSession(caller.session.id)).toBeUndefined();
  });

  it("SOAJS' GET /urac/logout with the soajsID cookie from another site ends nothing", async () => {
    const caller = await h.login("alice");
    const before = await everyone();
    h.base.reset();
    const res = await request(h.app).get("/urac/logout").set({ key: "demo-tenant-key", Cookie: `soajsID=${caller.token}`, ...crossSite });
    expect(res.body).toEqual({ result: true, data: true });
    expect(h.base.mutations).toEqual([]);
    expect(await everyone()).toEqual(before);
  });
});

describe("C34: the logout token stays out of referrers, redirects and events", () => {
  it("every answer of the flow's routes says Referrer-Policy: no-referrer, refusals included", async () => {
    const caller = await h.login("alice");
    const created = await request(h.app).get("/self-service/logout/browser").set(credentials.kratosCookie(caller.token));
    const token = (created.body as { logout_token: string }).logout_token;
    const refused = await logout({ token: "nope" }, credentials.kratosCookie(caller.token));
    const missing = await logout({}, credentials.kratosCookie(caller.token));
    const done = await logout({ token, return_to: "https://app.example.com/x" }, credentials.kratosCookie(caller.token));
    for (const res of [created, refused, missing, done]) expect(res.headers["referrer-policy"]).toBe("no-referrer");
    expect(done.status).toBe(303);
    expect(done.headers.location).toBe("https://app.example.com/x");
    expect(done.text).not.toContain(token);
    expect(JSON.stringify(h.events)).not.toContain(token);
    expect(JSON.stringify(h.events)).not.toContain(caller.token);
  });
});
