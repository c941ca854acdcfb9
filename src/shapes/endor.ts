import type { Request } from "express";
import { LogoutError } from "../errors.js";
import { apiKeyAndSecret, bearerToken } from "../credentials/index.js";
import type { Authentication, EpochMs, Reply, Shape, UserRecord } from "../types.js";
import { retryAfterHeaders, rfc3339 } from "./common.js";
import { jsonText, stringListLiteral, stringLiteral } from "../json-literal.js";

/** grpc-gateway's mapping from gRPC status codes to HTTP. */
const grpc = {
  invalidArgument: { code: 3, http: 400 },
  deadlineExceeded: { code: 4, http: 504 },
  notFound: { code: 5, http: 404 },
  permissionDenied: { code: 7, http: 403 },
  resourceExhausted: { code: 8, http: 429 },
  unavailable: { code: 14, http: 503 },
  unauthenticated: { code: 16, http: 401 },
} as const;

const HTTP_ERROR_INFO = "type.googleapis.com/internal.endor.ai.rpc.v1.HTTPErrorInfo";

function status(kind: (typeof grpc)[keyof typeof grpc], message: string, withInfo: boolean, headers: Record<string, string> = {}): Reply {
  return {
    status: kind.http,
    headers: { "Content-Type": "application/json", ...headers },
    body: { code: kind.code, message, details: withInfo ? [{ "@type": HTTP_ERROR_INFO, status_code: kind.http }] : [] },
  };
}

/** The `authentication_source` path parameter, when it is a plausible name. */
function sourceOf(req: Request): string | undefined {
  const params = req.params as Record<string, string | undefined>;
  const value = params.authentication_source;
  return value !== undefined && /^[A-Za-z0-9._@-]{1,64}$/.test(value) ? value : undefined;
}

/**
 * Endor Labs' `User` resource, every field present. Times are RFC 3339; `token_hash` is always `""`: the
 * library never reveals a token or its hash.
 */
export function endorUser(user: UserRecord | undefined, userId: string): Record<string, unknown> {
  const time = (ms: EpochMs | undefined): string | null => (ms === undefined ? null : rfc3339(ms));
  return {
    meta: {
      name: user?.username ?? userId,
      annotations: {},
      create_time: time(user?.createdAt),
      created_by: "",
      description: "",
      index_data: { data: [], search_score: 0, tenant: user?.tenant?.code ?? "", will_be_deleted_at: null },
      kind: "User",
      parent_kind: "",
      parent_uuid: "",
      references: {},
      tags: [],
      update_time: time(user?.updatedAt ?? user?.createdAt),
      updated_by: "",
      upsert_time: time(user?.updatedAt ?? user?.createdAt),
      version: "v1",
    },
    spec: {
      email: user?.email ?? "",
      event_tracking: {},
      first_name: user?.firstName ?? "",
      groups: [...(user?.groups ?? [])],
      last_login_time: time(user?.lastLoginAt),
      last_name: user?.lastName ?? "",
      token_hash: "",
      user_name: user?.username ?? "",
    },
    uuid: user?.id ?? userId,
  };
}

/** Endor Labs' `AuthenticationResponse`, the body of login, authenticate and logout alike. */
export function endorAuthenticationResponse(input: {
  readonly authenticationSource: string;
  readonly token: string;
  readonly expirationTime: EpochMs;
  readonly user: UserRecord | undefined;
  readonly userId: string;
}): Record<string, unknown> {
  return {
    authentication_source: input.authenticationSource,
    expiration_time: rfc3339(input.expirationTime),
    token: input.token,
    user: endorUser(input.user, input.userId),
  };
}

/** An RFC 3339 time as JSON, `null` when there is none, as `endorUser` writes it (its characters need no escape). */
function timeLiteral(ms: EpochMs | undefined): string {
  return ms === undefined ? "null" : `"${rfc3339(ms)}"`;
}

/**
 * `JSON.stringify(endorAuthenticationResponse(input))`, byte for byte, from a template of the fixed fields:
 * serializing the 35-field object cost about 7 µs of a logout under load, most of Endor's reply. Only the
 * values are escaped here. A value of an unexpected type (a host's user record holding a number where a string
 * belongs, a Set of groups) takes the object path, so the bytes are the same whatever the record holds.
 */
