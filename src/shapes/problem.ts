import type { LogoutError } from "../errors.js";
import { bearerToken, headerToken } from "../credentials/index.js";
import type { Shape } from "../types.js";
import { retryAfterHeaders } from "./common.js";

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

/**
 * The neutral shape: RFC 9457 `application/problem+json` errors with a stable `code`, and a JSON success
 * `{"ended": n}`. Credentials: `Authorization: Bearer`, then `X-Session-Token`.
 */
export const problemShape: Shape = {
  name: "problem",
  credentials: [bearerToken(), headerToken("x-session-token")],
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
