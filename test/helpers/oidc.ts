import { createServer, type Server } from "node:http";
import type { Express } from "express";
import { importJWK, SignJWT, type JWK, type JWTPayload } from "jose";
import type { ClientMetadata } from "oidc-provider";
import { startDevProvider, type DevProvider } from "./oidc-provider.js";
import { BACKCHANNEL_PATH, CALLBACK_PATH, LOGGED_OUT_PATH, createOidcApp } from "../../examples/oidc-relying-party.js";
import type { LogoutEvents, SessionStore } from "../../src/index.js";
import { formsOf, type CookieBrowser, type Page } from "./cookie-browser.js";

export const CLIENT_ID = "express-logout-test-app";
export const CLIENT_SECRET = "test-client-secret-that-is-long-enough";
export const BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout";

/** An HTTP server listening on a free port whose handler is set later (its URL is needed first). */
export interface LateServer {
  readonly url: string;
  readonly server: Server;
  handle(app: Express): void;
  close(): Promise<void>;
}

export async function lateServer(): Promise<LateServer> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    handle: (app) => { server.on("request", app); },
    close: () => new Promise<void>((resolve) => { server.close(() => { resolve(); }); server.closeAllConnections(); }),
  };
}

/** The example relying party on each store (one app instance per store), signed in through one real provider. */
export interface OidcSetup {
  readonly op: DevProvider;
  readonly instances: readonly { readonly url: string; readonly store: SessionStore }[];
  close(): Promise<void>;
}

/**
 * Starts the apps, then the provider with one client whose redirect URIs are every instance's callback and whose
 * back-channel logout URI is the `backchannelTo`-th instance's (the last by default: the provider reaches one
 * instance, and the others must see the logout too).
 */
export async function startOidcSetup(options: { stores: readonly SessionStore[]; events?: LogoutEvents; backchannelTo?: number; client?: Partial<ClientMetadata> }): Promise<OidcSetup> {
  const servers = await Promise.all(options.stores.map(() => lateServer()));
  const target = servers[options.backchannelTo ?? servers.length - 1]!;
  const op = await startDevProvider({
    port: 0,
    clients: [{
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      redirect_uris: servers.map((s) => `${s.url}${CALLBACK_PATH}`),
      post_logout_redirect_uris: servers.map((s) => `${s.url}${LOGGED_OUT_PATH}`),
      backchannel_logout_uri: `${target.url}${BACKCHANNEL_PATH}`,
      backchannel_logout_session_required: true,
      ...options.client,
    }],
  });
  for (const [i, server] of servers.entries()) {
    server.handle(await createOidcApp({
      store: options.stores[i]!,
      issuer: op.issuer,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      publicUrl: server.url,
      logoutSecret: "test-logout-state-secret-0123456789abcdef",
      ...(options.events === undefined ? {} : { events: options.events }),
    }));
  }
  return {
    op,
    instances: servers.map((s, i) => ({ url: s.url, store: options.stores[i]! })),
    async close() {
      await Promise.all(servers.map((s) => s.close()));
      await op.close();
    },
  };
}

/** Signs in at `appUrl` through the provider's login and consent pages, as a person in a browser does. */
export async function signIn(browser: CookieBrowser, appUrl: string, login: string): Promise<Page> {
  const loginPage = await browser.get(`${appUrl}/login`);
  const loginForm = formsOf(loginPage).find((f) => f.fields.prompt === "login");
  if (loginForm === undefined) throw new Error(`no login form at ${loginPage.url}:\n${loginPage.body.slice(0, 500)}`);
  const consentPage = await browser.submit(loginForm, { login, password: "any password" });
  const consentForm = formsOf(consentPage).find((f) => f.fields.prompt === "consent");
  if (consentForm === undefined) throw new Error(`no consent form at ${consentPage.url}:\n${consentPage.body.slice(0, 500)}`);
  const home = await browser.submit(consentForm);
  if (!home.url.startsWith(appUrl)) throw new Error(`sign-in ended at ${home.url}`);
  return home;
}

/** Signs out at the provider's own end-session page, answering "Yes, sign me out" (`logout=yes`). */
export async function signOutAtProvider(browser: CookieBrowser, issuer: string, query = ""): Promise<Page> {
  const confirm = await browser.get(`${issuer}/session/end${query}`);
  const form = formsOf(confirm).find((f) => "xsrf" in f.fields);
  if (form === undefined) throw new Error(`no logout form at ${confirm.url}:\n${confirm.body.slice(0, 500)}`);
  return browser.submit(form, { logout: "yes" });
}

/** The app session token a browser holds for an app. */
export function appSessionToken(browser: CookieBrowser): string {
  const token = browser.cookies("127.0.0.1").get("app_session");
  if (token === undefined) throw new Error("the browser holds no app session");
  return token;
}

/** Signs a logout token with a private JWK, as a provider would (or as an attacker tries to). */
export async function signLogoutToken(jwk: JWK, claims: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  const key = await importJWK(jwk, typeof header.alg === "string" ? header.alg : "RS256");
  return new SignJWT(claims).setProtectedHeader({ alg: "RS256", typ: "logout+jwt", ...(jwk.kid === undefined ? {} : { kid: jwk.kid }), ...header }).sign(key);
}

/** The claims of a valid logout token for `iss`, `aud`, with `sid`/`sub` and a fresh `jti`. */
export function logoutClaims(issuer: string, more: JWTPayload = {}): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  return { iss: issuer, aud: CLIENT_ID, iat: now, exp: now + 120, jti: crypto.randomUUID(), events: { [BACKCHANNEL_EVENT]: {} }, ...more };
}

/** POSTs a logout token as a provider does. */
export function postLogoutToken(url: string, token: string): Promise<Response> {
  return fetch(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ logout_token: token }) });
}
