import type { CookieOptions, NextFunction, Request, RequestHandler, Response } from "express";
import { bearerToken, cookieToken, headerToken, MAX_TOKEN_LENGTH, singleHeader } from "../credentials/index.js";
import { LogoutError, errorKinds, isLogoutError } from "../errors.js";
import { checkReturnTo, compileReturnToPolicy } from "../return-to.js";
import { constantTimeEqual, hashSecret, hmac } from "../secrets.js";
import { KRATOS_SESSION_COOKIE, goQuote, kratosShape } from "../shapes/kratos.js";
import { guarded } from "../store/guard.js";
import type { Authentication, CredentialSource, EndedOutcome, EpochMs, SessionRecord } from "../types.js";
import { createLogoutHandler } from "./create-logout-handler.js";
import { listSessions } from "./list-sessions.js";
import { resolveRuntime, type CommonOptions, type Runtime } from "./options.js";
import { authenticate, liveSessionFor, rememberAuthentication, renderEnded, sendReply, settle } from "./runtime.js";

/** Where the session cookie lives. The same attributes set it at login and clear it at logout. */
export interface SessionCookieOptions {
  /** Default `"ory_kratos_session"`. */
  readonly name?: string;
  /** Default `"/"`. */
  readonly path?: string;
  /** Default: none (the cookie belongs to the exact host that set it). */
  readonly domain?: string;
  /** Default `"lax"`. `"none"` requires `secure`. */
  readonly sameSite?: "lax" | "strict" | "none";
  /** Default: `true` when `publicUrl` is https. */
  readonly secure?: boolean;
  /** Default `true`: page scripts never see the session token. */
  readonly httpOnly?: boolean;
  /** Sign the cookie with cookie-parser's secret (`app.use(cookieParser(secret))`). Default `false`. */
  readonly signed?: boolean;
}

/** Where a browser may go after logging out. */
export interface ReturnToOptions {
  /**
   * Absolute URLs allowed as `return_to`, e.g. `["https://app.example.com/", "https://*.example.com/app"]`.
   * Paths (`/dashboard`) and URLs on `publicUrl`'s origin are always allowed. Default: none besides those.
   */
  readonly allow?: readonly string[];
  /** Where a browser goes when the logout URL has no `return_to`. Default `"/"`. */
  readonly default?: string;
}

export interface BrowserLogoutFlowOptions extends CommonOptions {
  /**
   * The public base URL the flow is served from, e.g. `"https://auth.example.com"` (a path prefix is kept).
   * The logout URL is this plus `logoutPath`. Required.
   */
  readonly publicUrl: string;
  /** Where the host mounts `flow.logout`, below `publicUrl`. Default `"/self-service/logout"`. */
  readonly logoutPath?: string;
  /**
   * Keys for the logout token, newest first: the first signs, every one verifies, so a secret can be rotated
   * without breaking logout URLs already handed out. Each at least 32 random characters. Required.
   */
  readonly secrets: readonly string[];
  readonly returnTo?: ReturnToOptions;
  readonly sessionCookie?: SessionCookieOptions;
  /**
   * The host's error page: browsers (not API clients) that are refused are sent there with a 303 and
   * `?error=<code>`. A store outage keeps its 503. Default: none, every refusal is answered in the shape.
   */
  readonly errorUrl?: string;
  /**
   * Send `Clear-Site-Data: "cookies", "storage"` (plus `"cache"` with `{ cache: true }`) on a successful
   * browser logout over HTTPS. HTTPS is what Express says (`req.secure`, which trusts `X-Forwarded-Proto` only
   * as far as `app.set("trust proxy", ...)` allows). Off by default: it clears every cookie of the site,
   * including those of other apps on the same registrable domain.
   */
  readonly clearSiteData?: boolean | { readonly cache?: boolean };
}

