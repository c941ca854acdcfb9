import type { NextFunction, Request, Response } from "express";
import { LogoutError, errorKinds, isLogoutError } from "../../errors.js";
import { MAX_TOKEN_LENGTH } from "../../request-input.js";
import { checkReturnTo } from "../../return-to.js";
import { hashSecret } from "../../secrets.js";
import { kratosShape } from "../../shapes/kratos.js";
import { hasStoreCapability } from "../../store/capabilities.js";
import type { Authentication, EndedOutcome, EpochMs, SessionRecord, UserRecord } from "../../types.js";
import { createLogoutHandler } from "../create-logout-handler.js";
import { endSession, endSessionOfToken, plainSessionToken } from "../end-session.js";
import { listSessions } from "../list-sessions.js";
import { resolveRuntime, shapeMethod, withCredentials, type Runtime } from "../options.js";
import { authenticate, rememberAuthentication, renderEnded, sendReply, settle } from "../runtime/index.js";
import { logoutTokens, type LogoutTokenSubject } from "./logout-token.js";
import { nativeBody, queryOf } from "./native-body.js";
import { BROWSER_LOGOUT_FLOW_OPTIONS, FACTORY, fail, resolveFlowSettings, type BrowserLogoutFlow, type BrowserLogoutFlowOptions } from "./options.js";
import { answeredUncalledMount, type NotMountable } from "../../options/mounted-uncalled.js";
import { withProperties } from "../../with-properties.js";

export type { BrowserLogoutFlow, BrowserLogoutFlowOptions, ReturnToOptions, SessionCookieOptions } from "./options.js";

/** How long a "revoked" marker outlives nothing: at least a minute, and as long as the session would have lived. */
const MIN_REVOKED_MARKER_MS = 60_000;

/**
 * The session record `logoutToken` and `logoutUrl` were given. A string is an id, which the token is no longer
 * bound to: refused with what to pass instead, never a token that no logout would accept.
 */
function subjectOf(method: string, session: unknown): LogoutTokenSubject {
  const record = session as Partial<LogoutTokenSubject> | null;
  if (typeof record !== "object" || record === null || typeof record.id !== "string" || typeof record.tokenHash !== "string") {
    throw new TypeError(`browserLogoutFlow \`${method}\` takes the session record (\`getAuthentication(req).session\`), not its id: the logout token is bound to the session's token hash.`);
  }
  return { id: record.id, tokenHash: record.tokenHash };
}

/**
 * The browser logout flow (Ory Kratos' by default): the app asks `create` for a logout URL that carries a
 * token bound to the caller's session; the browser follows it to `logout`, which ends that session, clears
 * the cookie and sends the browser to an allowed `return_to`. Also native logout and session management.
 *
 * The logout token is the shape's prefix + HMAC-SHA256(secret, "logout:token:" + the session's token hash) (a
 * session without one, a JWT's, is bound to its id): 256 bits, stateless (no store write to issue one), compared
 * in constant time, and useless once its session has ended or its token was rotated. Checks on logout, in order:
 * a token (400), a live session (401), the token matches it (403), `return_to` is allowed (400; validated before
 * anything is revoked, unlike Kratos), then the session ends. Bound to the token hash, a matching token is
 * checked against the cookie before any store call, and the logout is then one store call where the store can
 * (`endSessionByTokenHash`); every refusal takes the lookup path, which keeps that order.
 *
 * Needs only the core of the store. With the markers capability (`MarkerStore`, as the built-in stores have),
 * native logout also remembers revoked tokens and answers 204 again for them, as Kratos does; without it, a
 * token already revoked is answered as unknown.
 */
