import type { GuardOptions } from "../deadline.js";
import type { LogoutEvents } from "../events.js";
import { hashSecret } from "../secrets.js";
import { newSessionId } from "../sessions.js";
import { CheckedStore } from "../store/checked-store.js";
import type { EpochMs, SessionRecord, SessionStore } from "../types.js";

/** How long a tombstone lives at the least, when the session it marks would have expired sooner. */
const MIN_TOMBSTONE_MS = 60_000;
/** User-Agent strings are kept to this length, as `issueSession` keeps them. */
const MAX_USER_AGENT_LENGTH = 512;

/** Where a new record's device facts come from: the request that wrote the session, when there was one. */
export interface DeviceFacts {
  readonly ip?: string | undefined;
  readonly userAgent?: string | undefined;
}

/**
 * The express-logout side of tracking: the record of each logged-in express-session, found by the hash of
 * its session id (the id itself is never stored by express-logout), and the tombstone of an ended one.
 * Every call runs under the store deadline and fails closed (`store-unavailable`, a 503).
 */
export class SessionRecords {
  readonly store: SessionStore;
  readonly #calls: CheckedStore;
  readonly #events: LogoutEvents | undefined;

  /** `store` must have the markers capability (`trackSessions` checked it at setup). */
  constructor(store: SessionStore, guard: GuardOptions) {
    this.store = store;
    this.#calls = new CheckedStore(store, guard);
    this.#events = guard.events;
  }

  /**
   * The live record of express-session `sid`, or `undefined`. The hash is compared again in constant time and
   * the expiry checked whatever the store says; an answer that is not a record is a broken store (a 503).
   */
  live(sid: string): Promise<SessionRecord | undefined> {
    return this.#calls.findSessionByTokenHash(hashSecret(sid));
  }

  /**
   * Opens the record of a logged-in session. When another request of the same session opened it a moment
   * earlier (two first requests of an adopted session), that record is the answer.
   */
  async open(sid: string, userId: string, expiresAt: EpochMs, device: DeviceFacts): Promise<SessionRecord> {
    const now = Date.now();
    const record: SessionRecord = {
      id: newSessionId(),
      userId,
      tokenHash: hashSecret(sid),
      createdAt: now,
      expiresAt,
      lastSeenAt: now,
      authenticationSource: "express-session",
      ...(device.ip === undefined ? {} : { ip: device.ip }),
      ...(device.userAgent === undefined ? {} : { userAgent: device.userAgent.slice(0, MAX_USER_AGENT_LENGTH) }),
    };
    try {
      await this.#calls.run("createSession", () => this.store.createSession(record));
      return record;
    } catch (error) {
      const winner = await this.live(sid);
      if (winner?.userId === userId) return winner;
      throw error;
    }
  }

  /** Ends a record; answers whether it was live. `by` is told to the audit log when the session ends here. */
  async end(record: SessionRecord, by: string | undefined): Promise<boolean> {
    const live = await this.#calls.revokeSession(record.id);
    if (live) this.#events?.emit("session.ended", { sessionId: record.id, userId: record.userId, by, target: "current", at: Date.now() });
    return live;
  }

  /** Records `lastSeenAt`, on stores that keep it (the optional `touchSession`). */
  seen(record: SessionRecord, at: EpochMs): Promise<void> {
    return this.#calls.touchSession(record.id, at);
  }

  /**
   * Marks `sid` as ended until `until` (the session's own expiry). A session written back without its tracking
   * field after it ended (by an instance that does not track yet, or by code that calls the app's store
   * directly) is then refused instead of adopted.
   */
  async bury(sid: string, until: EpochMs): Promise<void> {
    await this.#calls.claim(tombstoneKey(sid), Math.max(MIN_TOMBSTONE_MS, until - Date.now()));
  }

  /** Whether `sid` ended (see `bury`). */
  buried(sid: string): Promise<boolean> {
    return this.#calls.isClaimed(tombstoneKey(sid));
  }
}

function tombstoneKey(sid: string): string {
  return `express-session:ended:${hashSecret(sid)}`;
}
