import express from "express";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LogoutEvents, MemorySessionStore, browserLogoutFlow, hashSecret, issueSession, rpInitiatedLogout, shapes, type LogoutEventMap } from "../src/index.js";
import { CookieBrowser, formsOf } from "./helpers/cookie-browser.js";
import { appSessionToken, signIn, startOidcSetup, type OidcSetup } from "./helpers/oidc.js";
import { RecordingStore } from "./helpers/store.js";

const SECRET = "rp-initiated-logout-test-secret-0123456789";

describe("RP-initiated logout with a real OpenID Provider", () => {
  let setup: OidcSetup;
  const store = new MemorySessionStore();
  const events = new LogoutEvents();
  const backchannel: LogoutEventMap["backchannel.logout"][] = [];
  events.on("backchannel.logout", (e) => backchannel.push(e));

  beforeAll(async () => {
    setup = await startOidcSetup({ stores: [store], events });
  });
  afterAll(async () => {
    await setup.close();
    store.close();
  });

  const app = () => setup.instances[0]!.url;
  const live = async (token: string) => (await store.findSessionByTokenHash(hashSecret(token))) !== undefined;

  it("ends the local session, sends the browser to the provider with the ID token and state, and comes back with that state", async () => {
    const browser = new CookieBrowser();
    await signIn(browser, app(), "alice");
    const token = appSessionToken(browser);

    const logout = await browser.request(`${app()}/logout`, { method: "POST" });
    expect(logout.status).toBe(303);
    expect(await live(token)).toBe(false);
    const location = new URL(logout.headers.get("location") ?? "");
    expect(`${location.origin}${location.pathname}`).toBe(`${setup.op.issuer}/session/end`);
    expect(location.searchParams.get("client_id")).toBe("express-logout-test-app");
    expect(location.searchParams.get("post_logout_redirect_uri")).toBe(`${app()}/oidc/logged-out`);
    expect(location.searchParams.get("id_token_hint")?.split(".")).toHaveLength(3);
    const state = location.searchParams.get("state") ?? "";
    expect(state).toMatch(/^[\w-]+\.[\w-]+$/);

    // The provider asks for confirmation, ends its session, and sends the browser back with the same state.
    const confirm = await browser.get(location.href);
    const form = formsOf(confirm).find((f) => "xsrf" in f.fields);
    expect(form).toBeDefined();
    const done = await browser.submit(form!, { logout: "yes" });
    expect(done.visited).toContain(`${app()}/oidc/logged-out?state=${encodeURIComponent(state)}`.replace(/%2E/g, "."));
    expect(done.url).toBe(`${app()}/`);
    expect(done.body).toContain("Not signed in");

    // The provider's session is gone too: signing in again shows its login page.
    const again = await browser.get(`${app()}/login`);
    expect(formsOf(again).some((f) => f.fields.prompt === "login")).toBe(true);

    // The same state a second time is refused.
    const replay = await browser.request(`${app()}/oidc/logged-out?state=${encodeURIComponent(state)}`);
    expect(replay.status).toBe(400);
    expect(replay.headers.get("location")).toBeNull();
  });

  it("refuses a foreign post_logout_redirect_uri before anything ends", async () => {
    const browser = new CookieBrowser();
    await signIn(browser, app(), "bob");
    const token = appSessionToken(browser);
    for (const foreign of ["https://evil.example/cb", `${app()}/oidc/logged-out/x`, `${app()}/elsewhere`]) {
      const res = await browser.request(`${app()}/logout?post_logout_redirect_uri=${encodeURIComponent(foreign)}`, { method: "POST" });
      expect(res.status).toBe(400);
      expect(res.headers.get("location")).toBeNull();
      expect(await live(token)).toBe(true);
    }
    const res = await browser.request(`${app()}/logout?return_to=${encodeURIComponent("https://evil.example/")}`, { method: "POST" });
    expect(res.status).toBe(400);
    expect(await live(token)).toBe(true);
  });

  it("refuses a forged, tampered or missing state on the way back, and sends the browser nowhere", async () => {
    const forged = `${Buffer.from(JSON.stringify({ n: "x", r: "https://evil.example/", e: Date.now() + 60_000 })).toString("base64url")}.${"A".repeat(43)}`;
    for (const query of ["", "?state=", `?state=${forged}`, "?state=not-a-state", "?state=a.b&state=a.b"]) {
      const res = await fetch(`${app()}/oidc/logged-out${query}`, { redirect: "manual" });
      expect(res.status).toBe(400);
      expect(res.headers.get("location")).toBeNull();
    }
  });
});

