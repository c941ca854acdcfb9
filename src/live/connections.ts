import type { Authentication, SessionRecord } from "../types.js";

/**
 * Why the library closed a live connection:
 * - `"session-ended"`: a logout of any kind ended its session, on this instance or another;
 * - `"session-expired"`: the session reached its deadline;
 * - `"unconfirmed"`: the revocation feed was interrupted and the store could not confirm the session afterwards,
 *   so the connection is closed rather than trusted (the client may reconnect and authenticate again);
 * - `"shutdown"`: the watcher was closed (the server is stopping).
 */
export type LiveEndReason = "session-ended" | "session-expired" | "unconfirmed" | "shutdown";

/** One open connection (or one being opened) that the watcher closes when its session ends. */
export interface TrackedConnection {
  readonly auth: Authentication;
  /** Set once the transport is open; runs exactly once, when the session ends. */
  close: ((reason: LiveEndReason) => void) | undefined;
  /** Set when the session ended before the transport was attached. */
  endedWith: LiveEndReason | undefined;
  released: boolean;
}

/** A session with open connections, and the timer that re-checks it at its deadline. */
export interface TrackedSession {
  session: SessionRecord;
  readonly connections: Set<TrackedConnection>;
  timer: NodeJS.Timeout | undefined;
}

/** A user with open connections, and this instance's subscription to the ends of the user's sessions. */
export interface TrackedUser {
  readonly sessionIds: Set<string>;
  /** Settles once the revocation feed delivers this user's ends; answers the unsubscribe function. */
  readonly subscription: Promise<() => void>;
  /** `performance.now()` when the subscription became active, `undefined` while it is pending. */
  activeSince: number | undefined;
}

/**
 * The open connections by session id and by user: adding, finding and removing one is O(1), and an entry is
 * deleted with its last connection, so a server that opened and closed any number of connections holds nothing.
 */
export class ConnectionRegistry {
  readonly sessions = new Map<string, TrackedSession>();
  readonly users = new Map<string, TrackedUser>();
  #connections = 0;

  /** How many connections are tracked now (opening ones included). */
  get connections(): number {
    return this.#connections;
  }

  /**
   * Adds a connection under its session and user. `subscribe` runs only for the user's first connection, and
   * must not throw (it answers a promise).
   */
  add(connection: TrackedConnection, subscribe: () => Promise<() => void>): { session: TrackedSession; user: TrackedUser; newSession: boolean } {
    const record = connection.auth.session;
    let session = this.sessions.get(record.id);
    const newSession = session === undefined;
    if (session === undefined) {
      session = { session: record, connections: new Set(), timer: undefined };
      this.sessions.set(record.id, session);
    }
    session.connections.add(connection);
    let user = this.users.get(record.userId);
    if (user === undefined) {
      user = { sessionIds: new Set(), subscription: subscribe(), activeSince: undefined };
      this.users.set(record.userId, user);
    }
    user.sessionIds.add(record.id);
    this.#connections += 1;
    return { session, user, newSession };
  }

  /**
   * Removes a connection (idempotent). Answers the session entry when it was its last connection, and the user
   * entry when it was the user's last session, so the caller can stop their timer and subscription.
   */
  remove(connection: TrackedConnection): { emptySession: TrackedSession | undefined; emptyUser: TrackedUser | undefined } {
    if (connection.released) return { emptySession: undefined, emptyUser: undefined };
    connection.released = true;
    this.#connections -= 1;
    const record = connection.auth.session;
    const session = this.sessions.get(record.id);
    if (session === undefined || !session.connections.delete(connection) || session.connections.size > 0) {
      return { emptySession: undefined, emptyUser: undefined };
    }
    this.sessions.delete(record.id);
    const user = this.users.get(record.userId);
    if (user === undefined) return { emptySession: session, emptyUser: undefined };
    user.sessionIds.delete(record.id);
    if (user.sessionIds.size > 0) return { emptySession: session, emptyUser: undefined };
    this.users.delete(record.userId);
    return { emptySession: session, emptyUser: user };
  }
}
