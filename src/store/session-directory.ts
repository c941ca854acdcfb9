import { SetupError } from "../options/setup-error.js";
import type { EpochMs, SessionRecord, SessionStore } from "../types.js";

/** One page request of `SessionDirectory.listAllSessions`. */
export interface AllSessionsPageRequest {
  /** The `cursor` of the previous page; absent for the first page. Opaque: only the store that made it reads it. */
  readonly cursor?: string;
  /** Most sessions on the page, 1 to 1000. */
  readonly limit: number;
}

/** One page of every live session, newest `createdAt` first. */
export interface AllSessionsPage {
  /** The live sessions of the page, in the store's order. */
  readonly sessions: SessionRecord[];
  /** Pass it back for the next page; `undefined` on the last page. */
  readonly cursor: string | undefined;
}

/**
 * The administrator's side of a store: every session of every user, a page at a time, without a scan of the
 * whole store, and a session's lifetime moved. Optional: the admin factories ask for it at setup, the rest of
 * the library never does. `MemorySessionStore` and `RedisSessionStore` implement it; the conformance kit checks
 * it for any store that has it.
 */
export interface SessionDirectory {
  /**
   * A page of every live session, newest `createdAt` first (ties in an order of the store's choosing, the same
   * on every call). Costs O(page) whatever the number of sessions: a store keeps an index for it. A session that
   * stays live while a client pages through appears exactly once; one that ends is left out from then on.
   */
  listAllSessions(request: AllSessionsPageRequest): Promise<AllSessionsPage>;
  /** How many live sessions the store holds, in O(1) (expired ones the store has not yet dropped may count). */
  countAllSessions(): Promise<number>;
  /**
   * Moves a live session's `expiresAt` (every index of it lives as long). Answers the updated session, or
   * `undefined` when it is unknown, ended or expired; an ended session never comes back.
   */
  extendSession(id: string, expiresAt: EpochMs): Promise<SessionRecord | undefined>;
}

/** The `SessionDirectory` methods, for setup checks. */
export const sessionDirectoryMethods = ["listAllSessions", "countAllSessions", "extendSession"] as const satisfies readonly (keyof SessionDirectory)[];

/** Whether a store also implements `SessionDirectory` (and has not turned it off, see `RedisSessionStore`'s `indexAllSessions`). */
export function isSessionDirectory(store: SessionStore): store is SessionStore & SessionDirectory {
  const record = store as unknown as Record<string, unknown>;
  if (record.indexesAllSessions === false) return false;
  return sessionDirectoryMethods.every((name) => typeof record[name] === "function");
}

/**
 * Throws a `TypeError` at setup when a factory needs `SessionDirectory` and the store lacks it, naming what to
 * do about it.
 */
export function assertSessionDirectory(store: SessionStore, factory: string): asserts store is SessionStore & SessionDirectory {
  if (isSessionDirectory(store)) return;
  const record = store as unknown as Record<string, unknown>;
  if (record.indexesAllSessions === false) {
    throw new SetupError("store-capability-missing", `${factory} needs a store that indexes all sessions; this RedisSessionStore was created without it. Pass \`indexAllSessions: true\` to \`new RedisSessionStore({ ... })\` (sessions opened before are listed once they are extended or opened again).`);
  }
  const missing = sessionDirectoryMethods.filter((name) => typeof record[name] !== "function");
  throw new TypeError(
    `express-logout: ${factory} needs a store that implements SessionDirectory; this store lacks ${missing.map((m) => `\`${m}\``).join(", ")}. ` +
      "Use MemorySessionStore or RedisSessionStore, or add those methods to your store (express-logout/testing checks them).",
  );
}

/** Cursor text: base64url of a JSON array, so no store ever has to escape anything in it. */
export function encodeCursor(parts: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(parts), "utf8").toString("base64url");
}

/**
 * The cursor the built-in stores read as "the sessions after this one": a session's `(createdAt, id)`. A shape
 * whose product carries the position in its own page token (Kratos' `page_token`) turns it into this; a custom
 * store that makes other cursors refuses it (a `RangeError`, the caller's 400).
 */
export function cursorAfter(createdAt: number, id: string): string {
  return encodeCursor([createdAt, id]);
}

/** The `[createdAt, key]` a cursor holds, or `undefined` for one no store made. */
export function decodeCursor(cursor: string): [number, string] | undefined {
  if (typeof cursor !== "string" || cursor.length > 2048 || !/^[A-Za-z0-9_-]*$/.test(cursor)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) return undefined;
  const [createdAt, key] = parsed as unknown[];
  if (typeof createdAt !== "number" || !Number.isFinite(createdAt) || typeof key !== "string") return undefined;
  return [createdAt, key];
}

/**
 * Whether a cursor has the form the built-in stores make (a shape checks it before it reaches a store, so a
 * forged one is the client's `bad-request`, never a store error).
 */
export function isStoreCursor(cursor: string): boolean {
  return decodeCursor(cursor) !== undefined;
}

/** Checks a page request as both built-in stores do: a bad one is the caller's mistake, a `RangeError`. */
export function checkPageRequest(request: AllSessionsPageRequest): { cursor: [number, string] | undefined; limit: number } {
  const limit = request.limit;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new RangeError("express-logout: listAllSessions `limit` must be a whole number from 1 to 1000.");
  if (request.cursor === undefined) return { cursor: undefined, limit };
  const cursor = decodeCursor(request.cursor);
  if (cursor === undefined) throw new RangeError("express-logout: listAllSessions `cursor` is not one this store made.");
  return { cursor, limit };
}
