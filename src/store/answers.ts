import type { JwtRevocation, SessionRecord } from "./types.js";

/**
 * What the store contract promises of each answer, in one place. A store answer is trusted only when it is
 * exactly what the contract says: `undefined` and `null` are "not found" (SQL drivers answer `null`), and
 * anything else of the wrong type is a broken store, which fails closed (a 503), never as a pass.
 */

/**
 * Whether a value is a well-formed `SessionRecord`: non-empty string ids and token hash, finite times.
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
    typeof s.expiresAt === "number" && Number.isFinite(s.expiresAt)
  );
}

/** Whether a value is "nothing found": `undefined` or `null`. */
export function isAbsent(value: unknown): value is undefined | null {
  return value === undefined || value === null;
}

/** A count as the contract promises it: a whole number, never negative. */
export function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

/** A `jwtRevocation` answer: `denied` a boolean, `issuedBefore` a finite time or absent. */
export function isJwtRevocation(value: unknown): value is JwtRevocation {
  if (typeof value !== "object" || value === null) return false;
  const r = value as Partial<Record<keyof JwtRevocation, unknown>>;
  return typeof r.denied === "boolean" && (isAbsent(r.issuedBefore) || (typeof r.issuedBefore === "number" && Number.isFinite(r.issuedBefore)));
}
