// An app that signs its users in through an OpenID Provider (authorization code + PKCE, with openid-client) and
// whose sessions end when the provider signs the user out (back-channel logout). examples/oidc-app.ts runs it
// beside a real provider.
import express, { type Express, type Request } from "express";
import * as oidc from "openid-client";
import {
  backchannelLogout, cookieToken, createLogoutHandler, getAuthentication, hashSecret, issueSession, requireSession, rpInitiatedLogout, shapes,
  type LogoutEvents, type SessionStore,
} from "express-logout";

export interface OidcAppOptions {
  /** Where sessions live: any store with provider-session links (MemorySessionStore, RedisSessionStore). */
  readonly store: SessionStore;
  /** The provider's issuer URL. */
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** This app's public base URL, e.g. "http://127.0.0.1:3000" (the redirect URIs registered at the provider). */
  readonly publicUrl: string;
  readonly events?: LogoutEvents;
  /** Signs the RP-initiated logout's `state` (at least 32 random characters). */
  readonly logoutSecret: string;
}

export const SESSION_COOKIE = "app_session";
/** Where the provider POSTs logout tokens: register `${publicUrl}${BACKCHANNEL_PATH}` as `backchannel_logout_uri`. */
export const BACKCHANNEL_PATH = "/oidc/backchannel-logout";
export const CALLBACK_PATH = "/oidc/callback";
/** Where the provider sends the browser back after an RP-initiated logout: register it as a `post_logout_redirect_uri`. */
export const LOGGED_OUT_PATH = "/oidc/logged-out";

const PENDING_LOGIN_MS = 10 * 60_000;
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export async function createOidcApp(options: OidcAppOptions): Promise<Express> {
  const { store, issuer, clientId, clientSecret, publicUrl } = options;
  // Discovery: the provider's endpoints from its metadata. http is allowed only because the dev provider is local.
  const config = await oidc.discovery(new URL(issuer), clientId, clientSecret, undefined, {
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- only for the local development provider on http
    ...(issuer.startsWith("http://") ? { execute: [oidc.allowInsecureRequests] } : {}),
  });
  const credentials = [cookieToken(SESSION_COOKIE)];
  const signedIn = requireSession({ store, credentials, shape: shapes.problem });
  /** Each session's ID token, for `id_token_hint` at logout (your app would keep it beside its session). */
  const idTokens = new Map<string, string>();
  /** Logins under way: state → PKCE verifier and nonce, bound to the browser by a cookie holding the state. */
  const pending = new Map<string, { verifier: string; nonce: string; until: number }>();

  const app = express();
  app.disable("x-powered-by");

  app.get("/login", async (_req, res) => {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    pending.set(state, { verifier, nonce, until: Date.now() + PENDING_LOGIN_MS });
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: `${publicUrl}${CALLBACK_PATH}`,
      scope: "openid",
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
      state,
      nonce,
    });
    res.cookie("oidc_login", state, { httpOnly: true, sameSite: "lax", maxAge: PENDING_LOGIN_MS, path: CALLBACK_PATH });
    res.redirect(303, url.href);
  });

  app.get(CALLBACK_PATH, async (req: Request, res) => {
    const state = /(?:^|;\s*)oidc_login=([^;]+)/.exec(req.headers.cookie ?? "")?.[1] ?? "";
    const login = pending.get(state);
    pending.delete(state);
    res.clearCookie("oidc_login", { path: CALLBACK_PATH });
    if (login === undefined || login.until < Date.now()) {
      res.status(400).type("text").send("This sign-in has expired or was not started here: sign in again.");
      return;
    }
    const tokens = await oidc.authorizationCodeGrant(config, new URL(req.originalUrl, publicUrl), {
      pkceCodeVerifier: login.verifier,
      expectedState: state,
      expectedNonce: login.nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    if (claims === undefined) throw new Error("the provider sent no ID token");
    // The link to the provider's session: back-channel logout finds this session by (iss, sid) or (iss, sub).
    const { token, session } = await issueSession(store, {
      userId: claims.sub,
      authenticationSource: "oidc",
      ttlMs: 8 * 60 * 60_000,
      providerSession: { issuer: claims.iss, subject: claims.sub, ...(typeof claims.sid === "string" ? { sid: claims.sid } : {}) },
      ...(req.ip === undefined ? {} : { ip: req.ip }),
    });
    if (tokens.id_token !== undefined) idTokens.set(session.id, tokens.id_token);
    res.cookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: "lax", path: "/", expires: new Date(session.expiresAt) });
    res.redirect(303, "/");
  });

  // The provider's back-channel logout: it validates the logout token and ends the linked sessions.
  app.post(BACKCHANNEL_PATH, backchannelLogout({
    store,
    issuer,
    audience: clientId,
    keys: config.serverMetadata().jwks_uri ?? `${issuer}/jwks`,
    ...(options.events === undefined ? {} : { events: options.events }),
  }));

  // Logging out of the app: the local session ends, then the provider's (RP-initiated logout), and back here.
  const rp = rpInitiatedLogout({
    store,
    issuer,
    clientId,
    postLogoutRedirectUris: [`${publicUrl}${LOGGED_OUT_PATH}`],
    secrets: [options.logoutSecret],
    idTokenHint: (_req, session) => {
      const idToken = session === undefined ? undefined : idTokens.get(session.id);
      if (session !== undefined) idTokens.delete(session.id);
      return idToken;
    },
    ...(options.events === undefined ? {} : { events: options.events }),
  });
  app.post("/logout", signedIn, rp.prepare, createLogoutHandler({ store, credentials, shape: rp.shape }));
  app.get(LOGGED_OUT_PATH, rp.callback);

  app.get("/me", signedIn, (req, res) => {
    const session = getAuthentication(req)?.session;
    res.set("Cache-Control", "no-store").json({ userId: session?.userId, sessionId: session?.id });
  });

  app.get("/", async (req, res) => {
    res.set("Cache-Control", "no-store").type("html");
    const token = /(?:^|;\s*)app_session=([^;]+)/.exec(req.headers.cookie ?? "")?.[1];
    const session = token === undefined ? undefined : await store.findSessionByTokenHash(hashSecret(token));
    if (session === undefined) {
      res.send(`<h1>Not signed in</h1><p><a href="/login">Sign in through the provider</a> (any name, any password).</p>`);
      return;
    }
    const { userId, id: sessionId } = session;
    const sessions = await store.listSessions(userId);
    res.send(`<h1>Signed in as ${escapeHtml(userId)}</h1>
<p>This session: <code>${escapeHtml(sessionId)}</code>. Your sessions here: ${sessions.length}.</p>
<form method="post" action="/logout"><button>Log out</button> (here and at the provider)</form>
<p>Or sign out <a href="${escapeHtml(config.serverMetadata().end_session_endpoint ?? `${issuer}/session/end`)}">at the provider</a>,
then reload this page: the provider told the app, and this session has ended.</p>`);
  });

  return app;
}
