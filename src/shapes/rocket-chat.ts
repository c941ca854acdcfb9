import type { Request } from "express";
import { LogoutError } from "../errors.js";
import { userIdAndToken } from "../credentials/index.js";
import { PERMISSION_IN_HANDLER, type AdminListQuery, type AdminSessionPage, type AdminSessionView, type AdminShape } from "../handlers/admin/types.js";
import { getAuthentication } from "../request-state.js";
import type { Reply, SessionListQuery, SessionView, Shape, UserRecord } from "../types.js";
import { retryAfterHeaders } from "./common.js";
import { jsonText, valueLiteral } from "../json-literal.js";
import { withProperties } from "../with-properties.js";

/** Rocket.Chat answers `application/json` without a charset. */
const JSON_TYPE = { "Content-Type": "application/json" } as const;

const NOT_LOGGED_IN = "You must be logged in to do this.";
const SORT_KEYS = "error-invalid-sort-keys";
const UNAUTHORIZED = "User does not have the permissions required for this action [error-unauthorized]";

function reply(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
  return { status, headers: { ...JSON_TYPE, ...headers }, body };
}

/**
 * `{sessionId, success: true}`, the answer of every logout of one session, as JSON text: the id is the one
 * thing in it that varies (without one, the key is left out, as JSON.stringify leaves it).
 */
function sessionEnded(sessionId: string | undefined): Reply {
  return reply(200, jsonText`{"sessionId":${valueLiteral(sessionId)},"success":true}` ?? '{"success":true}');
}

/** `API.v1.failure(message, errorType, details)`: `{success:false, error:"<message> [<type>]", errorType, details}`. */
function failure(status: number, message: string, errorType: string, details?: Record<string, unknown>, headers: Record<string, string> = {}): Reply {
  return reply(status, { success: false, error: `${message} [${errorType}]`, errorType, ...(details === undefined ? {} : { details }) }, headers);
}

function errorReply(error: LogoutError): Reply {
  switch (error.code) {
    case "unauthenticated":
    case "api-key-invalid":
    case "session-token-invalid":
      // Rocket.Chat before 8.0 sends both its new (`success`, `error`) and its classic (`status`, `message`) keys.
      return reply(401, { success: false, error: NOT_LOGGED_IN, status: "error", message: NOT_LOGGED_IN });
    case "forbidden":
      // A permission a route checks inside its handler (`users.logout`) is answered with `API.v1.unauthorized()`.
      if (error.details.kind === PERMISSION_IN_HANDLER) return reply(401, { success: false, error: "unauthorized" });
      return reply(403, { success: false, error: UNAUTHORIZED });
    case "tenant-key-invalid":
    case "logout-token-mismatch":
      return reply(403, { success: false, error: UNAUTHORIZED });
    case "bad-request":
      // `API.v1.failure('error-invalid-sort-keys')`: the bare error type, no message around it.
      if (error.details.kind === SORT_KEYS) return reply(400, { success: false, error: SORT_KEYS });
      if (error.details.kind === "error-invalid-sort") return failure(400, error.details.reason ?? error.message, "error-invalid-sort", { helperMethod: "parseJsonQuery" });
      return failure(400, error.details.reason ?? error.message, error.details.kind ?? "invalid-params");
    case "totp-required":
      return failure(400, "TOTP Required", "totp-required", {
        method: "totp",
        codeGenerated: false,
        availableMethods: [...(error.details.availableMethods ?? ["totp"])],
      });
    case "totp-invalid":
      return failure(400, "TOTP Invalid", "totp-invalid", { method: "totp", codeGenerated: false });
    case "reauthentication-required": {
      // Rocket.Chat asks for a fresh second factor the same way for every sensitive action: `totp-required`,
      // naming the method the user can use (the password, for a user without TOTP).
      const methods = [...(error.details.availableMethods ?? ["totp"])];
      return failure(400, "TOTP Required", "totp-required", { method: methods[0] ?? "password", codeGenerated: false, availableMethods: methods });
    }
    case "session-limit-reached":
      return reply(403, { success: false, error: "Too many sessions for this user [error-session-limit-reached]", errorType: "error-session-limit-reached" });
    case "not-found":
      return reply(404, { success: false, error: "Session not found" });
    case "throttled": {
      const seconds = error.details.retryAfterSeconds ?? 60;
      return reply(
        429,
        {
          success: false,
          error: `Error, too many requests. Please slow down. You must wait ${seconds} seconds before trying this endpoint again. [error-too-many-requests]`,
        },
        retryAfterHeaders(error),
      );
    }
    case "store-unavailable":
      // Rocket.Chat has no 503 of its own; this keeps its failure envelope so its clients can read it.
      return failure(503, "Service temporarily unavailable, try again later", "error-service-unavailable", undefined, retryAfterHeaders(error));
    case "cannot-end-current-session":
    case "return-to-forbidden":
    case "logout-token-missing":
      return failure(400, error.details.reason ?? error.message, "error-invalid-request");
  }
}

