import type { Request } from "express";
import { LogoutError } from "../errors.js";
import type { LogoutEvents } from "../events.js";
import { AUTHENTICATION_METHOD, lastAuthenticatedAt, withMethod } from "../lifetime/deadlines.js";
import { DEFAULT_RETRY_AFTER_SECONDS, DEFAULT_STORE_TIMEOUT_MS, guarded, type GuardOptions } from "../store/guard.js";
import type { Authentication, SessionRecord, SessionStore } from "../types.js";
import { authenticationRuntime, getAuthentication, rememberAuthentication } from "./runtime.js";

export interface MarkAuthenticatedOptions {
  /** How the user just proved who they are: `"password"`, `"totp"`, `"webauthn"`, ... Required. */
  readonly method: string;
  /** The store. Default: the one of the middleware that authenticated the request. */
  readonly store?: SessionStore;
  /** Where `session.authenticated` is told. Default: the events of that middleware. */
  readonly events?: LogoutEvents;
}

/**
 * Records that the caller just proved who they are (a host's own password re-check, a passkey assertion), so
 * `requireRecentAuth` lets the session through for its `maxAgeMs` from now, on every instance. Call it from a
 * route behind `requireSession` (or another factory that authenticated the request), after the check succeeded.
 * Answers the session as it now stands. Rejects with a `LogoutError` (`unauthenticated`) when the session ended
 * meanwhile and with `store-unavailable` when the store fails.
 */
export async function markAuthenticated(req: Request, options: Readonly<MarkAuthenticatedOptions>): Promise<SessionRecord> {
  const auth = getAuthentication(req);
  if (auth === undefined) {
    throw new Error("express-logout: markAuthenticated needs a request that requireSession(...) (or another factory) authenticated; mount one before this route.");
  }
  const method: unknown = options.method;
  if (typeof method !== "string" || !AUTHENTICATION_METHOD.test(method)) {
    throw new TypeError("express-logout: markAuthenticated `method` must be a short lowercase method name such as `password`, `totp` or `webauthn`.");
  }
  if (auth.principal !== undefined) {
    throw new TypeError("express-logout: markAuthenticated cannot refresh a JWT (it has no record to update); issue a new token after the re-check instead.");
  }
  const through = authenticationRuntime(req);
  const store = options.store ?? through?.store;
  if (store?.recordAuthentication === undefined) {
    throw new TypeError("express-logout: markAuthenticated needs a store with `recordAuthentication` (pass `store`, or authenticate the request with a factory on such a store).");
  }
  const events = options.events ?? through?.events;
  return recordStepUp(req, auth, { store, events, guard: { timeoutMs: DEFAULT_STORE_TIMEOUT_MS, retryAfterSeconds: DEFAULT_RETRY_AFTER_SECONDS, events } }, method);
}

/**
 * Writes a successful step-up on the caller's session and on the request (so later middleware of the same request
 * sees it fresh). Shared by `markAuthenticated` and `requireTotp`.
 */
export async function recordStepUp(
  req: Request,
  auth: Authentication,
  rt: { readonly store: SessionStore; readonly events: LogoutEvents | undefined; readonly guard: GuardOptions },
  method: string,
): Promise<SessionRecord> {
  const record = rt.store.recordAuthentication?.bind(rt.store);
  if (record === undefined) return auth.session;
  const at = Date.now();
  const live: unknown = await guarded("recordAuthentication", () => record(auth.session.id, at, method), rt.guard);
  if (live !== true) throw new LogoutError("unauthenticated", "the session ended during the step-up");
  const session: SessionRecord = { ...auth.session, authenticatedAt: Math.max(at, lastAuthenticatedAt(auth.session)), amr: withMethod(auth.session.amr, method) };
  rememberAuthentication(req, { ...auth, session });
  rt.events?.emit("session.authenticated", { sessionId: session.id, userId: session.userId, method, at });
  return session;
}
