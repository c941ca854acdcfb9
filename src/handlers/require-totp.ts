import type { NextFunction, Request, RequestHandler, Response } from "express";
import { ScureBase32Plugin } from "otplib";
import { LogoutError } from "../errors.js";
import { problemShape } from "../shapes/problem.js";
import { hasStoreCapability } from "../store/capabilities.js";
import { matchingTotpStep } from "../totp/verify.js";
import { SetupError, headerNameOption, integerOption, oneOfOption, optionNames, positiveOption } from "../options/index.js";
import type { Authentication, MarkerStore, SessionStore, TotpAttempt, UserDirectory, UserRecord } from "../types.js";
import { applyStepUp, recordStepUp } from "./mark-authenticated.js";
import { commonOptionNames, resolveRuntime, type CommonOptions } from "./options.js";
import { getAuthentication, loadUser, rememberAuthentication, settle, withUser } from "./runtime/index.js";
import {
  DEFAULT_TOTP_FAILURE_WINDOW_MS,
  DEFAULT_TOTP_MAX_FAILURES,
  DEFAULT_TOTP_MAX_LOCKOUTS_PER_DAY,
  throttled,
  totpKey,
  totpThrottle,
} from "./totp-throttle.js";
import { malformedAnswer } from "../deadline.js";
import { answeredUncalledMount, type NotMountable } from "../options/mounted-uncalled.js";

export { DEFAULT_TOTP_FAILURE_WINDOW_MS, DEFAULT_TOTP_MAX_FAILURES, DEFAULT_TOTP_MAX_LOCKOUTS_PER_DAY } from "./totp-throttle.js";

export interface RequireTotpOptions<U extends UserRecord = UserRecord> extends CommonOptions<U> {
  /** Where sessions live, with one-time markers and counters (`MarkerStore`) for single use and throttling. Required. */
  readonly store: SessionStore & MarkerStore;
  /** The host's directory; must have `findUser` and `totpSecret`. Required. */
  readonly users: UserDirectory<U>;
  /**
   * Time steps accepted on either side of the server's current one; 0 accepts the current step only. At most 10.
   * @defaultValue 1 (RFC 6238 §5.2 recommends at most one step of network delay)
   */
  readonly window?: number;
  /**
   * Time-step size in seconds.
   * @defaultValue 30 (RFC 6238)
   */
  readonly period?: number;
  /**
   * Code length.
   * @defaultValue 6
   */
  readonly digits?: 6 | 7 | 8;
  /**
   * HMAC of the codes.
   * @defaultValue `"sha1"`, what authenticator apps use
   */
  readonly algorithm?: "sha1" | "sha256" | "sha512";
  /**
   * Wrong codes a user may send within `failureWindowMs`; the one that reaches it starts a lock-out, and every
   * attempt during it (a right code too) is `throttled` (429 with `Retry-After`).
   * @defaultValue 5
   */
  readonly maxFailures?: number;
  /**
   * The throttling window and the length of a lock-out, in ms. Failures are counted in the current and the
   * previous clock-aligned window (the same on every instance), so no burst across a window boundary gets more
   * than `maxFailures` codes checked; a lock-out lasts this long from the failure that started it.
   * @defaultValue 300 000 (5 min)
   */
  readonly failureWindowMs?: number;
  /**
   * Lock-outs a user may get in a UTC day; after the last one, every attempt is `throttled` until the day ends.
   * @defaultValue 2: with the other defaults, at most 10 wrong codes a day, so a month of guessing finds a 6-digit code
   * with a probability below 0.1 % (the arithmetic is in docs/rocket-chat.md)
   */
  readonly maxLockoutsPerDay?: number;
  /**
   * Header holding the code.
   * @defaultValue `"x-2fa-code"` (Rocket.Chat)
   */
  readonly codeHeader?: string;
  /**
   * Header that may name the method; only `totp` is accepted.
   * @defaultValue `"x-2fa-method"` (Rocket.Chat)
   */
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
  maxLockoutsPerDay: true,
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

const keyFor = totpKey;

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
 *   outrun the count. The wrong code that makes `maxFailures` within `failureWindowMs` starts a lock-out of
 *   `failureWindowMs` from that moment, on every instance: every attempt (even a right code) is `throttled`
 *   with `Retry-After`. After `maxLockoutsPerDay` lock-outs in a UTC day, every attempt is refused until the day
 *   ends. The counts hold across instances and sessions; an attempt whose right code met a failing store is
 *   taken back, so a store hiccup does not use up the user's tries.
 * - A passed code records a step-up on the caller's session (`authenticatedAt`, `amr` "totp"), so
 *   `requireRecentAuth` finds it fresh; emits `session.authenticated`.
 * - Emits `totp.failed` and `totp.replayed` (never the code).
 */
export function requireTotp<U extends UserRecord = UserRecord>(options: Readonly<RequireTotpOptions<U>>, notMountable?: NotMountable): RequestHandler {
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
  const maxLockoutsPerDay = integerOption(factory, "maxLockoutsPerDay", options.maxLockoutsPerDay ?? DEFAULT_TOTP_MAX_LOCKOUTS_PER_DAY, 1, 1_000_000);
  const throttle = totpThrottle(rt.calls, { maxFailures, failureWindowMs, maxLockoutsPerDay });
  const recordsStepUps = hasStoreCapability(rt.store, "step-up");
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
    if (code === undefined || code === "") throw new LogoutError("totp-required", "no TOTP code in the request", { availableMethods: ["totp"] });

    // The verdict on the code is pure computation; what the store does with it decides. Both paths below count
    // the attempt before a verdict takes effect, so a burst of parallel guesses each gets its own number.
    const now = Date.now();
    const { step, message } = verdictOn(code, req.headers[methodHeader], key, now);
    const currentStep = Math.floor(now / periodMs);
    // Steps older than the accepted one that the window would still take are spent with it.
    const olderSteps: number[] = [];
    if (step !== undefined) for (let s = Math.max(0, currentStep - window); s < step; s++) olderSteps.push(s);
    // A passed code is a fresh proof of the user: `requireRecentAuth` counts the session as recently authenticated
    // from now on, on every instance. A JWT has no record to write it to. A store that runs the attempt in one call
    // may record the step-up in that same call (the session is the attempt's user's), saving a round trip.
    const stepsUp = auth.principal === undefined && recordsStepUps;
    const stepUp = stepsUp && auth.session.userId === userId ? { sessionId: auth.session.id, method: "totp" } : undefined;
    let steppedUp: boolean | undefined;
    if (rt.calls.attemptsTotpInOneCall) steppedUp = await attemptInOneCall(userId, now, step, olderSteps, message, stepUp);
    else await attemptThroughMarkers(userId, now, step, olderSteps, message);
    const caller = withUser(auth, user);
    if (!stepsUp) rememberAuthentication(req, caller);
    else if (steppedUp === undefined) await recordStepUp(req, caller, rt, "totp");
    else applyStepUp(req, caller, rt, { at: now, method: "totp", live: steppedUp });
    next();
  }

