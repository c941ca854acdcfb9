import type { EpochMs } from "../types.js";

/** Why a session ended, as the revocation feed tells it. */
export type SessionEndReason = "revoked" | "expired";

/**
 * One session that ended, as the revocation feed delivers it to every instance sharing the store. It carries
 * ids only, never a token, a token hash or any other secret: a session id cannot be used as a credential.
 */
export interface SessionEndNotice {
  /** The session that ended. */
  readonly sessionId: string;
  /** Its user. */
  readonly userId: string;
  /** `"revoked"`: a logout of any kind ended it; `"expired"`: its deadline passed. */
  readonly reason: SessionEndReason;
  /** When, in epoch milliseconds. */
  readonly at: EpochMs;
}

/** What a subscriber of the revocation feed hears. */
export interface SessionEndListener {
  /** A session of the subscribed user ended, on this instance or on any other sharing the store. */
  ended(notice: SessionEndNotice): void;
  /**
   * The feed lost its connection and has it back (its subscription is active again): notices published in
   * between were not delivered. The subscriber must find out for itself what ended meanwhile; the live
   * connection watcher re-checks every session it holds against the store.
   */
  interrupted(): void;
}

/**
 * The optional store capability that tells every instance sharing the store that a session ended. A store has
 * it when it has a `subscribeSessionEnds` method; `watchSessions` (live connections) needs it and refuses a
 * store without it at setup.
 *
 * The contract, which `express-logout/testing` checks:
 * - every end of a live session (`revokeSession`, `revokeUserSessions` in each of its forms) is delivered once to
 *   each subscriber of its user, on every instance, with the session id and the user id;
 * - nothing is delivered for a session that did not end (already ended, kept by `exceptSessionId`, of another API
 *   key) nor to the subscribers of another user;
 * - the notice is published by the same atomic step that ends the session, so no end goes unannounced and no
 *   notice announces an end that did not happen;
 * - delivery starts no later than when the answered promise resolves, and stops when the answered function is
 *   called.
 */
export interface RevocationFeed {
  /** Subscribes `listener` to the ends of `userId`'s sessions; answers the function that unsubscribes it. */
  subscribeSessionEnds(userId: string, listener: SessionEndListener): Promise<() => void>;
}

/** Whether `store` has the revocation feed capability. */
export function hasRevocationFeed(store: unknown): store is RevocationFeed {
  return typeof store === "object" && store !== null && typeof (store as Partial<RevocationFeed>).subscribeSessionEnds === "function";
}

/**
 * The in-process fan-out behind a feed: listeners per user, O(1) to add, remove and find. The memory store
 * publishes to it directly; the Redis store publishes what its subscription receives.
 */
export class SessionEndListeners {
  readonly #byUser = new Map<string, Set<SessionEndListener>>();

  /** How many users have at least one listener. */
  get users(): number {
    return this.#byUser.size;
  }

  /** Adds a listener; answers whether it is the user's first (the caller then subscribes upstream). */
  add(userId: string, listener: SessionEndListener): boolean {
    let set = this.#byUser.get(userId);
    const first = set === undefined;
    if (set === undefined) {
      set = new Set();
      this.#byUser.set(userId, set);
    }
    set.add(listener);
    return first;
  }

  /** Removes a listener; answers whether it was the user's last (the caller then unsubscribes upstream). */
  remove(userId: string, listener: SessionEndListener): boolean {
    const set = this.#byUser.get(userId);
    if (set === undefined || !set.delete(listener)) return false;
    if (set.size > 0) return false;
    this.#byUser.delete(userId);
    return true;
  }

  has(userId: string): boolean {
    return this.#byUser.has(userId);
  }

  userIds(): IterableIterator<string> {
    return this.#byUser.keys();
  }

  /**
   * Delivers a notice to the user's listeners. A listener that throws is isolated: it never stops the others,
   * nor the store call that ended the session.
   */
  deliver(notice: SessionEndNotice): void {
    const set = this.#byUser.get(notice.userId);
    if (set === undefined) return;
    for (const listener of [...set]) {
      try {
        listener.ended(notice);
      } catch {
        // See above: one subscriber's bug must not hide the end from the others.
      }
    }
  }

  /** Tells the listeners of `userId` (or of every user) that notices may have been missed. */
  interrupt(userId?: string): void {
    const sets = userId === undefined ? [...this.#byUser.values()] : [this.#byUser.get(userId) ?? new Set()];
    for (const set of sets) {
      for (const listener of [...set]) {
        try {
          listener.interrupted();
        } catch {
          // Isolated, as in `deliver`.
        }
      }
    }
  }

  clear(): void {
    this.#byUser.clear();
  }
}
