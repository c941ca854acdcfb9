import type { Request } from "express";
import { LogoutError } from "../errors.js";
import { cookieToken, singleHeader, singleQuery, soajsAuth } from "../credentials/index.js";
import type { Reply, Shape, UserRecord } from "../types.js";
import { retryAfterHeaders } from "./common.js";
import { jsonText, stringListLiteral, valueLiteral } from "../json-literal.js";

/** SOAJS error codes and their messages, as the SOAJS core defines them. */
const soajsErrors = {
  132: "A valid key is needed to access any API.",
  151: "You are not authorized to access this API.",
  161: "You need to be logged in to access this API.",
  163: "Error in persisting the session",
  172: "Missing required field: ",
  404: "Unable to logout the user. User not found.",
  429: "Too many attempts, try again later.",
} as const;

/** `{result:false, errors:{codes:[...], details:[...]}}`: codes sorted and unique, as SOAJS builds it. */
function failure(httpStatus: number, details: readonly { code: number; message: string }[], headers: Record<string, string> = {}): Reply {
  const codes = [...new Set(details.map((d) => d.code))].sort((a, b) => a - b);
  return {
    status: httpStatus,
    headers,
    body: { result: false, errors: { codes, details: details.map((d) => ({ code: d.code, message: d.message.trim() })) } },
  };
}

/** The user record as SOAJS urac returns it (never a password or secret). */
export function soajsUser(user: UserRecord, tenantFallback?: { id: string; code: string }): Record<string, unknown> {
  return {
    _id: user.id,
    locked: user.locked ?? false,
    username: user.username,
    firstName: user.firstName ?? "",
    lastName: user.lastName ?? "",
    email: user.email ?? "",
    ts: user.createdAt ?? 0,
    status: user.status ?? "active",
    profile: user.profile ?? {},
    groups: [...(user.groups ?? [])],
    config: user.config ?? {},
    tenant: user.tenant ?? tenantFallback ?? { id: "", code: "" },
    groupsConfig: [...(user.groupsConfig ?? [])],
  };
}

/** A part of the user the record leaves out (or holds as null: `??` in soajsUser) is its default's text. */
function orDefault(value: unknown, fallback: string): string | undefined {
  return value === undefined || value === null ? fallback : valueLiteral(value);
}

/** A list part of the user as JSON (a list of plain strings, the groups, written here), or `undefined`. */
function listText(value: unknown): string | undefined {
  if (value === undefined || value === null) return "[]";
  return Array.isArray(value) ? (stringListLiteral(value) ?? valueLiteral(value)) : undefined;
}

/**
 * `JSON.stringify(soajsUser(user))`, byte for byte, from a template of its fixed keys: the user of every SOAJS
 * logout and who-am-I answer, whose serialization as an object was most of the reply's cost. The host's own parts
 * (profile, config, tenant, the groups) are serialized as they are; a value of an unexpected type takes the
 * object path.
 */
function soajsUserText(user: UserRecord): string {
  // Typed as always there, but a record without one is written without the key, as the object path does.
  const username: unknown = user.username;
  const usernameMember = username === undefined ? "" : jsonText`"username":${valueLiteral(username)},`;
  // One template, its lines joined by line continuations (they add nothing to the text).
  const text = jsonText`{"_id":${valueLiteral(user.id)},"locked":${orDefault(user.locked, "false")},${usernameMember}\
"firstName":${orDefault(user.firstName, '""')},"lastName":${orDefault(user.lastName, '""')},"email":${orDefault(user.email, '""')},\
"ts":${orDefault(user.createdAt, "0")},"status":${orDefault(user.status, '"active"')},"profile":${orDefault(user.profile, "{}")},\
"groups":${listText(user.groups)},"config":${orDefault(user.config, "{}")},\
"tenant":${orDefault(user.tenant, '{"id":"","code":""}')},"groupsConfig":${listText(user.groupsConfig)}}`;
  return text ?? JSON.stringify(soajsUser(user));
}

/**
 * SOAJS' success body, `{result:true, data, soajsauth}`, as JSON text: `data` is `true` or the user's JSON, and a
 * handle that is there is one the pattern of `presentedHandle` let through.
 */
