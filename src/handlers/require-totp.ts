import type { NextFunction, Request, RequestHandler, Response } from "express";
import { ScureBase32Plugin } from "otplib";
import { LogoutError } from "../errors.js";
import { problemShape } from "../shapes/problem.js";
import { matchingTotpStep } from "../totp/verify.js";
import { SetupError, headerNameOption, integerOption, oneOfOption, optionNames, positiveOption } from "../options/index.js";
import type { Authentication, MarkerStore, SessionStore, UserDirectory, UserRecord } from "../types.js";
import { commonOptionNames, resolveRuntime, type CommonOptions } from "./options.js";
import { getAuthentication, loadUser, rememberAuthentication, settle } from "./runtime/index.js";
import { answeredUncalledMount, type NotMountable } from "../options/mounted-uncalled.js";

/** Default number of wrong codes per user and throttling window before `throttled`. */
export const DEFAULT_TOTP_MAX_FAILURES = 5;
/** Default throttling window: 5 minutes. */
export const DEFAULT_TOTP_FAILURE_WINDOW_MS = 5 * 60 * 1000;

export interface RequireTotpOptions extends CommonOptions {
  /** Where sessions live, with one-time markers and counters (`MarkerStore`) for single use and throttling. Required. */
  readonly store: SessionStore & MarkerStore;
  /** The host's directory; must have `findUser` and `totpSecret`. Required. */
  readonly users: UserDirectory;
  /**
   * Time steps accepted on either side of the server's current one. Default 1 (RFC 6238 §5.2 recommends at
   * most one step of network delay); 0 accepts the current step only. At most 10.
   */
  readonly window?: number;
  /** Time-step size in seconds. Default 30 (RFC 6238). */
  readonly period?: number;
  /** Code length. Default 6. */
  readonly digits?: 6 | 7 | 8;
  /** HMAC of the codes. Default `"sha1"`, what authenticator apps use. */
  readonly algorithm?: "sha1" | "sha256" | "sha512";
  /** Wrong codes a user may send per throttling window; the next attempt is `throttled` (429). Default 5. */
  readonly maxFailures?: number;
  /** Length of the throttling window in ms. Windows are aligned to the clock, the same on every instance. Default 300 000 (5 min). */
  readonly failureWindowMs?: number;
  /** Header holding the code. Default `"x-2fa-code"` (Rocket.Chat). */
  readonly codeHeader?: string;
  /** Header that may name the method; only `totp` is accepted. Default `"x-2fa-method"` (Rocket.Chat). */
  readonly methodHeader?: string;
}

const REQUIRE_TOTP_OPTIONS = optionNames<RequireTotpOptions>({
  ...commonOptionNames,
  window: true,
  period: true,
  digits: true,
  algorithm: true,
  maxFailures: true,
  failureWindowMs: true,
  codeHeader: true,
  methodHeader: true,
});

const base32 = new ScureBase32Plugin();

/** otplib's own bounds on a secret (RFC 4226 §4 asks for at least 128 bits). */
const MIN_SECRET_BYTES = 16;
const MAX_SECRET_BYTES = 64;

/**
 * The key bytes of a base32 secret, as authenticator apps show it (spaces and padding allowed). A secret
 * otplib would refuse is the host's mistake, reported as a plain Error (the host's error handler answers it),
 * before any TOTP state moves. The message never holds the secret.
 */
function secretBytes(secret: string): Uint8Array {
  const cleaned = secret.replace(/[\s=]+/g, "");
  let bytes: Uint8Array | undefined;
  try {
    bytes = /^[A-Za-z2-7]+$/.test(cleaned) ? base32.decode(cleaned) : undefined;
  } catch {
    bytes = undefined;
  }
  if (bytes === undefined || bytes.length < MIN_SECRET_BYTES || bytes.length > MAX_SECRET_BYTES) {
    throw new Error(
      `express-logout: requireTotp: users.totpSecret returned a secret that is not base32 of ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES} bytes; re-enrol the user with a longer secret.`,
    );
  }
  return bytes;
}

/** Store keys never contain a raw user id separator: `encodeURIComponent` keeps `a:b` from colliding with `a` + `b`. */
function keyFor(kind: string, userId: string, suffix: number): string {
  return `totp:${kind}:${encodeURIComponent(userId)}:${String(suffix)}`;
}

/**
 * Step-up with a TOTP code (RFC 6238) read from `x-2fa-code`. Mount it after `requirePermission` (or
 * `requireSession`): it uses the caller they found, so a caller without the permission never reaches it and
 * never consumes a code or moves the failure counter.
 *
 * - A user with no secret enrolled gets `totp-required` with `availableMethods: []`, never a pass.
 * - No code: `totp-required`. A code that is not exactly `digits` ASCII digits (spaces, full-width digits,
 *   repeated headers joined by Node with ", ", huge values), or an `x-2fa-method` other than `totp`:
 *   `totp-invalid`, never a 500.
 * - Codes are checked against the server's clock only, `window` steps either side.
 * - Single use: a code is accepted once per user and time step, decided by an atomic `store.claim`, so two
 *   instances sharing the store cannot both accept it (RFC 6238 §5.2). Codes of steps older than an accepted
 *   one are refused too.
 * - Throttling: every attempt is counted in the store before its code is checked, so parallel guesses cannot
 *   outrun the count; after `maxFailures` wrong codes in a window, every attempt (even a right code) is
 *   `throttled` with `Retry-After` until the window ends. The count holds across instances and sessions.
 * - Emits `totp.failed` and `totp.replayed` (never the code).
 */