  /** The code's verdict: the step it matches, or none with the refusal's message. */
  function verdictOn(code: string | string[], method: string | string[] | undefined, key: Uint8Array, now: number): { step: number | undefined; message: string } {
    if (method !== undefined && method !== "" && method !== "totp") return { step: undefined, message: "only the totp method is accepted" };
    if (typeof code !== "string" || !codePattern.test(code)) return { step: undefined, message: "malformed TOTP code" };
    const step = matchingTotpStep({ key, code, algorithm, digits, periodMs, window, now });
    return { step, message: step === undefined ? "wrong TOTP code" : "" };
  }

  /**
   * The attempt as one store call (`attemptTotp`): the store runs the throttle's rules atomically. Answers, for a
   * pass with `stepUp`, whether the store recorded the step-up (the session was live); `undefined` when it did not
   * record it.
   */
  async function attemptInOneCall(
    userId: string,
    now: number,
    step: number | undefined,
    olderSteps: number[],
    message: string,
    stepUp: TotpAttempt["stepUp"],
  ): Promise<boolean | undefined> {
    const result = await rt.calls.attemptTotp({ userId, now, step, olderSteps, periodMs, window, maxFailures, failureWindowMs, maxLockoutsPerDay, ...(stepUp === undefined ? {} : { stepUp }) });
    switch (result.outcome) {
      case "throttled":
        throw throttled(result.retryAfterMs);
      case "replayed":
        rt.events?.emit("totp.replayed", { userId, at: Date.now() });
        throw failed(userId, result.failures, "TOTP code already used");
      case "wrong":
        throw failed(userId, result.failures, message);
      case "passed":
        // A store that passes a code no step matched is broken: nothing may pass on it.
        if (step === undefined) throw malformedAnswer("attemptTotp", rt.guard);
        return result.steppedUp;
    }
  }

  /** The attempt through the `MarkerStore` markers and counters, in a few calls. The step-up is left to its own call. */
  async function attemptThroughMarkers(userId: string, now: number, step: number | undefined, olderSteps: number[], message: string): Promise<void> {
    const attempt = await throttle.begin(userId, now);
    const wrong = async (reason: string): Promise<LogoutError> => {
      await attempt.failed();
      return failed(userId, attempt.failures, reason);
    };
    if (step === undefined) throw await wrong(message);
    // A step can be accepted until the server's clock passes `step + window`; keep its marker one step longer.
    const ttlOf = (s: number) => (s + window + 2) * periodMs - now;
    // A right code that meets a failing store is no failure of the user's: the attempt is taken back.
    const excused = (error: unknown): never => {
      attempt.excuse();
      throw error;
    };
    const first = await rt.calls.claim(keyFor("step", userId, step), ttlOf(step)).catch(excused);
    if (!first) {
      rt.events?.emit("totp.replayed", { userId, at: Date.now() });
      throw await wrong("TOTP code already used");
    }
    await Promise.all([attempt.passed(), ...olderSteps.map((s) => rt.calls.claim(keyFor("step", userId, s), ttlOf(s)))]).catch(excused);
  }

  return function requireTotpMiddleware(req: Request, res: Response, next: NextFunction): void {
    settle(req, res, next, rt, run(req, next));
  };
}
