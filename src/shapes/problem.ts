import type { Request } from "express";
import { LogoutError } from "../errors.js";
import { bearerToken, headerToken } from "../credentials/index.js";
import type { AdminListQuery, AdminSessionPage, AdminSessionView, AdminShape } from "../handlers/admin/types.js";
import { isStoreCursor } from "../store/session-directory.js";
import type { Shape } from "../types.js";
import { retryAfterHeaders } from "./common.js";
import { withProperties } from "../with-properties.js";

const titles: Readonly<Record<LogoutError["code"], string>> = {
  unauthenticated: "Unauthenticated",
  forbidden: "Forbidden",
  "bad-request": "Bad Request",
  "not-found": "Session not found",
  "totp-required": "TOTP required",
  "totp-invalid": "TOTP invalid",
  throttled: "Too many attempts",
  "store-unavailable": "Session store unavailable",
  "tenant-key-invalid": "Invalid tenant key",
  "api-key-invalid": "Invalid API key",
  "logout-token-missing": "Logout token missing",
  "logout-token-mismatch": "Logout token mismatch",
  "return-to-forbidden": "return_to not allowed",
  "cannot-end-current-session": "Cannot end the current session here",
  "session-token-invalid": "Invalid session token",
  "reauthentication-required": "Re-authentication required",
  "session-limit-reached": "Session limit reached",
};

function badQuery(reason: string): LogoutError {
  return new LogoutError("bad-request", reason, { reason, kind: "invalid-params" });
}

/** A single query parameter as a string, or `undefined`; a repeated one is a bad request. */
function param(req: Request, name: string): string | undefined {
  const value = (req.query as Record<string, unknown>)[name];
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw badQuery(`${name} must be given once, as a string`);
  return value;
}

function wholeParam(req: Request, name: string, min: number, max: number): number | undefined {
  const value = param(req, name);
  if (value === undefined) return undefined;
  if (!/^\d{1,9}$/.test(value) || Number(value) < min || Number(value) > max) throw badQuery(`${name} must be a whole number from ${String(min)} to ${String(max)}`);
  return Number(value);
}

function textParam(req: Request, name: string): string | undefined {
  const value = param(req, name);
  if (value !== undefined && (value === "" || value.length > 512)) throw badQuery(`${name} must be 1 to 512 characters`);
  return value;
}

/** `?limit=` (1–1000, default 100), `?cursor=`, `?offset=`, `?userId=`, `?authenticationSource=`. */
function listQuery(req: Request): AdminListQuery {
  const cursor = textParam(req, "cursor");
  const userId = textParam(req, "userId");
  const source = textParam(req, "authenticationSource");
  const offset = wholeParam(req, "offset", 0, 1_000_000);
  if (cursor !== undefined && offset !== undefined) throw badQuery("cursor and offset cannot be used together");
  if (cursor !== undefined && !isStoreCursor(cursor)) throw badQuery("cursor is not one this server made");
  return {
    limit: wholeParam(req, "limit", 1, 1000) ?? 100,
    ...(cursor === undefined ? {} : { cursor }),
    ...(offset === undefined ? {} : { offset }),
    ...(userId === undefined ? {} : { userId }),
    ...(source === undefined ? {} : { authenticationSource: source }),
  };
}

function iso(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}

function adminSessionBody(s: AdminSessionView): Record<string, unknown> {
  return {
    id: s.id,
    userId: s.userId,
    username: s.user?.username ?? null,
    createdAt: iso(s.createdAt),
    expiresAt: iso(s.expiresAt),
    lastSeenAt: iso(s.lastSeenAt),
    authenticationSource: s.authenticationSource ?? null,
    ip: s.ip ?? null,
    userAgent: s.userAgent ?? null,
    current: s.current,
  };
}

function pageBody(page: AdminSessionPage) {
  return { status: 200, body: { sessions: page.sessions.map(adminSessionBody), total: page.total ?? null, offset: page.offset, nextCursor: page.nextCursor ?? null } };
}

function readId(req: Request, name: string): string {
  const value = (req.params as Record<string, unknown>)[name] ?? (req.body as Record<string, unknown> | undefined)?.[name];
  if (typeof value !== "string" || value === "" || value.length > 512) throw badQuery(`${name} must be a non-empty string`);
  return value;
}

/**
 * The neutral admin routes: `?limit=&cursor=` (or `&offset=`) lists as `{sessions, total, offset, nextCursor}`;
 * the session id (`:sessionId`) and user id (`:userId`) come from the route's path parameters (or a JSON
 * body); ending answers `{"ended": n}`.
 */
const problemAdmin: AdminShape = {
  requiresSecondFactor: false,
  readAllSessionsQuery: listQuery,
  allSessions: pageBody,
  readUserSessionsQuery(req) {
    return withProperties(listQuery(req), { userId: readId(req, "userId") });
  },
  userSessions: pageBody,
  readSessionId: (req) => readId(req, "sessionId"),
  readUserId: (req) => readId(req, "userId"),
  session: (s) => ({ status: 200, body: adminSessionBody(s) }),
  ended: (outcome) => ({ status: 200, body: { ended: outcome.count, ...(outcome.sessionId === undefined ? {} : { sessionId: outcome.sessionId }) } }),
  extended: (s) => ({ status: 200, body: adminSessionBody(s) }),
};

/**
 * The neutral shape: RFC 9457 `application/problem+json` errors with a stable `code`, and a JSON success
 * `{"ended": n}`. Credentials: `Authorization: Bearer`, then `X-Session-Token`.
 */
export const problemShape: Shape = {
  name: "problem",
  credentials: [bearerToken(), headerToken("x-session-token")],
  admin: problemAdmin,
  ended(outcome) {
    return { status: 200, body: { ended: outcome.count, ...(outcome.sessionId === undefined ? {} : { sessionId: outcome.sessionId }) } };
  },
  error(error) {
    const extra: Record<string, unknown> = {};
    if (error.details.availableMethods !== undefined) extra.availableMethods = error.details.availableMethods;
    if (error.details.maxAgeSeconds !== undefined) extra.maxAgeSeconds = error.details.maxAgeSeconds;
    if (error.details.reauthenticateUrl !== undefined) extra.reauthenticateUrl = error.details.reauthenticateUrl;
    const body = {
      type: `https://express-logout.dev/errors/${error.code}`,
      title: titles[error.code],
      status: error.status,
      ...(error.expose ? { detail: error.details.reason ?? error.message } : {}),
      code: error.code,
      ...extra,
    };
    return {
      status: error.status,
      headers: { "Content-Type": "application/problem+json; charset=utf-8", ...retryAfterHeaders(error) },
      body,
    };
  },
  whoAmI(caller) {
    return {
      status: 200,
      body: {
        userId: caller.session.userId,
        sessionId: caller.session.id,
        ...(caller.user === undefined ? {} : { username: caller.user.username }),
        expiresAt: new Date(caller.session.expiresAt).toISOString(),
      },
    };
  },
};
