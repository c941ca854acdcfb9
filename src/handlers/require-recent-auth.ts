import type { NextFunction, Request, RequestHandler, Response } from "express";
import { LogoutError } from "../errors.js";
import { AUTHENTICATION_METHOD, lastAuthenticatedAt } from "../lifetime/deadlines.js";
import { problemShape } from "../shapes/problem.js";
import { SetupError, functionOption, optionNames, positiveOption } from "../options/index.js";
import type { Authentication, SessionRecord, UserRecord } from "../types.js";
import { commonOptionNames, resolveRuntime, type CommonOptions } from "./options.js";
import { authenticate, getAuthentication, rememberAuthentication, settle } from "./runtime/index.js";

/** Default freshness window of `requireRecentAuth`: 15 minutes. */
export const DEFAULT_RECENT_AUTH_MAX_AGE_MS = 15 * 60 * 1000;

export interface RequireRecentAuthOptions<U extends UserRecord = UserRecord> extends CommonOptions<U> {
  /**
   * How recently the user must have proved who they are in this session (`authenticatedAt`: the login, a TOTP
   * step-up, a password re-check), in ms.
   * @defaultValue 900 000 (15 minutes)
   */
  readonly maxAgeMs?: number;
  /**
   * Accept only a proof by one of these methods as the recent one, e.g. `["totp", "webauthn"]` for a second
   * factor.
   * @defaultValue any method
   */
  readonly methods?: readonly string[];
  /**
   * A step-up that can make a stale session fresh within the same request, such as `requireTotp({ ... })`: a stale
   * request is handed to it, and goes on only if it passes (a TOTP success records itself on the session).
   * Without it, a stale request is refused with `reauthentication-required`.
   */
  readonly stepUp?: RequestHandler;
  /**
   * Where a browser proves who it is again: Kratos' `redirect_browser_to`, and `reauthenticateUrl` in
   * problem+json. A URL, or a function of the request (to carry a `return_to`).
   * @defaultValue none (Kratos falls back
   * to its own `/self-service/login/browser?refresh=true&return_to=...` on this host)
   */
  readonly reauthenticateUrl?: string | ((req: Request) => string);
  /**
   * The methods a client is told it can re-authenticate with (Rocket.Chat's `availableMethods`).
   * @defaultValue `["totp"]` with a `stepUp`, `["password"]` without
   */
  readonly availableMethods?: readonly string[];
}

/**
 * Guards a sensitive route (ending other sessions, changing the password or the TOTP secret, admin actions):
 * the caller's session must have proved its user within `maxAgeMs` (ASVS 7.5.1–7.5.3), judged by
 * `authenticatedAt`, which a step-up moves, never by when the session was created. A stale session gets the
 * shape's step-up refusal: problem+json 401 `reauthentication-required`; Kratos 403 `session_refresh_required`
 * with `redirect_browser_to` (a browser is redirected there); Rocket.Chat its `totp-required` flow.
 *
 * Mount it after `requireSession` (or any factory that authenticates) or on its own: it authenticates the
 * caller when nobody did yet. The freshness is read from the store on every request, so a step-up through one
 * instance counts on every other at once.
 */
export function requireRecentAuth<U extends UserRecord = UserRecord>(options: Readonly<RequireRecentAuthOptions<U>>): RequestHandler {
  const factory = "requireRecentAuth";
  // A store that cannot record a step-up would leave every session stale for good once its login is old.
  const rt = resolveRuntime(factory, options, problemShape, RECENT_AUTH_OPTIONS, { store: ["step-up"] });
  const maxAgeMs = positiveOption(factory, "maxAgeMs", options.maxAgeMs ?? DEFAULT_RECENT_AUTH_MAX_AGE_MS);
  const methods = methodList(factory, "methods", options.methods);
  const availableMethods = methodList(factory, "availableMethods", options.availableMethods) ?? (options.stepUp === undefined ? ["password"] : ["totp"]);
  const stepUp = options.stepUp === undefined ? undefined : (functionOption(factory, "stepUp", options.stepUp, "such as `requireTotp({ ... })`") as RequestHandler);
  const url = options.reauthenticateUrl;
  if (url !== undefined && typeof url !== "string" && typeof url !== "function") {
    throw new SetupError("option-invalid", `${factory} \`reauthenticateUrl\` must be a URL string or a function of the request.`);
  }

  function isFresh(session: SessionRecord, now: number): boolean {
    if (now - lastAuthenticatedAt(session) > maxAgeMs) return false;
    if (methods === undefined) return true;
    const latest = session.amr?.at(-1);
    return latest !== undefined && methods.includes(latest);
  }

  async function run(req: Request, res: Response, next: NextFunction): Promise<void> {
    const auth: Authentication = getAuthentication(req) ?? (await authenticate(req, rt));
    rememberAuthentication(req, auth);
    if (isFresh(auth.session, Date.now())) {
      next();
      return;
    }
    if (stepUp !== undefined) {
      stepUp(req, res, next);
      return;
    }
    throw new LogoutError("reauthentication-required", `the last authentication of this session is older than ${String(Math.round(maxAgeMs / 1000))} s`, {
      availableMethods,
      maxAgeSeconds: Math.round(maxAgeMs / 1000),
      ...(url === undefined ? {} : { reauthenticateUrl: typeof url === "string" ? url : url(req) }),
    });
  }

  return function requireRecentAuthMiddleware(req: Request, res: Response, next: NextFunction): void {
    settle(req, res, next, rt, run(req, res, next));
  };
}

const RECENT_AUTH_OPTIONS = optionNames<RequireRecentAuthOptions>({
  ...commonOptionNames,
  maxAgeMs: true,
  methods: true,
  stepUp: true,
  reauthenticateUrl: true,
  availableMethods: true,
});

function methodList(factory: string, name: string, value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0 || !value.every((m) => typeof m === "string" && AUTHENTICATION_METHOD.test(m))) {
    throw new SetupError("option-invalid", `${factory} \`${name}\` must be a non-empty array of method names such as ["totp", "webauthn"].`);
  }
  return [...(value as string[])];
}