describe("rpInitiatedLogout behind browserLogoutFlow", () => {
  const endSessionEndpoint = "https://op.example.com/session/end";

  function mount() {
    const store = new RecordingStore();
    const rp = rpInitiatedLogout({
      store,
      shape: shapes.kratos,
      issuer: "https://op.example.com",
      clientId: "my-app",
      endSessionEndpoint,
      postLogoutRedirectUris: ["http://127.0.0.1:3000/oidc/logged-out"],
      secrets: [SECRET],
      idTokenHint: () => "header.payload.signature",
      returnTo: { allow: ["https://app.example.com/"] },
    });
    const flow = browserLogoutFlow({
      store,
      shape: rp.shape,
      publicUrl: "http://127.0.0.1:3000",
      secrets: [SECRET],
      returnTo: { allow: ["https://app.example.com/"] },
    });
    const app = express();
    app.get("/self-service/logout", rp.prepare, flow.logout);
    app.get("/oidc/logged-out", rp.callback);
    return { app, store, flow };
  }

  it("ends the session, then sends the browser to the provider, and the callback to the flow's return_to", async () => {
    const { app, store, flow } = mount();
    const { token, session } = await issueSession(store, { userId: "alice" });
    const res = await request(app).get("/self-service/logout").query({ token: flow.logoutToken(session), return_to: "https://app.example.com/bye" }).set("Cookie", `ory_kratos_session=${token}`);
    expect(res.status).toBe(303);
    expect(await store.getSession(session.id)).toBeUndefined();
    const location = new URL(res.headers.location as string);
    expect(`${location.origin}${location.pathname}`).toBe(endSessionEndpoint);
    expect(location.searchParams.get("id_token_hint")).toBe("header.payload.signature");
    const back = await request(app).get("/oidc/logged-out").query({ state: location.searchParams.get("state") });
    expect(back.status).toBe(303);
    expect(back.headers.location).toBe("https://app.example.com/bye");
  });

  it("refuses a wrong logout token in the flow's own words, and redirects nowhere", async () => {
    const { app, store } = mount();
    const { token, session } = await issueSession(store, { userId: "alice" });
    store.reset();
    const res = await request(app).get("/self-service/logout").query({ token: `ory_lo_${"A".repeat(43)}` }).set("Cookie", `ory_kratos_session=${token}`);
    expect(res.status).toBe(403);
    expect(res.headers.location).toBeUndefined();
    expect(store.mutations).toEqual([]);
    expect(await store.getSession(session.id)).toBeDefined();
  });
});

describe("rpInitiatedLogout refuses a misconfiguration at setup", () => {
  const store = new MemorySessionStore();
  const valid = { store, issuer: "https://op.example.com", clientId: "app", postLogoutRedirectUris: ["https://app.example.com/oidc/logged-out"], secrets: [SECRET], idTokenHint: () => undefined };
  it.each([
    ["no issuer", { ...valid, issuer: undefined }, /needs `issuer`/],
    ["no client id", { ...valid, clientId: "" }, /needs `clientId`/],
    ["no post-logout URIs", { ...valid, postLogoutRedirectUris: [] }, /needs `postLogoutRedirectUris`/],
    ["a relative post-logout URI", { ...valid, postLogoutRedirectUris: ["/oidc/logged-out"] }, /needs `postLogoutRedirectUris`/],
    ["a short secret", { ...valid, secrets: ["short"] }, /needs `secrets`/],
    ["no idTokenHint", { ...valid, idTokenHint: undefined }, /idTokenHint/],
    ["a default return outside the allow-list", { ...valid, returnTo: { default: "https://evil.example/" } }, /returnTo.default/],
    ["a misspelt option", { ...valid, clientID: "x" }, /Did you mean `clientId`\?/],
  ])("%s", (_name, options, message) => {
    expect(() => rpInitiatedLogout(options as never)).toThrow(message);
  });
});
