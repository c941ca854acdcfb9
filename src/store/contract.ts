import type { SessionRecord, SessionStore } from "../types.js";

/** The methods every `SessionStore` must have, in the order the interface lists them. */
export const sessionStoreMethods = [
  "createSession",
  "getSession",
  "findSessionByTokenHash",
  "listSessions",
  "touchSession",
  "revokeSession",
  "revokeUserSessions",
  "claim",
  "incrementCounter",
  "readCounter",
  "denyJwt",
  "revokeJwtsIssuedBefore",
  "jwtRevocation",
] as const satisfies readonly (keyof SessionStore)[];

/**
 * Throws a `TypeError` that names every missing method when `store` is not a `SessionStore`. Factories call it
 * once, at setup, so a wrong store fails at boot instead of on the first logout.
 */
export function assertSessionStore(store: unknown, optionName = "store"): asserts store is SessionStore {
  if (typeof store !== "object" || store === null) {
    throw new TypeError(
      `express-logout: \`${optionName}\` is required and must be a SessionStore (for example \`new MemorySessionStore()\`), received ${store === null ? "null" : typeof store}.`,
    );
  }
  const record = store as Record<string, unknown>;
  const missing = sessionStoreMethods.filter((name) => typeof record[name] !== "function");
  if (missing.length > 0) {
    throw new TypeError(
      `express-logout: \`${optionName}\` is not a SessionStore: it lacks ${missing.map((m) => `\`${m}\``).join(", ")}. ` +
        "Implement every method of the SessionStore interface, and check it with express-logout/testing.",
    );
  }
}

/**
 * Whether a store's answer is a well-formed `SessionRecord`: non-empty string ids and token hash, finite times.
 * A record that is not (a corrupted row, a half-written key) must never be taken for a session.
 */
export function isSessionRecord(value: unknown): value is SessionRecord {
  if (typeof value !== "object" || value === null) return false;
  const s = value as Partial<Record<keyof SessionRecord, unknown>>;
  return (
    typeof s.id === "string" && s.id !== "" &&
    typeof s.userId === "string" && s.userId !== "" &&
    typeof s.tokenHash === "string" && s.tokenHash !== "" &&
    typeof s.createdAt === "number" && Number.isFinite(s.createdAt) &&
    typeof s.expiresAt === "number" && Number.isFinite(s.expiresAt) &&
    optionalTime(s.lastSeenAt) &&
    optionalTime(s.authenticatedAt) &&
    (s.idleTimeoutMs === undefined || (typeof s.idleTimeoutMs === "number" && Number.isFinite(s.idleTimeoutMs) && s.idleTimeoutMs > 0)) &&
    (s.amr === undefined || (Array.isArray(s.amr) && s.amr.every((m) => typeof m === "string")))
  );
}

function optionalTime(value: unknown): boolean {
  return value === undefined || (typeof value === "number" && Number.isFinite(value));
}
