import type { Request } from "express";
import { DEFAULT_RETRY_AFTER_SECONDS, DEFAULT_STORE_TIMEOUT_MS } from "../deadline.js";
import { LogoutError } from "../errors.js";
import { LogoutEvents } from "../events.js";
import { AUTHENTICATION_METHOD, steppedUp } from "../lifetime/deadlines.js";
import { SetupError, checkKnownOptions, optionNames } from "../options/index.js";
import { authenticatingRuntime, getAuthentication, rememberAuthentication } from "../request-state.js";
import { assertSessionStore, assertStoreCapabilities } from "../store/capabilities.js";
import { CheckedStore } from "../store/checked-store.js";
import type { Authentication, SessionRecord, SessionStore } from "../types.js";
import { withProperties } from "../with-properties.js";

/** Options of `markAuthenticated`: how the user proved who they are. */
export interface MarkAuthenticatedOptions {
  /** How the user just proved who they are: `"password"`, `"totp"`, `"webauthn"`, ... Required. */
  readonly method: string;
  /**
   * The store.
   * @defaultValue the one of the middleware that authenticated the request (under its deadline)
   */
  readonly store?: SessionStore;
  /**
   * Where `session.authenticated` is told.
   * @defaultValue the events of that middleware
   */
  readonly events?: LogoutEvents;
}

const MARK_OPTIONS = optionNames<MarkAuthenticatedOptions>({ method: true, store: true, events: true });

/**
 * Records that the caller just proved who they are (a host's own password re-check, a passkey assertion), so
 * `requireRecentAuth` lets the session through for its `maxAgeMs` from now, on every instance. Call it from a
 * route behind `requireSession` (or another factory that authenticated the request), after the check succeeded.
 * Answers the session as it now stands. Rejects with a `LogoutError` (`unauthenticated`) when the session ended
 * meanwhile and with `store-unavailable` when the store fails or is slow; a misuse (no authenticated request,
 * a method that is not a plain name, a JWT caller, a store without `recordAuthentication`) is a `SetupError`.
 */
export async function markAuthenticated(req: Request, options: Readonly<MarkAuthenticatedOptions>): Promise<SessionRecord> {
  checkKnownOptions("markAuthenticated", options, MARK_OPTIONS, "with `method`");
  const auth = getAuthentication(req);
  if (auth === undefined) {
    throw new SetupError("option-invalid", "markAuthenticated needs a request that requireSession(...) (or another factory) authenticated; mount one before this route.");
  }
  const method: unknown = options.method;
  if (typeof method !== "string" || !AUTHENTICATION_METHOD.test(method)) {
    throw new SetupError("option-invalid", "markAuthenticated `method` must be a short lowercase method name such as `password`, `totp` or `webauthn`.");
  }
  if (auth.principal !== undefined) {
    throw new SetupError("option-invalid", "markAuthenticated cannot refresh a JWT (it has no record to update); issue a new token after the re-check instead.");
  }
  if (options.events !== undefined && !(options.events instanceof LogoutEvents)) {
    throw new SetupError("option-invalid", "markAuthenticated `events` must be a `new LogoutEvents()`.");
  }
  const through = authenticatingRuntime(req);
  let calls: CheckedStore;
  if (options.store === undefined) {
    if (through === undefined) throw new SetupError("option-required", "markAuthenticated needs `store`: no factory of this library authenticated the request.");
    calls = through.calls;
  } else {
    assertSessionStore(options.store);
    const events = options.events ?? through?.events;
    calls = new CheckedStore(options.store, { timeoutMs: DEFAULT_STORE_TIMEOUT_MS, retryAfterSeconds: DEFAULT_RETRY_AFTER_SECONDS, events });
  }
  assertStoreCapabilities(calls.store, ["step-up"], "markAuthenticated");
  return recordStepUp(req, auth, { calls, events: options.events ?? through?.events }, method);
}

/**
 * Writes a successful step-up on the caller's session and on the request (so later middleware of the same request
 * sees it fresh), and tells `session.authenticated`. Shared by `markAuthenticated` and `requireTotp`; the caller
 * checked the store's `step-up` capability.
 */
export async function recordStepUp(
  req: Request,
  auth: Authentication,
  rt: { readonly calls: CheckedStore; readonly events: LogoutEvents | undefined },
  method: string,
): Promise<SessionRecord> {
  const at = Date.now();
  return applyStepUp(req, auth, rt, { at, method, live: await rt.calls.recordAuthentication(auth.session.id, at, method) });
}

/**
 * A step-up the store has recorded (`live`: the session was live and now carries it): put on the request and told
 * to `session.authenticated`; a session that had ended is `unauthenticated`. Shared by `recordStepUp` and
 * `requireTotp`, whose store may record the step-up within the TOTP attempt.
 */
export function applyStepUp(
  req: Request,
  auth: Authentication,
  rt: { readonly events: LogoutEvents | undefined },
  recorded: { readonly at: number; readonly method: string; readonly live: boolean },
): SessionRecord {
  const { at, method, live } = recorded;
  if (!live) throw new LogoutError("unauthenticated", "the session ended during the step-up");
  const session = steppedUp(auth.session, at, method);
  rememberAuthentication(req, withProperties(auth, { session }));
  rt.events?.emit("session.authenticated", { sessionId: session.id, userId: session.userId, method, at });
  return session;
}