/** The handlers and helpers a host mounts and calls. */
export interface BrowserLogoutFlow {
  /** `GET /self-service/logout/browser`: the caller's logout URL and token. No side effects. */
  readonly create: RequestHandler;
  /** `GET /self-service/logout?token=…&return_to=…`: ends the session, clears the cookie, 303 or 204. */
  readonly logout: RequestHandler;
  /** `DELETE /self-service/logout/api` with `{"session_token": "..."}`: native apps. No cookies touched. */
  readonly native: RequestHandler;
  /** `GET /sessions`: the caller's other live sessions. */
  readonly listOtherSessions: RequestHandler;
  /** `DELETE /sessions`: ends every other session of the caller; `{"count": n}`. */
  readonly endOtherSessions: RequestHandler;
  /** `DELETE /sessions/:id`: ends one other session of the caller (the route needs an `:id` parameter). */
  readonly endSession: RequestHandler;
  /** Where the flow reads the caller's session from; pass it to `whoAmI` and `requireSession` too. */
  readonly credentials: readonly CredentialSource[];
  /** Sets the session cookie at login, with the attributes logout clears it with. */
  setSessionCookie(res: Response, token: string, expiresAt?: EpochMs): void;
  /** Expires the session cookie (name, path, domain, SameSite and Secure as it was set). */
  clearSessionCookie(res: Response): void;
  /** The logout token of a session. */
  logoutToken(sessionId: string): string;
  /** The logout URL of a session, for server-rendered pages. Throws a `return-to-forbidden` LogoutError. */
  logoutUrl(sessionId: string, returnTo?: string): string;
}

const FACTORY = "browserLogoutFlow";
const EXTRA_OPTIONS = ["publicUrl", "logoutPath", "secrets", "returnTo", "sessionCookie", "errorUrl", "clearSiteData"];
const LOGOUT_TOKEN_PREFIX = "ory_lo_";
const MIN_SECRET_LENGTH = 32;
/** The largest native-logout body read, in bytes. A session token is well under 100. */
const MAX_NATIVE_BODY_BYTES = 16 * 1024;
/** How long a "revoked" marker outlives nothing: at least a minute, at most the session's remaining life. */
const MIN_REVOKED_MARKER_MS = 60_000;

function fail(message: string): never {
  throw new TypeError(`express-logout: ${FACTORY} ${message}`);
}

function checkSecrets(secrets: unknown): readonly string[] {
  if (typeof secrets === "string") fail("`secrets` must be an array (newest first), so secrets can rotate: write `secrets: [yourSecret]`.");
  if (!Array.isArray(secrets) || secrets.length === 0) {
    fail("needs `secrets`: an array of one or more random strings of at least 32 characters, newest first (e.g. `[process.env.LOGOUT_SECRET]`).");
  }
  secrets.forEach((secret: unknown, i) => {
    if (typeof secret !== "string" || secret.length < MIN_SECRET_LENGTH) {
      fail(`\`secrets[${i}]\` must be a string of at least ${MIN_SECRET_LENGTH} random characters (e.g. from \`openssl rand -base64 32\`).`);
    }
  });
  return [...(secrets as string[])];
}

interface ResolvedCookie {
  readonly name: string;
  readonly signed: boolean;
  /** What `res.cookie` and `res.clearCookie` get, minus `signed` and the expiry. */
  readonly attributes: CookieOptions;
}

