import type { EpochMs } from "../types.js";
import { withProperties } from "../with-properties.js";

/** What an express-session store holds for one session: the app's own fields plus `cookie`. */
export type SessionData = Record<string, unknown> & { cookie?: unknown };

/**
 * The field a tracked session carries in the app's store: the id of its express-logout record. It is how a
 * later request tells "tracked, and since ended" (refused, and destroyed) from "never tracked" (a session from
 * before tracking was added, adopted). `trackSessions` adds it on every write and strips it on every read, so
 * neither express-session nor the app ever sees it; the record id is not a secret (its owner may see it).
 */
export const TRACKING_FIELD = "expressLogout";

interface TrackingMark {
  readonly sessionId: string;
}

/** The record id a stored session was tracked under, or `undefined` when it never was. */
export function trackedRecordId(data: SessionData): string | undefined {
  const mark = data[TRACKING_FIELD];
  if (typeof mark !== "object" || mark === null) return undefined;
  const id = (mark as Partial<TrackingMark>).sessionId;
  return typeof id === "string" && id !== "" ? id : undefined;
}

/** The session as the app wrote it, without the tracking field (a shallow copy only when there is one). */
export function withoutTracking(data: SessionData): SessionData {
  if (!Object.hasOwn(data, TRACKING_FIELD)) return data;
  const { [TRACKING_FIELD]: _tracking, ...rest } = data;
  return rest;
}

/**
 * The session to hand the app's store: its own enumerable fields (the `cookie` object keeps its `toJSON`), plus
 * the tracking field when the session has a record.
 */
export function withTracking(data: SessionData, recordId: string | undefined): SessionData {
  // One copy: this runs on every request's touch, and a rest pattern then a spread copied the session twice.
  if (recordId !== undefined) return withProperties(data, { [TRACKING_FIELD]: { sessionId: recordId } satisfies TrackingMark });
  const copy: SessionData = { ...data };
  if (Object.hasOwn(copy, TRACKING_FIELD)) Reflect.deleteProperty(copy, TRACKING_FIELD);
  return copy;
}

/**
 * When the session's cookie says it expires: `cookie.expires` as express-session keeps it (a `Date` on a live
 * session, an ISO string once serialized), or `undefined` for a browser-session cookie without an expiry.
 */
export function cookieExpiresAt(data: SessionData): EpochMs | undefined {
  const cookie = data.cookie;
  if (typeof cookie !== "object" || cookie === null) return undefined;
  const expires = (cookie as { expires?: unknown }).expires;
  if (expires instanceof Date) return Number.isFinite(expires.getTime()) ? expires.getTime() : undefined;
  if (typeof expires === "string") {
    const at = Date.parse(expires);
    return Number.isFinite(at) ? at : undefined;
  }
  return undefined;
}