export function requireTotp(options: Readonly<RequireTotpOptions>, notMountable?: NotMountable): RequestHandler {
  // Mounted without the call, Express hands this factory a request: refuse it and build nothing.
  if (answeredUncalledMount("requireTotp", "requireTotp({ ... })", options, notMountable)) return undefined as never;
  const factory = "requireTotp";
  const rt = resolveRuntime(factory, options, problemShape, REQUIRE_TOTP_OPTIONS, { store: ["markers"] });
  const users = rt.users;
  if (users === undefined || typeof users.totpSecret !== "function") {
    throw new SetupError("directory-method-missing", `${factory} needs \`users\` with \`totpSecret(user)\` (the user's base32 secret, or undefined when not enrolled).`);
  }
  const totpSecret = users.totpSecret.bind(users);
  const window = integerOption(factory, "window", options.window ?? 1, 0, 10, "time steps either side");
  const period = integerOption(factory, "period", options.period ?? 30, 1, 3600, "seconds");
  const digits = integerOption(factory, "digits", options.digits ?? 6, 6, 8) as 6 | 7 | 8;
  const algorithm = oneOfOption(factory, "algorithm", options.algorithm ?? "sha1", ["sha1", "sha256", "sha512"] as const);
  const maxFailures = integerOption(factory, "maxFailures", options.maxFailures ?? DEFAULT_TOTP_MAX_FAILURES, 1, 1_000_000);
  const failureWindowMs = positiveOption(factory, "failureWindowMs", options.failureWindowMs ?? DEFAULT_TOTP_FAILURE_WINDOW_MS);
  const codeHeader = headerNameOption(factory, "codeHeader", options.codeHeader ?? "x-2fa-code");
  const methodHeader = headerNameOption(factory, "methodHeader", options.methodHeader ?? "x-2fa-method");
  const periodMs = period * 1000;
  const codePattern = new RegExp(`^[0-9]{${String(digits)}}$`);

  function failed(userId: string, failures: number, message: string): LogoutError {
    rt.events?.emit("totp.failed", { userId, failures, at: Date.now() });
    return new LogoutError("totp-invalid", message);
  }

  async function run(req: Request, next: NextFunction): Promise<void> {
    const auth: Authentication | undefined = getAuthentication(req);
    if (auth === undefined) {
      throw new Error(`express-logout: ${factory} must be mounted after requirePermission(...) or requireSession(...) on the same route: it needs the caller they authenticated.`);
    }
    const user: UserRecord | undefined = auth.user ?? (await loadUser(rt, auth.session.userId));
    if (user === undefined) throw new LogoutError("unauthenticated", "the session's user no longer exists");
    const userId = user.id;

    const secret: unknown = await rt.calls.run("users.totpSecret", () => totpSecret(user));
    if (typeof secret !== "string" || secret === "") {
      throw new LogoutError("totp-required", "no second factor is enrolled for this user", { availableMethods: [] });
    }
    const key = secretBytes(secret);

    const code = req.headers[codeHeader];
    if (code === undefined || code === "") throw new LogoutError("totp-required", "TOTP Required", { availableMethods: ["totp"] });
    const method = req.headers[methodHeader];

    // Count the attempt before looking at the code: a burst of parallel guesses each gets its own number.
    const now = Date.now();
    const windowIndex = Math.floor(now / failureWindowMs);
    const windowEnd = (windowIndex + 1) * failureWindowMs;
    const counterTtl = windowEnd - now + 1_000;
    const attemptsKey = keyFor("attempts", userId, windowIndex);
    const passesKey = keyFor("passes", userId, windowIndex);
    const [attempts, passes] = await Promise.all([rt.calls.incrementCounter(attemptsKey, counterTtl), rt.calls.readCounter(passesKey)]);
    const failures = attempts - passes;
    if (failures > maxFailures) {
      throw new LogoutError("throttled", "too many wrong TOTP codes", { retryAfterSeconds: Math.max(1, Math.ceil((windowEnd - now) / 1000)) });
    }
    if (method !== undefined && method !== "" && method !== "totp") throw failed(userId, failures, "only the totp method is accepted");
    if (typeof code !== "string" || !codePattern.test(code)) throw failed(userId, failures, "malformed TOTP code");

    const step = matchingTotpStep({ key, code, algorithm, digits, periodMs, window, now });
    if (step === undefined) throw failed(userId, failures, "wrong TOTP code");
    // A step can be accepted until the server's clock passes `step + window`; keep its marker one step longer.
    const ttlOf = (s: number) => (s + window + 2) * periodMs - now;
    const first = await rt.calls.claim(keyFor("step", userId, step), ttlOf(step));
    if (!first) {
      rt.events?.emit("totp.replayed", { userId, at: Date.now() });
      throw failed(userId, failures, "TOTP code already used");
    }
    // Steps older than the accepted one that the window would still take are spent as well.
    const currentStep = Math.floor(now / periodMs);
    const older: number[] = [];
    for (let s = Math.max(0, currentStep - window); s < step; s++) older.push(s);
    await Promise.all([
      rt.calls.incrementCounter(passesKey, counterTtl),
      ...older.map((s) => rt.calls.claim(keyFor("step", userId, s), ttlOf(s))),
    ]);
    rememberAuthentication(req, { ...auth, user });
    next();
  }

  return function requireTotpMiddleware(req: Request, res: Response, next: NextFunction): void {
    settle(req, res, next, rt, run(req, next));
  };
}
