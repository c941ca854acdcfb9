import type { SessionRecord, SessionStore } from "../types.js";

/**
 * What `trackSessions` learnt about a request's session when express-session loaded (or generated) it. It
 * rides on the `req.session` object itself, under a registered symbol: not enumerable, so express-session's
 * change detection and every store serializer ignore it; gone with the object when the session is destroyed
 * or regenerated; and the same key for every copy of the library loaded in one process (ESM and CJS).
 */
export interface TrackedState {
  /** The express-session id this state belongs to (`req.sessionID` when it was loaded). */
  readonly sid: string;
  /** The express-logout store the record lives in. */
  readonly store: SessionStore;
  /** `"loaded"` from the app's store, or `"generated"` by express-session in this request (a new session). */
  readonly origin: "loaded" | "generated";
  /** The session's live record, when it has a user; kept up to date by writes in the same request. */
  record: SessionRecord | undefined;
}

const STATE = Symbol.for("express-logout.trackedSession");

export function trackedStateOf(session: unknown): TrackedState | undefined {
  if (typeof session !== "object" || session === null) return undefined;
  return (session as { [STATE]?: TrackedState })[STATE];
}

export function attachTrackedState(session: object, state: TrackedState): void {
  Object.defineProperty(session, STATE, { value: state, enumerable: false, configurable: true, writable: true });
}

/**
 * The tracking store's own way to destroy a session whose record the caller has just ended: it leaves the
 * tombstone and destroys the stored session without asking the express-logout store again. Found on
 * `req.sessionStore` under this registered symbol.
 */
export const CLOSE_ENDED_SESSION = Symbol.for("express-logout.closeEndedSession");

export type CloseEndedSession = (sid: string, until: number) => Promise<void>;
