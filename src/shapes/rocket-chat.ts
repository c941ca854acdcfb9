import type { Request } from "express";
import { LogoutError } from "../errors.js";
import { userIdAndToken } from "../credentials/index.js";
import type { Reply, SessionView, Shape, UserRecord } from "../types.js";
import { retryAfterHeaders } from "./common.js";

/** Rocket.Chat answers `application/json` without a charset. */
const JSON_TYPE = { "Content-Type": "application/json" } as const;

const NOT_LOGGED_IN = "You must be logged in to do this.";
const UNAUTHORIZED = "User does not have the permissions required for this action [error-unauthorized]";

function reply(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
  return { status, headers: { ...JSON_TYPE, ...headers }, body };
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
    case "tenant-key-invalid":
    case "logout-token-mismatch":
      return reply(403, { success: false, error: UNAUTHORIZED });
    case "bad-request":
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
    if (Object.keys(body).some((key) => key !== name)) throw invalidParams("must NOT have additional properties");
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

/**
 * Rocket.Chat's REST API (pre-8.0 compatibility mode): `X-User-Id` + `X-Auth-Token`, `{success:false, error}`
 * failures, `POST /api/v1/sessions/logout` → `{"sessionId":"<id>","success":true}` and `POST /api/v1/logout`
 * → `{"status":"success","data":{"message":"You've been logged out!"}}`. A throttled second factor is a 429
 * with `Retry-After`; a store failure a 503 with `Retry-After` in the same failure envelope.
 */
export const rocketChatShape: Shape = {
  name: "rocketChat",
  credentials: [userIdAndToken()],
  ended(outcome) {
    switch (outcome.target) {
      case "current":
        return reply(200, { status: "success", data: { message: "You've been logged out!" } });
      case "session":
        return reply(200, { sessionId: outcome.sessionId, success: true });
      case "all":
      case "others":
      case "api-key":
        return reply(200, { count: outcome.count, success: true });
    }
  },
  error: errorReply,
  whoAmI(caller) {
    const user = caller.user ?? { id: caller.session.userId, username: caller.session.userId };
    return reply(200, { ...rocketChatUser(user), success: true });
  },
  sessionList(outcome) {
    const sessions = outcome.sessions.map(rocketChatSession);
    return reply(200, { sessions, total: outcome.total, count: sessions.length, offset: outcome.offset, success: true });
  },
  sessionInfo(session) {
    return reply(200, { ...rocketChatSession(session), success: true });
  },
};
