import type { EpochMs, SessionRecord } from "../types.js";
import { withProperties } from "../with-properties.js";

/** The fields a session's deadlines are computed from. */
export type SessionTimes = Pick<SessionRecord, "createdAt" | "expiresAt" | "lastSeenAt" | "idleTimeoutMs">;

/**
 * When the session idles out if nothing extends it: `idleTimeoutMs` after its last recorded activity
 * (`lastSeenAt`, or `createdAt` before any), never later than the absolute `expiresAt`. `undefined` for a session
 * without an idle timeout.
 *
 * The idle deadline is derived, never stored on its own: a store keeps `lastSeenAt` and `idleTimeoutMs`, and
 * every reader (the built-in stores, the library's own liveness check, a page) computes the same moment.
 */
export function idleExpiresAt(session: SessionTimes): EpochMs | undefined {
  const idle = session.idleTimeoutMs;
  if (idle === undefined) return undefined;
  return Math.min(session.expiresAt, (session.lastSeenAt ?? session.createdAt) + idle);
}

/** The moment the session stops being live: the earlier of its idle deadline and its absolute expiry. */
export function sessionEndsAt(session: SessionTimes): EpochMs {
  return idleExpiresAt(session) ?? session.expiresAt;
}

/** Whether the session is still live at `now`, by both its idle timeout and its absolute lifetime. */
export function isSessionLive(session: SessionTimes, now: EpochMs = Date.now()): boolean {
  return sessionEndsAt(session) > now;
}

/** When the user last proved who they are in this session: `authenticatedAt`, or the login itself. */
export function lastAuthenticatedAt(session: Pick<SessionRecord, "createdAt" | "authenticatedAt">): EpochMs {
  return session.authenticatedAt ?? session.createdAt;
}

/** How many authentication methods a session remembers (`amr`); the oldest drop off first. */
export const MAX_AMR_ENTRIES = 8;

/** An authentication method name: short, lowercase, safe in any store and on any wire (`password`, `totp`, `webauthn`). */
export const AUTHENTICATION_METHOD = /^[a-z0-9][a-z0-9_.:-]{0,31}$/;

/**
 * `amr` after the user proved who they are with `method`: the method moves to the end (most recent last), each
 * method once, at most `MAX_AMR_ENTRIES`.
 */
function withMethod(amr: readonly string[] | undefined, method: string): string[] {
  const rest = (amr ?? []).filter((m) => m !== method);
  return [...rest, method].slice(-MAX_AMR_ENTRIES);
}

/**
 * The session as it stands once a step-up with `method` at `at` is recorded: `authenticatedAt` the later of its
 * value and `at`, the method last in `amr`. What every store records and what the request then carries.
 */
export function steppedUp(session: SessionRecord, at: EpochMs, method: string): SessionRecord {
  return withProperties(session, { authenticatedAt: Math.max(at, lastAuthenticatedAt(session)), amr: withMethod(session.amr, method) });
}