/** The user as Rocket.Chat's `GET /api/v1/me` and the `me` of a login show it: no password, token or secret. */
export function rocketChatUser(user: UserRecord): Record<string, unknown> {
  const name = [user.firstName, user.lastName].filter((part) => part !== undefined && part !== "").join(" ");
  return {
    _id: user.id,
    username: user.username,
    name: name === "" ? user.username : name,
    emails: user.email === undefined ? [] : [{ address: user.email, verified: true }],
    active: user.status === undefined || user.status === "active",
    roles: [...(user.groups ?? [])],
  };
}

/** `device` of a Rocket.Chat session, told from the User-Agent the session was opened with. */
function deviceOf(userAgent: string | undefined): Record<string, unknown> {
  const ua = userAgent ?? "";
  // Most specific first: Edge and Opera also say Chrome, Chrome also says Safari.
  const browser = [/\b(Edg)\/([\d.]+)/, /\b(OPR)\/([\d.]+)/, /\b(Firefox)\/([\d.]+)/, /\b(Chrome)\/([\d.]+)/, /\b(Safari)\/([\d.]+)/]
    .map((pattern) => pattern.exec(ua))
    .find((match) => match !== null) ?? null;
  const os = /\b(Windows NT|Mac OS X|Android|iPhone OS|CrOS|Linux)[ _]?([\d._]*)/.exec(ua);
  const product = /^([A-Za-z][\w.-]*)\/([\w.-]+)/.exec(ua);
  const names: Record<string, string> = { Edg: "Edge", OPR: "Opera" };
  const name = browser?.[1] === undefined ? (product?.[1] ?? "unknown") : (names[browser[1]] ?? browser[1]);
  const version = browser?.[2] ?? product?.[2] ?? "";
  return {
    name,
    type: browser === null ? "other" : /Mobile|Android|iPhone/.test(ua) ? "mobile" : "browser",
    longVersion: version,
    os: { name: os?.[1]?.replace("Windows NT", "Windows") ?? "", version: os?.[2]?.replaceAll("_", ".") ?? "" },
    version,
  };
}

/** One session as `sessions/list` and `sessions/info` show it to its owner: never the hashed login token. */
export function rocketChatSession(view: SessionView): Record<string, unknown> {
  return {
    _id: view.id,
    sessionId: view.id,
    userId: view.userId,
    device: deviceOf(view.userAgent),
    ip: view.ip ?? "",
    loginAt: new Date(view.createdAt).toISOString(),
    _updatedAt: new Date(view.lastSeenAt ?? view.createdAt).toISOString(),
    current: view.current,
  };
}

function invalidParams(reason: string): LogoutError {
  return new LogoutError("bad-request", reason, { reason, kind: "invalid-params" });
}

function assertParamName(helper: string, name: unknown): asserts name is string {
  if (typeof name !== "string" || name === "") throw new TypeError(`express-logout: ${helper} needs a non-empty parameter name, such as "sessionId".`);
}

