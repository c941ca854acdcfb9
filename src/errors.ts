/** Every outcome that is not a success, by stable code. `docs/errors.md` lists them with their meaning. */
export type LogoutErrorCode =
  | "unauthenticated"
  | "forbidden"
  | "bad-request"
  | "not-found"
  | "totp-required"
  | "totp-invalid"
  | "throttled"
  | "store-unavailable"
  | "tenant-key-invalid"
  | "api-key-invalid"
  | "logout-token-missing"
  | "logout-token-mismatch"
  | "return-to-forbidden"
  | "cannot-end-current-session"
  | "session-token-invalid"
  | "reauthentication-required"
  | "session-limit-reached";

const defaultStatus: Readonly<Record<LogoutErrorCode, number>> = {
  unauthenticated: 401,
  forbidden: 403,
  "bad-request": 400,
  "not-found": 404,
  "totp-required": 400,
  "totp-invalid": 400,
  throttled: 429,
  "store-unavailable": 503,
  "tenant-key-invalid": 403,
  "api-key-invalid": 401,
  "logout-token-missing": 400,
  "logout-token-mismatch": 403,
  "return-to-forbidden": 400,
  "cannot-end-current-session": 400,
  "session-token-invalid": 403,
  "reauthentication-required": 401,
  "session-limit-reached": 403,
};

/** Extra facts an error carries for its shape to render. Never a secret. */
export interface LogoutErrorDetails {
  /** Seconds a client should wait (`Retry-After`), for `throttled` and `store-unavailable`. */
  readonly retryAfterSeconds?: number;
  /** For `totp-required`: the second factors the user could use (`[]` when none is enrolled). */
  readonly availableMethods?: readonly string[];
  /** For `return-to-forbidden`: the refused URL, as sent (shapes quote it). */
  readonly returnTo?: string;
  /** For `bad-request`: what was wrong, in words a client developer can act on. */
  readonly reason?: string;
  /**
   * For `reauthentication-required`: where a browser goes to prove who it is again (Kratos'
   * `redirect_browser_to`), when the route knows one.
   */
  readonly reauthenticateUrl?: string;
  /** For `reauthentication-required`: how recent an authentication the route asks for, in seconds. */
  readonly maxAgeSeconds?: number;
  /** A stable sub-kind a shape may map, e.g. `"invalid-params"`; see `errorKinds` for the library's own. */
  readonly kind?: string;
  /** What exactly was wrong, as a fact a shape words in its product's own text (`BadInputProblem`). */
  readonly problem?: BadInputProblem;
  /** For `problem: "missing-parameters"`: the names of the parameters that were missing. */
  readonly missing?: readonly string[];
  /** For `problem: "unsupported-content-type"`: the `Content-Type` the request sent, and its method. */
  readonly contentType?: string;
  /** For `problem: "unsupported-content-type"`: the request's method. */
  readonly method?: string;
  /** For `problem: "body-too-large"`: the largest body read, in bytes. For `"field-not-string"`: see `field`. */
  readonly limit?: number;
  /** For `problem: "field-not-string"`: the body field that was not a string. */
  readonly field?: string;
}

/**
 * The facts of a `bad-request` the library's own handlers raise; each shape words them (Kratos with Kratos'
 * own texts, the neutral shape with its `detail`).
 */
export type BadInputProblem =
  | "missing-parameters"
  | "body-empty"
  | "unsupported-content-type"
  | "body-too-large"
  | "body-unreadable"
  | "body-not-json"
  | "body-not-object"
  | "field-not-string";

/** The `details.kind` values the library's handlers set, for shapes that answer them differently. */
export const errorKinds = {
  /** An `unauthenticated` refusal of the browser logout flow's own routes (Kratos: `session_inactive`). */
  logoutFlow: "logout-flow",
  /** A `bad-request` for a session id that is not a UUID (`details.reason` says why). */
  invalidSessionId: "invalid-session-id",
  /** An `unauthenticated` refusal of an admin route's API-key gate: no admin key, or an unknown one. */
  adminCredential: "admin-credential",
} as const;

/**
 * The library's one error class, in the `http-errors` convention: a stable `code`, `status` and
 * `statusCode`, and `expose` (whether the message is safe to show a client). A host's error middleware can
 * render it; the library's own handlers hand it to the shape instead.
 */
export class LogoutError extends Error {
  /** Always `"LogoutError"`. */
  override readonly name = "LogoutError";
  /** The stable code of the outcome: what a shape maps and what `docs/errors.md` lists. */
  readonly code: LogoutErrorCode;
  /** The HTTP status of the outcome (`http-errors`' convention). */
  readonly status: number;
  /** The same as `status`, for error handlers that read `statusCode`. */
  readonly statusCode: number;
  /** Whether the message may be shown to the client: `true` for a 4xx, `false` for a 503. */
  readonly expose: boolean;
  /** The facts a shape renders (`Retry-After`, available methods, the refused `return_to`, ...). */
  readonly details: LogoutErrorDetails;

  constructor(code: LogoutErrorCode, message?: string, details: LogoutErrorDetails = {}, options?: { cause?: unknown }) {
    super(message ?? code, options);
    this.code = code;
    this.status = defaultStatus[code];
    this.statusCode = this.status;
    this.expose = this.status < 500;
    this.details = details;
  }
}

/** Whether a value is a `LogoutError` (also across two copies of the library). */
export function isLogoutError(value: unknown): value is LogoutError {
  return value instanceof LogoutError || (value instanceof Error && value.name === "LogoutError" && "code" in value);
}
