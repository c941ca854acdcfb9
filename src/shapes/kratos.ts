import { hash } from "node:crypto";
import type { Request } from "express";
import { LogoutError, errorKinds } from "../errors.js";
import { bearerToken, cookieToken, headerToken, singleHeader } from "../credentials/index.js";
import type { Authentication, EpochMs, Reply, SessionRecord, SessionView, Shape, UserRecord } from "../types.js";
import { retryAfterHeaders } from "./common.js";
import { withProperties } from "../with-properties.js";

/** The Kratos session cookie's default name. */
export const KRATOS_SESSION_COOKIE = "ory_kratos_session";

const statusText: Readonly<Record<number, string>> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/** herodot's default `message` per status (`error_defaults.go`). */
const defaultMessage: Readonly<Record<number, string>> = {
  400: "The request was malformed or contained invalid parameters",
  401: "The request could not be authorized",
  403: "The requested action was forbidden",
  404: "The requested resource could not be found",
  429: "Too many requests, please slow down",
  500: "An internal server error occurred, please contact the system administrator",
  503: "The service is temporarily unavailable, please try again later",
};

/** The fields of a herodot error, all but `code` and `status` optional. */
export interface KratosErrorFields {
  /** The error's `id` (`"session_inactive"`, ...). */
  readonly id?: string;
  /** The error's `reason`: what went wrong, for a developer. */
  readonly reason?: string;
  /** The error's `details` object. */
  readonly details?: Readonly<Record<string, unknown>>;
  /**
   * The error's `message`, for people.
   * @defaultValue herodot's message for the status
   */
  readonly message?: string;
}

/**
 * A herodot error reply: `{"error":{id, code, status, request, reason, details, message}}` in that order,
 * empty fields left out, `message` always there (`debug` is never sent). `request` echoes `X-Request-ID`;
 * the `Ory-Error-Id` header carries the id (empty when there is none).
 */
export function kratosError(status: number, fields: KratosErrorFields, req?: Request, headers: Readonly<Record<string, string>> = {}): Reply {
  const request = req === undefined ? undefined : singleHeader(req, "x-request-id");
  const error: Record<string, unknown> = {};
  if (fields.id !== undefined && fields.id !== "") error.id = fields.id;
  error.code = status;
  error.status = statusText[status] ?? "Error";
  if (request !== undefined && request !== "" && request.length <= 256 && /^[\x20-\x7e]+$/.test(request)) error.request = request;
  if (fields.reason !== undefined && fields.reason !== "") error.reason = fields.reason;
  if (fields.details !== undefined && Object.keys(fields.details).length > 0) error.details = fields.details;
  error.message = fields.message ?? defaultMessage[status] ?? "An error occurred";
  return {
    status,
    headers: { "Content-Type": "application/json", "Ory-Error-Id": fields.id ?? "", ...headers },
    body: { error },
  };
}

const goEscapes: Readonly<Record<number, string>> = { 7: "\\a", 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f", 13: "\\r", 34: '\\"', 92: "\\\\" };

/**
 * Go's `%q`: the value in double quotes with Go escapes, as Kratos quotes a refused `return_to` in its reason.
 */
export function goQuote(value: string): string {
  let out = '"';
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    const escape = goEscapes[code];
    if (escape !== undefined) out += escape;
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else if (code === 0x20 || /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(char)) out += char;
    else if (code <= 0xffff) out += `\\u${code.toString(16).padStart(4, "0")}`;
    else out += `\\U${code.toString(16).padStart(8, "0")}`;
  }
  return `${out}"`;
}

/** Go's `url.QueryEscape`, so the logout URL reads as Kratos writes it. */
export function queryEscape(value: string): string {
  return encodeURIComponent(value)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, "+");
}