/**
 * Reads and validates a JSON body that holds exactly one string, `{"<name>": "..."}`, the way Rocket.Chat's
 * Ajv schema does (`required`, then `additionalProperties: false`, then `type: string`), and answers the
 * same messages: `must have required property 'sessionId'`, `must NOT have additional properties`,
 * `must be string` (a `bad-request` LogoutError with `details.kind` `"invalid-params"`). Use it as
 * `requirePermission`'s `validate` and as `createLogoutHandler`'s `target`. Needs `express.json()` before it.
 * Values are not coerced: a number is `must be string`.
 */
export function bodySessionId(name = "sessionId"): (req: Request) => string {
  assertParamName("bodySessionId", name);
  return function readBodySessionId(req: Request): string {
    const body: unknown = req.body;
    if (body === undefined || body === null) throw invalidParams(`must have required property '${name}'`);
    if (typeof body !== "object" || Array.isArray(body)) throw invalidParams("must be object");
    if (!Object.hasOwn(body, name)) throw invalidParams(`must have required property '${name}'`);
    // `name` is known to be there: any other own key is one too many (counted without a closure per request).
    if (Object.keys(body).length !== 1) throw invalidParams("must NOT have additional properties");
    const value = (body as Record<string, unknown>)[name];
    if (typeof value !== "string") throw invalidParams("must be string");
    return value;
  };
}

/** Like `bodySessionId`, for a query parameter (`GET /api/v1/sessions/info?sessionId=`). A repeated one is `must be string`. */
export function querySessionId(name = "sessionId"): (req: Request) => string {
  assertParamName("querySessionId", name);
  return function readQuerySessionId(req: Request): string {
    const query = req.query as Record<string, unknown> | undefined;
    if (query === undefined || !Object.hasOwn(query, name)) throw invalidParams(`must have required property '${name}'`);
    const value = query[name];
    if (typeof value !== "string") throw invalidParams("must be string");
    return value;
  };
}

// ---- Device management: paging, filter and sort (sessions/list, list.all, info.admin, users.logout) -------

/** `API_Default_Count` and `API_Upper_Count_Limit` as Rocket.Chat ships them. */
const DEFAULT_COUNT = 50;
const UPPER_COUNT = 100;
const PAGINATE_KEYS = ["offset", "count", "filter", "sort"] as const;
/** `validateSortKeys` of `ee/server/api/sessions.ts`. */
const SORT_FIELDS = ["loginAt", "device.name", "device.os.name", "device.os.version", "_user.name", "_user.username"] as const;

function badParams(reason: string, kind = "invalid-params"): LogoutError {
  return new LogoutError("bad-request", reason, { reason, kind });
}

/**
 * `isSessionsPaginateProps` (Ajv, `coerceTypes`): `offset` and `count` numbers, `filter` and `sort` strings,
 * nothing else; then `getPaginationItems`: `count` defaults to 50 and is capped at 100, `offset` to 0. A count
 * of 0 ("as many as allowed") is the cap; a negative count or offset is refused, as the library refused them
 * before (Rocket.Chat would hand them to MongoDB, which fails).
 */
function paginateParams(req: Request): { offset: number; count: number; filter: string; sort: string | undefined } {
  const query = req.query as Record<string, unknown>;
  if (Object.keys(query).some((key) => !(PAGINATE_KEYS as readonly string[]).includes(key))) throw badParams("must NOT have additional properties");
  const numberOf = (name: "offset" | "count"): number | undefined => {
    const value = query[name];
    if (value === undefined) return undefined;
    if (typeof value !== "string" || value.trim() === "" || !Number.isFinite(Number(value))) throw badParams("must be number");
    const n = Number.parseInt(value, 10);
    if (Number.isNaN(n) || n < 0) throw badParams(`${name} must be a non-negative integer`);
    return n;
  };
  const textOf = (name: "filter" | "sort"): string | undefined => {
    const value = query[name];
    if (value === undefined) return undefined;
    if (typeof value !== "string") throw badParams("must be string");
    return value;
  };
  const offset = numberOf("offset") ?? 0;
  const requested = numberOf("count");
  const count = requested === undefined ? DEFAULT_COUNT : requested === 0 || requested > UPPER_COUNT ? UPPER_COUNT : requested;
  return { offset, count, filter: textOf("filter") ?? "", sort: textOf("sort") };
}

