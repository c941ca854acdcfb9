import type { EpochMs, SessionRecord, SessionStore } from "../types.js";
import { withProperties } from "../with-properties.js";

/**
 * Default spacing of activity writes for a session with an idle timeout: at most one `touchSession` per session
 * per minute, so a busy session does not write on every request.
 */
export const DEFAULT_TOUCH_EVERY_MS = 60_000;

/**
 * How long after its last recorded activity a session's next use is written. A session with an idle timeout is
 * written at least twice per timeout (`touchEveryMs` is capped at half of it), so steady use can never let it idle
 * out between two writes; one without is written only when the route asked for `touchEveryMs` (for "last seen").
 */
export function touchInterval(session: Pick<SessionRecord, "idleTimeoutMs">, touchEveryMs: number | undefined): number | undefined {
  const idle = session.idleTimeoutMs;
  if (idle === undefined) return touchEveryMs;
  return Math.min(touchEveryMs ?? DEFAULT_TOUCH_EVERY_MS, idle / 2);
}

/** Whether this use of the session is due to be written at `now`. */
export function activityDue(session: Pick<SessionRecord, "createdAt" | "lastSeenAt" | "idleTimeoutMs">, now: EpochMs, touchEveryMs: number | undefined): boolean {
  const interval = touchInterval(session, touchEveryMs);
  return interval !== undefined && now - (session.lastSeenAt ?? session.createdAt) >= interval;
}

/** Options of `recordActivity`. */
export interface RecordActivityOptions {
  /**
   * Write at most this often per session (capped at half the idle timeout).
   * @defaultValue 60 000 for idle-timeout sessions; off for others
   */
  readonly touchEveryMs?: number;
}

/**
 * Records a use of the session when it is due (see `touchInterval`) and answers the session as it now stands,
 * `lastSeenAt` moved when it was written. This is what extends the idle deadline; `requireSession` and `whoAmI`
 * call it, and a host's own route that reads the store directly (a server-rendered page) can too.
 */
export async function recordActivity(store: SessionStore, session: SessionRecord, options: Readonly<RecordActivityOptions> = {}): Promise<SessionRecord> {
  const now = Date.now();
  // A store without `touchSession` cannot extend anything (issueSession refuses an idle timeout on such a store).
  if (store.touchSession === undefined || !activityDue(session, now, options.touchEveryMs)) return session;
  await store.touchSession(session.id, now);
  return seenAt(session, now);
}

/** The session as it stands once its use at `now` is written: `lastSeenAt` moved, nothing else. */
export function seenAt(session: SessionRecord, now: EpochMs): SessionRecord {
  return withProperties(session, { lastSeenAt: now });
}