/** A session id as Kratos parses it (gofrs/uuid): canonical, braced, URN or 32 hex digits; answered lower-case. */
export function parseSessionId(text: string): string {
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

// ---- JSON or browser -------------------------------------------------------------------------------------

interface AcceptSpec {
  readonly value: string;
  readonly q: number;
}

const TOKEN_CHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;

/** The `Accept` header as Go's `header.ParseAccept` reads it (a malformed element ends the parse). */
function parseAccept(header: string): AcceptSpec[] {
  const specs: AcceptSpec[] = [];
  let s = header;
  const skipSpace = () => {
    s = s.replace(/^[ \t\r\n]+/, "");
  };
  for (;;) {
    let i = 0;
    while (i < s.length && (TOKEN_CHAR.test(s.charAt(i)) || s.charAt(i) === "/")) i++;
    const value = s.slice(0, i);
    if (value === "") return specs;
    s = s.slice(i);
    let q = 1;
    skipSpace();
    if (s.startsWith(";")) {
      s = s.slice(1);
      skipSpace();
      if (!s.startsWith("q=")) return specs;
      const match = /^([01])(?:\.(\d*))?/.exec(s.slice(2));
      if (match === null) return specs;
      const digits = match[2] ?? "";
      q = Number(match[1]) + (digits === "" ? 0 : Number(digits) / 10 ** digits.length);
      s = s.slice(2 + match[0].length);
    }
    specs.push({ value, q });
    skipSpace();
    if (!s.startsWith(",")) return specs;
    s = s.slice(1);
    skipSpace();
  }
}

/** golang/gddo `httputil.NegotiateContentType`, which Kratos uses to tell browsers from API clients. */
function negotiate(accept: string | undefined, offers: readonly string[], defaultOffer: string): string {
  let bestOffer = defaultOffer;
  let bestQ = -1;
  let bestWild = 3;
  const specs = accept === undefined ? [] : parseAccept(accept);
  for (const offer of offers) {
    for (const spec of specs) {
      if (spec.q === 0 || spec.q < bestQ) continue;
      if (spec.value === "*/*") {
        if (spec.q > bestQ || bestWild > 2) [bestQ, bestWild, bestOffer] = [spec.q, 2, offer];
      } else if (spec.value.endsWith("/*")) {
        if (offer.startsWith(spec.value.slice(0, -1)) && (spec.q > bestQ || bestWild > 1)) [bestQ, bestWild, bestOffer] = [spec.q, 1, offer];
      } else if (spec.value === offer && (spec.q > bestQ || bestWild > 0)) {
        [bestQ, bestWild, bestOffer] = [spec.q, 0, offer];
      }
    }
  }
  return bestOffer;
}

const OFFERS = ["text/html", "text/*", "*/*", "application/json"] as const;

/**
 * Kratos' `x.IsJSONRequest`: an API client when content negotiation over `text/html, text/*, *\/*,
 * application/json` (default `text/html`) picks `application/json`, or when `Content-Type` is exactly
 * `application/json`. Everything else is a browser, which gets redirects.
 */
export function isJsonRequest(req: Request): boolean {
  const accept = typeof req.headers.accept === "string" ? req.headers.accept : undefined;
  return negotiate(accept, OFFERS, "text/html") === "application/json" || req.headers["content-type"] === "application/json";
}

// ---- Session objects -------------------------------------------------------------------------------------

function iso(ms: EpochMs): string {
  return new Date(ms).toISOString();
}

/** A stable UUID-shaped id for the one device of a session (Kratos keeps devices as their own rows). */
function deviceId(sessionId: string): string {
  const h = hash("sha256", `device:${sessionId}`, "hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h.charAt(16), 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The identity's traits: what the host's user record tells, nothing secret. */
function traitsOf(user: UserRecord | undefined): Record<string, unknown> {
  if (user === undefined) return {};
  const traits: Record<string, unknown> = {};
  if (user.email !== undefined) traits.email = user.email;
  traits.username = user.username;
  if (user.firstName !== undefined || user.lastName !== undefined) {
    traits.name = { ...(user.firstName === undefined ? {} : { first: user.firstName }), ...(user.lastName === undefined ? {} : { last: user.lastName }) };
  }
  return traits;
}

/** A session as the Kratos shape shows it: a record or a view. */
/** The fields of a session that `kratosSession` renders: a `SessionRecord` or a `SessionView` has them. */
export type SessionLike = Pick<SessionRecord, "id" | "userId" | "createdAt" | "expiresAt" | "lastSeenAt" | "authenticationSource" | "ip" | "userAgent" | "authenticatedAt" | "amr">;

/** Second factors in Kratos' sense: a session that used one of these after another method is `aal2`. */
const SECOND_FACTORS: ReadonlySet<string> = new Set(["totp", "webauthn", "passkey", "lookup_secret"]);

/**
 * `authentication_methods` and the assurance level of a session: each method of `amr` (the last one completed at
 * `authenticatedAt`, the earlier ones shown at the login), or the session's source alone when it records none.
 */
function methodsOf(session: SessionLike): { methods: Record<string, unknown>[]; aal: string } {
  const amr = session.amr ?? [];
  const last = session.authenticatedAt ?? session.createdAt;
  if (amr.length === 0) return { methods: [{ method: session.authenticationSource ?? "password", aal: "aal1", completed_at: iso(session.createdAt) }], aal: "aal1" };
  const aal = amr.length > 1 && amr.some((m) => SECOND_FACTORS.has(m)) ? "aal2" : "aal1";
  const methods = amr.map((method, i) => ({
    method,
    aal: SECOND_FACTORS.has(method) && i > 0 ? "aal2" : "aal1",
    completed_at: iso(i === amr.length - 1 ? last : session.createdAt),
  }));
  return { methods, aal };
}

/**
 * A Kratos `session` object: `{id, active, expires_at, authenticated_at, authenticator_assurance_level,
 * authentication_methods, issued_at, identity:{id, schema_id, state, traits, metadata_public, created_at,
 * updated_at}, devices}`. Traits come from the host's user record (`email`, `username`, `name.first/last`);
 * the logout token and the session token are never part of it.
 */
export function kratosSession(session: SessionLike | SessionView, user: UserRecord | undefined): Record<string, unknown> {
  const created = user?.createdAt;
  const { methods, aal } = methodsOf(session);
  return {
    id: session.id,
    active: true,
    expires_at: iso(session.expiresAt),
    authenticated_at: iso(session.authenticatedAt ?? session.createdAt),
    authenticator_assurance_level: aal,
    authentication_methods: methods,
    issued_at: iso(session.createdAt),
    identity: {
      id: user?.id ?? session.userId,
      schema_id: "default",
      state: user?.locked === true ? "inactive" : "active",
      traits: traitsOf(user),
      metadata_public: null,
      ...(created === undefined ? {} : { created_at: iso(created), updated_at: iso(user?.updatedAt ?? created) }),
    },
    devices: [{ id: deviceId(session.id), ip_address: session.ip ?? "", user_agent: session.userAgent ?? "", location: "" }],
  };
}

// ---- The shape -------------------------------------------------------------------------------------------

/** Kratos' own reasons for a request body it cannot decode (herodot's ErrBadRequest from its body decoder). */
function badInputReason(error: LogoutError): string | undefined {
  const { problem, contentType, method, limit, field } = error.details;
  switch (problem) {
    case "body-empty":
      return 'Unable to decode HTTP Request Body because its HTTP Header "Content-Length" is zero.';
    case "unsupported-content-type":
      return `HTTP ${method ?? "DELETE"} Request used unknown HTTP Header "Content-Type: ${contentType ?? ""}", only [application/json] are supported.`;
    case "body-too-large":
      return `Unable to read HTTP request body: it is larger than ${String(limit ?? 0)} bytes.`;
    case "body-unreadable":
      return "Unable to read HTTP request body.";
    case "body-not-json":
      return "Unable to decode JSON payload: the body is not valid JSON.";
    case "body-not-object":
      return "Unable to decode JSON payload: the body must be a JSON object.";
    case "field-not-string":
      return `Unable to decode JSON payload: ${field ?? "a field"} must be a string.`;
    case "missing-parameters":
    case undefined:
      return undefined;
  }
}

function errorReply(error: LogoutError, req: Request): Reply {
  const reason = error.details.reason;
  switch (error.code) {
    case "unauthenticated":
      // An admin route without a valid admin API key: herodot's plain ErrUnauthorized, as Ory Network's admin
      // APIs answer it.
      if (error.details.kind === errorKinds.adminCredential) return kratosError(401, {}, req);
      // The logout flow answers Kratos' ErrNoActiveSessionFound; who-am-I and session management answer
      // herodot's ErrUnauthorized with their own reason, as Kratos' session handler does.
      return error.details.kind === errorKinds.logoutFlow
        ? kratosError(401, { id: "session_inactive", reason: "No active session was found in this request.", message: "request does not have a valid authentication session" }, req)
        : kratosError(401, { reason: "No valid session cookie found." }, req);
    case "api-key-invalid":
      return kratosError(401, { reason: "No valid session cookie found." }, req);
    case "logout-token-missing":
      return kratosError(400, { reason: "Please include a token in the URL query." }, req);
    case "logout-token-mismatch":
      return kratosError(403, { reason: "Unable to log out because the logout token in the URL query does not match the session cookie." }, req);
    case "return-to-forbidden":
      return kratosError(400, { id: "self_service_flow_return_to_forbidden", reason: `Requested return_to URL ${goQuote(error.details.returnTo ?? "")} is not allowed.` }, req);
    case "session-token-invalid":
      return kratosError(403, { reason: "The provided Ory Session Token could not be found, is invalid, or otherwise malformed." }, req);
    case "cannot-end-current-session":
      return kratosError(400, { message: "cannot revoke current session" }, req);
    case "bad-request":
      // Kratos reports a bad session id in `message` (herodot's WithError), everything else in `reason`.
      return error.details.kind === errorKinds.invalidSessionId
        ? kratosError(400, { message: reason ?? error.message }, req)
        : kratosError(400, { reason: reason ?? badInputReason(error) ?? error.message }, req);
    case "not-found":
      // Kratos' persister answers a missing row with sqlcon's ErrNoRows: the message is its own.
      return kratosError(404, { message: "Unable to locate the resource" }, req);
    case "forbidden":
    case "tenant-key-invalid":
      return kratosError(403, {}, req);
    case "totp-required":
    case "totp-invalid":
      return kratosError(403, { reason: reason ?? error.message }, req);
    case "throttled":
      return kratosError(429, {}, req, retryAfterHeaders(error));
    case "reauthentication-required":
      return refreshRequired(error, req);
    case "session-limit-reached":
      return kratosError(403, { reason: "The identity has reached its maximum number of sessions." }, req);
    case "store-unavailable":
      return kratosError(503, { reason: "The session store failed or did not answer in time; nothing was confirmed. A logout it was asked for may still complete: retry it, and an ended session answers as ended." }, req, retryAfterHeaders(error));
  }
}

/**
 * Kratos' `session_refresh_required` (its `NeedsPrivilegedSessionError`): a 403 herodot error with the login
 * flow to refresh the session in `redirect_browser_to`; a browser is sent there at once (303), as Kratos' settings
 * flow does. Without a URL from the route, the refresh login is Kratos' own path on this host, returning here.
 */
function refreshRequired(error: LogoutError, req: Request): Reply {
  const target = error.details.reauthenticateUrl ?? `/self-service/login/browser?refresh=true&return_to=${encodeURIComponent(req.originalUrl)}`;
  if (!isJsonRequest(req)) return seeOther(target);
  const herodot = kratosError(403, { id: "session_refresh_required", reason: "The login session is too old and thus not allowed to update these fields. Please re-authenticate." }, req);
  return withProperties(herodot, { body: withProperties(herodot.body as Record<string, unknown>, { redirect_browser_to: target }) });
}

/** Go's `http.Redirect` body for a GET: a link to the new location. */
function seeOther(location: string): Reply {
  const escaped = location.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;" })[c] ?? c);
  return { status: 303, headers: { Location: location, "Content-Type": "text/html; charset=utf-8" }, body: `<a href="${escaped}">See Other</a>.\n\n` };
}

/**
 * Ory Kratos: the browser logout flow (`GET /self-service/logout/browser` → `{logout_url, logout_token}`,
 * `GET /self-service/logout` → 204 for API clients or 303 for browsers), native logout
 * (`DELETE /self-service/logout/api` → 204), session management (`GET /sessions`, `DELETE /sessions` →
 * `{"count":n}`, `DELETE /sessions/:id` → 204) and `GET /sessions/whoami`. Errors are herodot bodies.
 * Credentials in Kratos' order: `X-Session-Token`, the `ory_kratos_session` cookie, `Authorization: Bearer`.
 */
export const kratosShape: Shape = {
  name: "kratos",
  credentials: [headerToken("x-session-token"), cookieToken(KRATOS_SESSION_COOKIE), bearerToken()],
  logoutFlow: {
    logoutTokenPrefix: "ory_lo_",
    sessionCookieName: KRATOS_SESSION_COOKIE,
    escapeQuery: queryEscape,
    parseSessionId,
    // Kratos' order: the session token header, the session cookie, then `Authorization: Bearer`.
    credentials: (cookie) => [headerToken("x-session-token"), cookieToken(cookie.name, { signed: cookie.signed }), bearerToken()],
  },
  ended(outcome, req) {
    if (outcome.target === "all" || outcome.target === "others" || outcome.target === "api-key") return { status: 200, body: { count: outcome.count } };
    if (outcome.redirectTo !== undefined && !isJsonRequest(req)) return seeOther(outcome.redirectTo);
    return { status: 204 };
  },
  error: errorReply,
  errorRedirect(error, req, pageUrl) {
    // A store outage keeps its 503 and Retry-After: an error page cannot tell a browser when to retry.
    if (error.code === "store-unavailable" || isJsonRequest(req)) return undefined;
    return seeOther(`${pageUrl}${pageUrl.includes("?") ? "&" : "?"}error=${error.code}`);
  },
  logoutUrl(flow) {
    return { status: 200, body: { logout_url: flow.logoutUrl, logout_token: flow.logoutToken } };
  },
  whoAmI(caller: Authentication) {
    const identityId = caller.user?.id ?? caller.session.userId;
    // A header value must be plain text; an identity id that is not is left out rather than failing the request.
    const headers: Record<string, string> = /^[\x20-\x7e]*$/.test(identityId) ? { "X-Kratos-Authenticated-Identity-Id": identityId } : {};
    return { status: 200, headers, body: kratosSession(caller.session, caller.user) };
  },
  sessionList(outcome) {
    return {
      status: 200,
      headers: { "X-Total-Count": String(outcome.total) },
      body: outcome.sessions.map((s) => kratosSession(s, outcome.caller.user)),
    };
  },
};