/** The value a sort key reads from a session, as the documents Rocket.Chat sorts would hold it. */
function sortValue(s: AdminSessionView, key: (typeof SORT_FIELDS)[number]): string | number {
  const device = deviceOf(s.userAgent) as { name: string; os: { name: string; version: string } };
  switch (key) {
    case "loginAt":
      return s.createdAt;
    case "device.name":
      return device.name;
    case "device.os.name":
      return device.os.name;
    case "device.os.version":
      return device.os.version;
    case "_user.name":
      return s.user === undefined ? "" : displayName(s.user);
    case "_user.username":
      return s.user?.username ?? "";
  }
}

/**
 * `parseJsonQuery`'s sort (JSON of `1`/`-1` values, else `error-invalid-sort`), then `validateSortKeys` (else
 * `error-invalid-sort-keys`). Rocket.Chat pages by login time, newest first, and sorts each page by these keys
 * after cutting it; so does this, which keeps a page O(count) at any number of sessions.
 */
function sortOf(raw: string | undefined): (page: readonly AdminSessionView[]) => AdminSessionView[] {
  if (raw === undefined || raw === "") return (page) => [...page];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  const invalid = badParams(`Invalid sort parameter provided: "${raw}"`, "error-invalid-sort");
  if (typeof parsed !== "object" || parsed === null) throw invalid;
  const entries = Object.entries(parsed as Record<string, unknown>);
  if (entries.some(([, direction]) => direction !== 1 && direction !== -1)) throw invalid;
  if (entries.some(([key]) => !(SORT_FIELDS as readonly string[]).includes(key))) throw badParams(SORT_KEYS, SORT_KEYS);
  const keys = entries as [(typeof SORT_FIELDS)[number], 1 | -1][];
  return (page) => [...page].sort((a, b) => {
    for (const [key, direction] of keys) {
      const x = sortValue(a, key);
      const y = sortValue(b, key);
      if (x !== y) return (x < y ? -1 : 1) * direction;
    }
    return 0;
  });
}

/**
 * `filter`, regex-escaped and case-insensitive as Rocket.Chat matches it against a session's search terms:
 * here the device, its OS, the IP, the session id, and the user's id, username and name.
 */
function filterOf(filter: string): ((s: AdminSessionView) => boolean) | undefined {
  if (filter === "") return undefined;
  const needle = filter.toLowerCase();
  return (s) => {
    const device = deviceOf(s.userAgent) as { name: string; os: { name: string } };
    const terms = [device.name, device.os.name, s.ip ?? "", s.id, s.userId, s.user?.username ?? "", s.user === undefined ? "" : displayName(s.user)];
    return terms.some((term) => term.toLowerCase().includes(needle));
  };
}

/** The sort and filter are checked in the handler, after permission and 2FA, as Rocket.Chat parses them there. */
function paginateQuery(req: Request): AdminListQuery & { readonly offset: number; readonly sortCheck: () => AdminListQuery["arrange"] } {
  const { offset, count, filter, sort } = paginateParams(req);
  const match = filterOf(filter);
  return { limit: count, offset, ...(match === undefined ? {} : { match }), sortCheck: () => sortOf(sort) };
}

function displayName(user: UserRecord): string {
  const name = [user.firstName, user.lastName].filter((part) => part !== undefined && part !== "").join(" ");
  return name === "" ? user.username : name;
}

/** A session as `list.all` and `info.admin` show it, `_user` populated, never the hashed login token. */
export function rocketChatAdminSession(s: AdminSessionView, req: Request): Record<string, unknown> {
  return {
    _id: s.id,
    sessionId: s.id,
    userId: s.userId,
    device: deviceOf(s.userAgent),
    host: typeof req.headers.host === "string" ? req.headers.host : "",
    ip: s.ip ?? "",
    loginAt: new Date(s.createdAt).toISOString(),
    ...(s.user === undefined ? {} : { _user: { name: displayName(s.user), username: s.user.username } }),
  };
}