export function endorAuthenticationResponseText(input: Parameters<typeof endorAuthenticationResponse>[0]): string {
  const { user, userId } = input;
  const updated = timeLiteral(user?.updatedAt ?? user?.createdAt);
  // One template, its lines joined by line continuations (they add nothing to the text).
  const text = jsonText`{"authentication_source":${stringLiteral(input.authenticationSource)},\
"expiration_time":${timeLiteral(input.expirationTime)},"token":${stringLiteral(input.token)},\
"user":{"meta":{"name":${stringLiteral(user?.username ?? userId)},"annotations":{},"create_time":${timeLiteral(user?.createdAt)},\
"created_by":"","description":"",\
"index_data":{"data":[],"search_score":0,"tenant":${stringLiteral(user?.tenant?.code ?? "")},"will_be_deleted_at":null},\
"kind":"User","parent_kind":"","parent_uuid":"","references":{},"tags":[],\
"update_time":${updated},"updated_by":"","upsert_time":${updated},"version":"v1"},\
"spec":{"email":${stringLiteral(user?.email ?? "")},"event_tracking":{},"first_name":${stringLiteral(user?.firstName ?? "")},\
"groups":${stringListLiteral(user?.groups)},"last_login_time":${timeLiteral(user?.lastLoginAt)},\
"last_name":${stringLiteral(user?.lastName ?? "")},"token_hash":"","user_name":${stringLiteral(user?.username ?? "")}},\
"uuid":${stringLiteral(user?.id ?? userId)}}}`;
  return text ?? JSON.stringify(endorAuthenticationResponse(input));
}

/** Endor's words for a bad argument the library found. */
function invalidArgumentMessage(error: LogoutError): string {
  const { reason, problem, missing = [] } = error.details;
  if (reason !== undefined) return reason;
  if (problem === "missing-parameters") return `${missing.join(" and ")} ${missing.length > 1 ? "are" : "is"} required when authentication_source is api-key`;
  return error.message;
}

function errorReply(error: LogoutError): Reply {
  switch (error.code) {
    case "bad-request":
    case "return-to-forbidden":
    case "logout-token-missing":
    case "cannot-end-current-session":
      return status(grpc.invalidArgument, invalidArgumentMessage(error), false);
    case "not-found":
      return status(grpc.notFound, "session not found", false);
    case "forbidden":
    case "logout-token-mismatch":
    case "session-token-invalid":
    case "tenant-key-invalid":
      return status(grpc.permissionDenied, "Unauthorized request for given endpoint", true);
    case "throttled":
      return status(grpc.resourceExhausted, "too many attempts", false, retryAfterHeaders(error));
    case "store-unavailable":
      return status(grpc.unavailable, "session store unavailable", false, retryAfterHeaders(error));
    case "api-key-invalid":
      return status(grpc.unauthenticated, "Invalid API key or secret", true);
    case "reauthentication-required":
      return status(grpc.unauthenticated, "re-authentication required", true);
    case "session-limit-reached":
      return status(grpc.permissionDenied, "session limit reached", true);
    case "totp-required":
    case "totp-invalid":
    case "unauthenticated":
      return status(grpc.unauthenticated, "Invalid authorization header: Bearer", true);
  }
}

/**
 * Endor Labs, `GET /v1/auth/:authentication_source/logout`: `Authorization: Bearer`, or `key` + `secret`
 * (query or `X-Api-Key` / `X-Api-Secret`) when the source is `api-key`. Success is an `AuthenticationResponse`
 * with `token: ""` and `expiration_time` = the moment of logout; errors are `google.rpc.Status` bodies.
 */
export const endorShape: Shape = {
  name: "endor",
  credentials: [
    apiKeyAndSecret({ when: (req) => sourceOf(req) === "api-key" }),
    bearerToken(),
  ],
  ended(outcome, req) {
    const userId = outcome.user?.id ?? outcome.caller?.session.userId ?? "";
    return {
      status: 200,
      headers: { "Content-Type": "application/json" },
      body: endorAuthenticationResponseText({
        authenticationSource: sourceOf(req) ?? outcome.caller?.session.authenticationSource ?? "",
        token: "",
        expirationTime: outcome.endedAt,
        user: outcome.user,
        userId,
      }),
    };
  },
  // A path whose source is not a plausible name is a bad argument, refused before anything is looked up.
  precheck(req) {
    const params = req.params as Record<string, string | undefined>;
    const invalid = params.authentication_source !== undefined && sourceOf(req) === undefined;
    return Promise.resolve(invalid ? new LogoutError("bad-request", "invalid authentication_source") : undefined);
  },
  error: errorReply,
  whoAmI(caller: Authentication, req) {
    return {
      status: 200,
      headers: { "Content-Type": "application/json" },
      body: endorAuthenticationResponseText({
        authenticationSource: caller.session.authenticationSource ?? sourceOf(req) ?? "",
        token: "",
        expirationTime: caller.session.expiresAt,
        user: caller.user,
        userId: caller.session.userId,
      }),
    };
  },
};