function checkCookie(options: SessionCookieOptions | undefined, httpsByDefault: boolean): ResolvedCookie {
  const o = options ?? {};
  if (typeof o !== "object") fail("`sessionCookie` must be an object such as `{ name, path, domain, sameSite, secure }`.");
  const known = ["name", "path", "domain", "sameSite", "secure", "httpOnly", "signed"];
  for (const key of Object.keys(o)) if (!known.includes(key)) fail(`\`sessionCookie\` has an unsupported option \`${key}\` (known: ${known.join(", ")}).`);
  const name = o.name ?? KRATOS_SESSION_COOKIE;
  if (typeof name !== "string" || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) fail("`sessionCookie.name` must be a cookie name (letters, digits and !#$%&'*+-.^_`|~).");
  const path = o.path ?? "/";
  if (typeof path !== "string" || !/^\/[\x21-\x3a\x3c-\x7e]*$/.test(path)) fail("`sessionCookie.path` must start with `/` and hold no spaces or semicolons.");
  const domain = o.domain;
  if (domain !== undefined && (typeof domain !== "string" || !/^\.?[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(domain))) {
    fail("`sessionCookie.domain` must be a host name such as `example.com`.");
  }
  const sameSite = o.sameSite ?? "lax";
  if (!["lax", "strict", "none"].includes(sameSite)) fail('`sessionCookie.sameSite` must be "lax", "strict" or "none".');
  const secure = o.secure ?? httpsByDefault;
  const httpOnly = o.httpOnly ?? true;
  const signed = o.signed ?? false;
  for (const [key, value] of [["secure", secure], ["httpOnly", httpOnly], ["signed", signed]] as const) {
    if (typeof value !== "boolean") fail(`\`sessionCookie.${key}\` must be a boolean.`);
  }
  if (sameSite === "none" && !secure) fail('`sessionCookie.sameSite: "none"` needs `secure: true`: browsers drop such cookies otherwise.');
  if (name.startsWith("__Secure-") && !secure) fail("a `__Secure-` cookie needs `secure: true`.");
  if (name.startsWith("__Host-") && (!secure || path !== "/" || domain !== undefined)) fail("a `__Host-` cookie needs `secure: true`, `path: \"/\"` and no `domain`.");
  return { name, signed, attributes: { path, sameSite, secure, httpOnly, ...(domain === undefined ? {} : { domain }) } };
}

function checkErrorUrl(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !/^(?:https?:\/\/[^/?#\\]+|\/(?![/\\]))[\x21-\x7e]*$/i.test(value) || value.includes("\\") || value.includes("#")) {
    fail(`\`errorUrl\` must be an absolute http(s) URL or a path such as "/error", received ${JSON.stringify(value)}.`);
  }
  return value;
}

function checkClearSiteData(value: unknown): string | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return '"cookies", "storage"';
  if (typeof value === "object" && value !== null && Object.keys(value).every((k) => k === "cache")) {
    const cache = (value as { cache?: unknown }).cache;
    if (cache === undefined || typeof cache === "boolean") return cache === true ? '"cookies", "storage", "cache"' : '"cookies", "storage"';
  }
  return fail("`clearSiteData` must be `false`, `true` or `{ cache: true }`.");
}

/** Go's `url.QueryEscape`, so the logout URL reads as Kratos writes it. */
function queryEscape(value: string): string {
  return encodeURIComponent(value)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, "+");
}

/** The query string of the request as sent, independent of the app's `query parser` setting. */
function queryOf(req: Request): URLSearchParams {
  const url = req.originalUrl || req.url;
  const at = url.indexOf("?");
  return new URLSearchParams(at === -1 ? "" : url.slice(at + 1));
}

/** A session id as Kratos parses it (gofrs/uuid): canonical, braced, URN or 32 hex digits; answered lower-case. */
function parseSessionId(text: string): string {
  const bad = (problem: string) =>
    new LogoutError("bad-request", `invalid session id: ${problem}`, { reason: `uuid: incorrect UUID ${problem} in string ${goQuote(text)}`, kind: errorKinds.invalidSessionId });
  let inner = text;
  switch (text.length) {
    case 32:
    case 36:
      break;
    case 34:
    case 38:
      if (!text.startsWith("{") || !text.endsWith("}")) throw bad("format");
      inner = text.slice(1, -1);
      break;
    case 41:
    case 45:
      if (!text.toLowerCase().startsWith("urn:uuid:")) throw bad("format");
      inner = text.slice("urn:uuid:".length);
      break;
    default:
      throw new LogoutError("bad-request", "invalid session id: length", {
        reason: `uuid: incorrect UUID length ${text.length} in string ${goQuote(text)}`,
        kind: errorKinds.invalidSessionId,
      });
  }
  const match = /^([0-9a-f]{8})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{12})$/i.exec(inner);
  if (match === null || (inner.length === 36) !== inner.includes("-")) throw bad("format");
  return match.slice(1).join("-").toLowerCase();
}