const rocketChatAdmin: AdminShape = {
  requiresSecondFactor: true,
  readAllSessionsQuery(req) {
    const query = paginateQuery(req);
    let arrange: AdminListQuery["arrange"];
    return {
      ...query,
      afterGate() {
        arrange = query.sortCheck();
      },
      arrange: (page) => (arrange ?? ((p) => [...p]))(page),
    };
  },
  allSessions(page: AdminSessionPage, req) {
    return reply(200, { sessions: page.sessions.map((s) => rocketChatAdminSession(s, req)), total: page.total ?? page.sessions.length, count: page.query.limit, offset: page.offset, success: true });
  },
  readSessionId(req) {
    return querySessionId("sessionId")(req);
  },
  session(s, req) {
    return reply(200, withProperties(rocketChatAdminSession(s, req), { success: true }));
  },
  readUserId(req) {
    // `isUserLogoutParamsPOST`: an optional, nullable `userId` string (Ajv coerces numbers and booleans); absent
    // means the caller.
    const body: unknown = req.body ?? {};
    if (typeof body !== "object" || body === null || Array.isArray(body)) throw badParams("must be object");
    const value = (body as Record<string, unknown>).userId;
    if (value === undefined || value === null || value === "") return getAuthentication(req)?.session.userId ?? "";
    if (typeof value === "number" || typeof value === "boolean") return String(value);
    if (typeof value !== "string") throw badParams("must be string");
    return value;
  },
  ended(outcome) {
    if (outcome.target === "session") return sessionEnded(outcome.sessionId);
    // `Users.unsetLoginTokens` changed nothing: an unknown user, or one with no login left.
    if (outcome.count === 0) return failure(400, "Invalid user id", "error-invalid-user-id");
    return reply(200, { message: `User ${outcome.userId} has been logged out!`, success: true });
  },
};

/** `sessions/list`: the caller's own sessions, paged, filtered and sorted as the admin list is. */
function ownSessionsQuery(req: Request): SessionListQuery {
  const { offset, count, filter, sort } = paginateParams(req);
  const arrange = sortOf(sort);
  const match = filterOf(filter);
  const asAdmin = (v: SessionView): AdminSessionView => withProperties(v, { user: undefined });
  return {
    offset,
    limit: count,
    order: "newest-login",
    ...(match === undefined ? {} : { match: (v: SessionView) => match(asAdmin(v)) }),
    arrange: (page) => {
      const byId = new Map(page.map((v) => [v.id, v]));
      return arrange(page.map(asAdmin)).map((v) => byId.get(v.id) as SessionView);
    },
  };
}

/**
 * Rocket.Chat's REST API (pre-8.0 compatibility mode): `X-User-Id` + `X-Auth-Token`, `{success:false, error}`
 * failures, `POST /api/v1/sessions/logout` → `{"sessionId":"<id>","success":true}` and `POST /api/v1/logout`
 * → `{"status":"success","data":{"message":"You've been logged out!"}}`. A throttled second factor is a 429
 * with `Retry-After`; a store failure a 503 with `Retry-After` in the same failure envelope.
 */
export const rocketChatShape: Shape = {
  name: "rocketChat",
  credentials: [userIdAndToken()],
  admin: rocketChatAdmin,
  ended(outcome) {
    switch (outcome.target) {
      case "current":
        return reply(200, { status: "success", data: { message: "You've been logged out!" } });
      case "session":
        return sessionEnded(outcome.sessionId);
      case "all":
      case "others":
      case "api-key":
        return reply(200, { count: outcome.count, success: true });
    }
  },
  error: errorReply,
  whoAmI(caller) {
    const user = caller.user ?? { id: caller.session.userId, username: caller.session.userId };
    return reply(200, withProperties(rocketChatUser(user), { success: true }));
  },
  sessionListQuery: ownSessionsQuery,
  sessionList(outcome) {
    const sessions = outcome.sessions.map(rocketChatSession);
    // `count` is the page size asked for (`getPaginationItems`), not the number of sessions on the page.
    return reply(200, { sessions, total: outcome.total, count: outcome.limit ?? sessions.length, offset: outcome.offset, success: true });
  },
  sessionInfo(session) {
    return reply(200, withProperties(rocketChatSession(session), { success: true }));
  },
};