function successText(dataText: string, handle: string | undefined): string {
  return `{"result":true,"data":${dataText}${handle === undefined ? "" : `,"soajsauth":${JSON.stringify(handle)}`}}`;
}

/**
 * The `soajsauth` handle to echo: only the one the caller sent in the header or the query, byte for byte. A
 * caller who came with the `soajsID` cookie alone gets none: the cookie is HttpOnly, and echoing its token in a
 * body would hand it to any script of the page.
 */
function presentedHandle(req: Request): string | undefined {
  const raw = singleHeader(req, "soajsauth") ?? singleQuery(req, "soajsauth");
  return raw !== undefined && /^Basic [A-Za-z0-9+/]+={0,2}$/.test(raw) ? raw : undefined;
}

/** The tenant key, from the `key` header or `?key=`. */
function tenantKey(req: Request): string | undefined {
  const key = singleHeader(req, "key") ?? singleQuery(req, "key");
  return key !== undefined && key.length > 0 && key.length <= 512 ? key : undefined;
}

/**
 * SOAJS urac 0.x, `GET /urac/logout`: tenant key in `key` (header or query), session in `soajsauth`
 * (header, query, or the `soajsID` cookie). Success is HTTP 200 `{result:true, data, soajsauth}` where `data`
 * is the user as it was before the logout, or `true` when nobody was logged in (logout is idempotent), and
 * `soajsauth` is the handle the caller sent in the header or query (a cookie caller's answer has no
 * `soajsauth`: the cookie's token never reaches a body).
 * Gateway errors are HTTP 200 with `result:false`; a store failure is a 503 with code 163.
 * Needs `users.resolveTenantKey`.
 */
export const soajsShape: Shape = {
  name: "soajs",
  // The soajsID cookie ends a session on a plain GET with no token of its own: a page of another site must not
  // be able to make a browser send it (Fetch Metadata); the headers and the query need the token itself.
  credentials: [soajsAuth(), cookieToken("soajsID", { crossSite: "refuse" })],
  needs: ["resolveTenantKey"],
  anonymousLogout: true,
  async precheck(req, users) {
    const key = tenantKey(req);
    const tenant: unknown = key === undefined ? undefined : await users?.resolveTenantKey?.(key);
    // Only a tenant record opens the gate: `null` (a database's "not found") or `false` is an unknown key.
    return typeof tenant === "object" && tenant !== null ? undefined : new LogoutError("tenant-key-invalid", soajsErrors[132]);
  },
  ended(outcome, req) {
    const handle = presentedHandle(req);
    const data = outcome.user === undefined || outcome.caller === undefined ? "true" : soajsUserText(outcome.user);
    return { status: 200, body: successText(data, handle) };
  },
  error(error) {
    switch (error.code) {
      case "tenant-key-invalid":
        return failure(200, [{ code: 132, message: soajsErrors[132] }]);
      case "store-unavailable":
        return failure(503, [{ code: 163, message: soajsErrors[163] }], retryAfterHeaders(error));
      case "bad-request":
        return failure(200, [{ code: 172, message: soajsErrors[172] + (error.details.reason ?? error.message) }]);
      case "not-found":
        return failure(200, [{ code: 404, message: soajsErrors[404] }]);
      case "throttled":
        return failure(429, [{ code: 429, message: soajsErrors[429] }], retryAfterHeaders(error));
      case "forbidden":
      case "totp-required":
      case "totp-invalid":
      case "logout-token-mismatch":
      case "session-token-invalid":
      case "return-to-forbidden":
      case "cannot-end-current-session":
      case "logout-token-missing":
      case "reauthentication-required":
      case "session-limit-reached":
        return failure(403, [{ code: 151, message: soajsErrors[151] }]);
      case "unauthenticated":
      case "api-key-invalid":
        return failure(401, [{ code: 161, message: soajsErrors[161] }]);
    }
  },
  whoAmI(caller, req) {
    const handle = presentedHandle(req);
    const data = caller.user === undefined ? JSON.stringify({ _id: caller.session.userId }) : soajsUserText(caller.user);
    return { status: 200, body: successText(data, handle) };
  },
};