/** Reads a small request body as text, refusing more than `limit` bytes. */
function readBody(req: Request, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.resume();
        reject(new LogoutError("bad-request", "body too large", { reason: `Unable to read HTTP request body: it is larger than ${limit} bytes.` }));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks).toString("utf8"));
    };
    const onError = () => {
      cleanup();
      reject(new LogoutError("bad-request", "body unreadable", { reason: "Unable to read HTTP request body." }));
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
  });
}

/**
 * The browser logout flow (Ory Kratos' by default): the app asks `create` for a logout URL that carries a
 * token bound to the caller's session; the browser follows it to `logout`, which ends that session, clears
 * the cookie and sends the browser to an allowed `return_to`. Also native logout and session management.
 *
 * The logout token is `"ory_lo_" + HMAC-SHA256(secret, "logout:" + session id)`: 256 bits, stateless (no store
 * write to issue one), compared in constant time, and useless once its session has ended. Checks on logout,
 * in order: a token (400), a live session (401), the token matches it (403), `return_to` is allowed (400;
 * validated before anything is revoked, unlike Kratos), then the session ends.
 */
export function browserLogoutFlow(options: Readonly<BrowserLogoutFlowOptions>): BrowserLogoutFlow {
  const base = resolveRuntime(FACTORY, options, kratosShape, EXTRA_OPTIONS);
  const o = options as BrowserLogoutFlowOptions;
  const maybeRender = base.shape.logoutUrl;
  if (maybeRender === undefined) fail(`cannot use shape \`${base.shape.name}\`: it has no logout-URL answer. Use \`shapes.kratos\`.`);
  const renderLogoutUrl = maybeRender;

  if (typeof o.publicUrl !== "string") fail('needs `publicUrl`, the public base URL the flow is served from, such as "https://auth.example.com".');
  const returnToOptions = o.returnTo ?? {};
  if (typeof returnToOptions !== "object") fail("`returnTo` must be an object such as `{ allow: [...], default: \"/\" }`.");
  for (const key of Object.keys(returnToOptions)) if (key !== "allow" && key !== "default") fail(`\`returnTo\` has an unsupported option \`${key}\` (known: allow, default).`);
  const policy = compileReturnToPolicy({ base: o.publicUrl, ...(returnToOptions.allow === undefined ? {} : { allow: returnToOptions.allow }) });
  const defaultReturn = returnToOptions.default ?? "/";
  const defaultCheck = typeof defaultReturn === "string" ? checkReturnTo(policy, defaultReturn) : { ok: false as const, reason: "is not a string" };
  if (!defaultCheck.ok) fail(`\`returnTo.default\` ${JSON.stringify(defaultReturn)} is not an allowed return URL: it ${defaultCheck.reason}.`);

  const logoutPath = o.logoutPath ?? "/self-service/logout";
  if (typeof logoutPath !== "string" || !/^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/.test(logoutPath) || logoutPath.startsWith("//")) {
    fail('`logoutPath` must be a path such as "/self-service/logout".');
  }
  const publicUrl = new URL(o.publicUrl);
  const logoutEndpoint = `${publicUrl.origin}${publicUrl.pathname.replace(/\/+$/, "")}${logoutPath}`;
  const secrets = checkSecrets(o.secrets);
  const cookie = checkCookie(o.sessionCookie, publicUrl.protocol === "https:");
  const errorUrl = checkErrorUrl(o.errorUrl);
  const clearSiteData = checkClearSiteData(o.clearSiteData);

  const credentials = o.credentials ?? [headerToken("x-session-token"), cookieToken(cookie.name, { signed: cookie.signed }), bearerToken()];
  const rt: Runtime = { ...base, credentials };
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
    credentials,
    ...(rt.users === undefined ? {} : { users: rt.users }),
    ...(rt.events === undefined ? {} : { events: rt.events }),
    timeoutMs: rt.guard.timeoutMs,
    retryAfterSeconds: rt.guard.retryAfterSeconds,
  };
  const listOtherSessions = listSessions({ ...common, excludeCurrent: true });
  const endOtherSessions = createLogoutHandler({ ...common, target: "others" });

  function sign(sessionId: string, secret: string): string {
    return LOGOUT_TOKEN_PREFIX + hmac(secret, `logout:${sessionId}`);
  }

  function logoutToken(sessionId: string): string {
    return sign(sessionId, secrets[0] ?? "");
  }

  /** Whether `token` is this session's logout token under any of the secrets, in constant time. */
  function tokenMatches(token: string, sessionId: string): boolean {
    if (token.length > MAX_TOKEN_LENGTH) return false;
    let matches = false;
    for (const secret of secrets) matches = constantTimeEqual(token, sign(sessionId, secret)) || matches;
    return matches;
  }

  function buildLogoutUrl(token: string, returnTo: string | undefined): string {
    return `${logoutEndpoint}?${returnTo === undefined ? "" : `return_to=${queryEscape(returnTo)}&`}token=${queryEscape(token)}`;
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

  /**
   * Remembers that a session token was revoked, so native logout answers 204 again for it (as Kratos does,
   * which keeps revoked rows). A counter, because `readCounter` can ask without writing; it lives as long as
   * the session would have, at least a minute. Written before the revocation, so a store failure in between
   * leaves a live session and a harmless marker, never a revoked session that native logout calls unknown.
   */
  async function markRevoked(session: SessionRecord): Promise<void> {
    const ttl = Math.max(MIN_REVOKED_MARKER_MS, session.expiresAt - Date.now());
    await guarded("incrementCounter", () => rt.store.incrementCounter(revokedKey(session.tokenHash), ttl), rt.guard);
  }

  function revokedKey(tokenHash: string): string {
    return `logout:revoked:${tokenHash}`;
  }

  async function revoke(session: SessionRecord): Promise<boolean> {
    await markRevoked(session);
    return guarded("revokeSession", () => rt.store.revokeSession(session.id), rt.guard);
  }

  function ended(target: EndedOutcome["target"], caller: Authentication | undefined, sessionId: string | undefined, count: number, redirectTo?: string): EndedOutcome {
    return { target, caller, user: caller?.user, sessionId, count, endedAt: Date.now(), ...(redirectTo === undefined ? {} : { redirectTo }) };
  }

  function emitEnded(session: SessionRecord, by: string, target: "current" | "session"): void {
    rt.events?.emit("session.ended", { sessionId: session.id, userId: session.userId, by, target, at: Date.now() });
  }

  function setSessionCookie(res: Response, token: string, expiresAt?: EpochMs): void {
    res.cookie(cookie.name, token, { ...cookie.attributes, signed: cookie.signed, ...(expiresAt === undefined ? {} : { expires: new Date(expiresAt) }) });
  }

  function clearSessionCookie(res: Response): void {
    res.clearCookie(cookie.name, cookie.attributes);
  }

  async function runCreate(req: Request, res: Response): Promise<void> {
    res.setHeader("Referrer-Policy", "no-referrer");
    const caller = await flowCaller(req);
    const returnTo = returnToOf(queryOf(req));
    const token = logoutToken(caller.session.id);
    sendReply(res, renderLogoutUrl({ caller, logoutUrl: buildLogoutUrl(token, returnTo), logoutToken: token }, req));
  }

  async function runLogout(req: Request, res: Response): Promise<void> {
    res.setHeader("Referrer-Policy", "no-referrer");
    const params = queryOf(req);
    const tokens = params.getAll("token");
    const [token = ""] = tokens;
    if (token === "") throw new LogoutError("logout-token-missing", "Please include a token in the URL query.");
    const caller = await flowCaller(req);
    const { session, principal } = caller;
    if (tokens.length !== 1 || !tokenMatches(token, session.id)) {
      throw new LogoutError("logout-token-mismatch", "the logout token does not belong to this session");
    }
    const redirectTo = returnToOf(params) ?? defaultReturn;
    const live = principal === undefined ? await revoke(session) : await guarded("end token", () => principal.end(rt.store), rt.guard);
    // Lost a race with another logout of the same session: it was not this request that ended it.
    if (!live) throw new LogoutError("unauthenticated", "the session had already ended", { kind: errorKinds.logoutFlow });
    emitEnded(session, session.userId, "current");
    clearSessionCookie(res);
    if (clearSiteData !== undefined && req.secure) res.setHeader("Clear-Site-Data", clearSiteData);
    sendReply(res, renderEnded(shape, ended("current", caller, session.id, 1, redirectTo), req));
  }

  async function nativeBody(req: Request): Promise<unknown> {
    const bad = (reason: string) => new LogoutError("bad-request", reason, { reason });
    const length = req.headers["content-length"];
    if (req.headers["transfer-encoding"] === undefined && (length === undefined || length === "0")) {
      throw bad('Unable to decode HTTP Request Body because its HTTP Header "Content-Length" is zero.');
    }
    const contentType = singleHeader(req, "content-type") ?? "";
    if ((contentType.split(";")[0] ?? "").trim().toLowerCase() !== "application/json") {
      throw bad(`HTTP ${req.method} Request used unknown HTTP Header "Content-Type: ${contentType}", only [application/json] are supported.`);
    }
    // A body parser mounted before this handler may have read the body already (body-parser 1 flags it with
    // `_body`; body-parser 2 leaves the stream ended): then its result is all there is.
    let text: string;
    if ((req as { _body?: unknown })._body === true || req.readableEnded) {
      const parsed = req.body as unknown;
      if (typeof parsed !== "string" && !Buffer.isBuffer(parsed)) return parsed;
      text = parsed.toString();
    } else {
      text = await readBody(req, MAX_NATIVE_BODY_BYTES);
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw bad("Unable to decode JSON payload: the body is not valid JSON.");
    }
  }

  async function runNative(req: Request, res: Response): Promise<void> {
    const body = await nativeBody(req);
    if (body !== null && (typeof body !== "object" || Array.isArray(body))) {
      throw new LogoutError("bad-request", "body is not an object", { reason: "Unable to decode JSON payload: the body must be a JSON object." });
    }
    const token = (body as { session_token?: unknown } | null)?.session_token ?? "";
    if (typeof token !== "string") {
      throw new LogoutError("bad-request", "session_token is not a string", { reason: "Unable to decode JSON payload: session_token must be a string." });
    }
    const invalid = () => new LogoutError("session-token-invalid", "unknown or malformed session token");
    if (token === "" || token.length > MAX_TOKEN_LENGTH || !/^[\x21-\x7e]+$/.test(token)) throw invalid();
    const tokenHash = hashSecret(token);
    const session = await liveSessionFor(rt, tokenHash);
    if (session !== undefined) {
      if (await revoke(session)) emitEnded(session, session.userId, "current");
      sendReply(res, renderEnded(shape, ended("current", undefined, session.id, 1), req));
      return;
    }
    const revokedBefore = await guarded("readCounter", () => rt.store.readCounter(revokedKey(tokenHash)), rt.guard);
    if (revokedBefore === 0) throw invalid();
    sendReply(res, renderEnded(shape, ended("current", undefined, undefined, 0), req));
  }

  async function runEndSession(req: Request, res: Response): Promise<void> {
    const caller = await authenticate(req, rt);
    rememberAuthentication(req, caller);
    const id = parseSessionId((req.params as Record<string, string | undefined>).id ?? "");
    if (id === caller.session.id.toLowerCase()) throw new LogoutError("cannot-end-current-session", "cannot revoke current session");
    const victim = await guarded("getSession", () => rt.store.getSession(id), rt.guard);
    // Another user's, unknown or already ended: a silent success that changes nothing, as Kratos answers.
    let count = 0;
    if (victim !== undefined && victim.userId === caller.session.userId && (await revoke(victim))) {
      emitEnded(victim, caller.session.userId, "session");
      count = 1;
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
    credentials,
    setSessionCookie,
    clearSessionCookie,
    logoutToken,
    logoutUrl(sessionId: string, returnTo?: string): string {
      return buildLogoutUrl(logoutToken(sessionId), returnTo === undefined || returnTo === "" ? undefined : allowedReturnTo(returnTo));
    },
  };
}