export function browserLogoutFlow<U extends UserRecord = UserRecord>(options: Readonly<BrowserLogoutFlowOptions<U>>, notMountable?: NotMountable): BrowserLogoutFlow {
  // Mounted without the call, Express hands this factory a request: refuse it and build nothing.
  if (answeredUncalledMount("browserLogoutFlow", "browserLogoutFlow({ ... })", options, notMountable)) return undefined as never;
  const base = resolveRuntime(FACTORY, options, kratosShape, BROWSER_LOGOUT_FLOW_OPTIONS);
  const o = options as BrowserLogoutFlowOptions;
  if (base.shape.logoutUrl === undefined) fail(`cannot use shape \`${base.shape.name}\`: it has no logout-URL answer. Use \`shapes.kratos\`.`);
  const renderLogoutUrl = shapeMethod(FACTORY, base.shape, "logoutUrl", "logout-URL answer");
  const maybeWire = base.shape.logoutFlow;
  if (maybeWire === undefined) fail(`cannot use shape \`${base.shape.name}\`: it has no \`logoutFlow\` formats. Use \`shapes.kratos\`.`);
  const wire = maybeWire;
  const settings = resolveFlowSettings(o, wire.sessionCookieName);
  const { policy, cookie, errorUrl, clearSiteData, defaultReturn } = settings;
  const tokens = logoutTokens(settings.secrets, wire.logoutTokenPrefix);
  const remembersRevoked = hasStoreCapability(base.store, "markers");

  const credentials = o.credentials ?? wire.credentials(cookie);
  const rt: Runtime = withCredentials(FACTORY, base, credentials);
  // Browser routes send refused browsers to the error page, when the host has one and the shape can.
  const shape = rt.shape;
  const redirect = shape.errorRedirect;
  if (errorUrl !== undefined && redirect === undefined) fail(`\`errorUrl\` needs a shape that can send browsers to an error page, and \`${shape.name}\` cannot; leave out \`errorUrl\`.`);
  const browserRt: Runtime =
    errorUrl === undefined || redirect === undefined
      ? rt
      : { ...rt, shape: { ...shape, error: (error, req) => redirect(error, req, errorUrl) ?? shape.error(error, req) } };

  const common = {
    store: rt.store,
    shape,
    credentials: rt.credentials,
    ...(rt.users === undefined ? {} : { users: rt.users }),
    ...(rt.events === undefined ? {} : { events: rt.events }),
    timeoutMs: rt.guard.timeoutMs,
    retryAfterSeconds: rt.guard.retryAfterSeconds,
  };
  const listOtherSessions = listSessions({ ...common, excludeCurrent: true });
  const endOtherSessions = createLogoutHandler({ ...common, target: "others" });

  function buildLogoutUrl(token: string, returnTo: string | undefined): string {
    return `${settings.logoutEndpoint}?${returnTo === undefined ? "" : `return_to=${wire.escapeQuery(returnTo)}&`}token=${wire.escapeQuery(token)}`;
  }

  function allowedReturnTo(value: string): string {
    const check = checkReturnTo(policy, value);
    if (!check.ok) throw new LogoutError("return-to-forbidden", `return_to ${check.reason}`, { returnTo: value, reason: `return_to ${check.reason}` });
    return check.location;
  }

  /** The `return_to` of a request: absent or empty is `undefined`; repeated or not allowed is refused. */
  function returnToOf(params: URLSearchParams): string | undefined {
    const values = params.getAll("return_to");
    const [first = ""] = values;
    if (values.length > 1) throw new LogoutError("return-to-forbidden", "return_to is repeated", { returnTo: first, reason: "return_to is repeated" });
    return first === "" ? undefined : allowedReturnTo(first);
  }

  /** The caller, for the flow's own routes: no live session is Kratos' `session_inactive`. */
  async function flowCaller(req: Request): Promise<Authentication> {
    let auth: Authentication;
    try {
      auth = await authenticate(req, rt);
    } catch (error) {
      if (isLogoutError(error) && error.code === "unauthenticated") {
        throw new LogoutError("unauthenticated", error.message, { ...error.details, kind: errorKinds.logoutFlow }, { cause: error });
      }
      throw error;
    }
    rememberAuthentication(req, auth);
    return auth;
  }

  function revokedKey(tokenHash: string): string {
    return `logout:revoked:${tokenHash}`;
  }

  /**
   * The marker that remembers a session token was revoked, so native logout answers 204 again for it (as Kratos
   * does, which keeps revoked rows); `undefined` without the markers capability. It lives as long as the session
   * would have, at least a minute: given the session's `expiresAt` when it is known, else the least life, which
   * the one-call ending (`endSessionByTokenHash`) extends to the session's end itself. It is claimed with the
   * revoke, in the same store call where the store can, else just before it: never a revoked session that native
   * logout calls unknown.
   */
  function revokedMarker(tokenHash: string, expiresAt?: EpochMs): { key: string; ttlMs: number } | undefined {
    if (!remembersRevoked) return undefined;
    return { key: revokedKey(tokenHash), ttlMs: Math.max(MIN_REVOKED_MARKER_MS, (expiresAt ?? 0) - Date.now()) };
  }

  function ended(target: EndedOutcome["target"], caller: Authentication | undefined, sessionId: string | undefined, count: number, redirectTo?: string): EndedOutcome {
    return { target, caller, user: caller?.user, sessionId, count, endedAt: Date.now(), ...(redirectTo === undefined ? {} : { redirectTo }) };
  }

  function setSessionCookie(res: Response, token: string, expiresAt?: EpochMs): void {
    res.cookie(cookie.name, token, withProperties(cookie.attributes, expiresAt === undefined ? { signed: cookie.signed } : { signed: cookie.signed, expires: new Date(expiresAt) }));
  }

  function clearSessionCookie(res: Response): void {
    res.append("Set-Cookie", cookie.clearing);
  }

  async function runCreate(req: Request, res: Response): Promise<void> {
    res.setHeader("Referrer-Policy", "no-referrer");
    const caller = await flowCaller(req);
    const returnTo = returnToOf(queryOf(req));
    const token = tokens.issue(caller.session);
    sendReply(res, renderLogoutUrl({ caller, logoutUrl: buildLogoutUrl(token, returnTo), logoutToken: token }, req));
  }

  /**
   * The browser logout in one store call: the logout token is checked against the cookie's own token hash, then
   * the session found and ended with its revoked-token record together (`endSessionByTokenHash`). Answers
   * `undefined` when that path does not apply (no such store call, a credential that must be identified first)
   * or when the request will be refused: `logoutAfterLookup` then refuses it with the checks in their order
   * (no live session before a token that does not match, before a `return_to` that is not allowed).
   */
  async function logoutInOneCall(req: Request, token: string, params: URLSearchParams): Promise<{ caller: Authentication; redirectTo: string | undefined } | undefined> {
    if (!rt.calls.endsByTokenHash) return undefined;
    const plain = plainSessionToken(req, rt);
    if (plain === undefined || !tokens.matchesTokenHash(token, plain.tokenHash)) return undefined;
    let redirectTo: string | undefined;
    try {
      redirectTo = returnToOf(params) ?? defaultReturn;
    } catch (error) {
      if (isLogoutError(error)) return undefined;
      throw error;
    }
    const session = await endSessionOfToken(rt, plain.tokenHash, revokedMarker(plain.tokenHash));
    // No live session (or lost a race with another logout of it): Kratos' `session_inactive`, as on the other path.
    if (session === undefined) throw new LogoutError("unauthenticated", "no active session for this token", { kind: errorKinds.logoutFlow });
    const caller: Authentication = { session, credential: plain.credential };
    rememberAuthentication(req, caller);
    return { caller, redirectTo };
  }

  /** The browser logout of a caller identified first (a JWT, an earlier middleware's caller, or a refusal). */
  async function logoutAfterLookup(req: Request, token: string, presented: readonly string[], params: URLSearchParams): Promise<{ caller: Authentication; redirectTo: string | undefined }> {
    const caller = await flowCaller(req);
    const { session, principal } = caller;
    if (presented.length !== 1 || !tokens.matches(token, session)) {
      throw new LogoutError("logout-token-mismatch", "the logout token does not belong to this session");
    }
    const redirectTo = returnToOf(params) ?? defaultReturn;
    const live = await endSession(rt, { session, by: session.userId, target: "current", principal, marker: revokedMarker(session.tokenHash, session.expiresAt) });
    // Lost a race with another logout of the same session: it was not this request that ended it.
    if (!live) throw new LogoutError("unauthenticated", "the session had already ended", { kind: errorKinds.logoutFlow });
    return { caller, redirectTo };
  }

  async function runLogout(req: Request, res: Response): Promise<void> {
    res.setHeader("Referrer-Policy", "no-referrer");
    const params = queryOf(req);
    const presented = params.getAll("token");
    const [token = ""] = presented;
    if (token === "") throw new LogoutError("logout-token-missing", "no logout token in the query");
    const { caller, redirectTo } = (presented.length === 1 ? await logoutInOneCall(req, token, params) : undefined) ?? (await logoutAfterLookup(req, token, presented, params));
    const { session } = caller;
    clearSessionCookie(res);
    if (clearSiteData !== undefined && req.secure) res.setHeader("Clear-Site-Data", clearSiteData);
    sendReply(res, renderEnded(shape, ended("current", caller, session.id, 1, redirectTo), req));
  }

  async function runNative(req: Request, res: Response): Promise<void> {
    const body = await nativeBody(req);
    if (body !== null && (typeof body !== "object" || Array.isArray(body))) {
      throw new LogoutError("bad-request", "the body is not a JSON object", { problem: "body-not-object" });
    }
    const token = (body as { session_token?: unknown } | null)?.session_token ?? "";
    if (typeof token !== "string") {
      throw new LogoutError("bad-request", "session_token is not a string", { problem: "field-not-string", field: "session_token" });
    }
    const invalid = () => new LogoutError("session-token-invalid", "unknown or malformed session token");
    if (token === "" || token.length > MAX_TOKEN_LENGTH || !/^[\x21-\x7e]+$/.test(token)) throw invalid();
    const tokenHash = hashSecret(token);
    // One store call where the store can: the lookup, the revoke and the revoked-token record together.
    const session = rt.calls.endsByTokenHash
      ? await endSessionOfToken(rt, tokenHash, revokedMarker(tokenHash))
      : await endAfterLookup(tokenHash);
    if (session !== undefined) {
      sendReply(res, renderEnded(shape, ended("current", undefined, session.id, 1), req));
      return;
    }
    if (!remembersRevoked || !(await rt.calls.isClaimed(revokedKey(tokenHash)))) throw invalid();
    sendReply(res, renderEnded(shape, ended("current", undefined, undefined, 0), req));
  }

  /** A native logout's lookup, then its revoke with the revoked-token record: a store without the one call. */
  async function endAfterLookup(tokenHash: string): Promise<SessionRecord | undefined> {
    const session = await rt.calls.findSessionByTokenHash(tokenHash);
    if (session !== undefined) await endSession(rt, { session, by: session.userId, target: "current", marker: revokedMarker(session.tokenHash, session.expiresAt) });
    return session;
  }

  async function runEndSession(req: Request, res: Response): Promise<void> {
    const caller = await authenticate(req, rt);
    rememberAuthentication(req, caller);
    const id = wire.parseSessionId((req.params as Record<string, string | undefined>).id ?? "");
    if (id === caller.session.id.toLowerCase()) throw new LogoutError("cannot-end-current-session", "a session-management route cannot end the caller's own session");
    // Two store calls, not one: the revoked-token marker is keyed by the victim's token hash, which only the read
    // tells. The revoke then checks the session is still the caller's user's, with the marker in the same call.
    const victim = await rt.calls.getSession(id);
    // Another user's, unknown or already ended: a silent success that changes nothing, as Kratos answers.
    let count = 0;
    if (victim !== undefined && victim.userId === caller.session.userId) {
      const live = await endSession(rt, { session: victim, by: caller.session.userId, target: "session", marker: revokedMarker(victim.tokenHash, victim.expiresAt) });
      count = live ? 1 : 0;
    }
    sendReply(res, renderEnded(shape, ended("session", caller, id, count), req));
  }

  return {
    create: function createLogoutUrlHandler(req: Request, res: Response, next: NextFunction): void {
      settle(req, res, next, browserRt, runCreate(req, res));
    },
    logout: function browserLogoutHandler(req: Request, res: Response, next: NextFunction): void {
      settle(req, res, next, browserRt, runLogout(req, res));
    },
    native: function nativeLogoutHandler(req: Request, res: Response, next: NextFunction): void {
      settle(req, res, next, rt, runNative(req, res));
    },
    listOtherSessions,
    endOtherSessions,
    endSession: function endSessionHandler(req: Request, res: Response, next: NextFunction): void {
      settle(req, res, next, rt, runEndSession(req, res));
    },
    credentials: rt.credentials,
    setSessionCookie,
    clearSessionCookie,
    logoutToken: (session) => tokens.issue(subjectOf("logoutToken", session)),
    logoutUrl(session, returnTo?: string): string {
      return buildLogoutUrl(tokens.issue(subjectOf("logoutUrl", session)), returnTo === undefined || returnTo === "" ? undefined : allowedReturnTo(returnTo));
    },
  };
}
