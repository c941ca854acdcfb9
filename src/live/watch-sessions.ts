import type { IncomingMessage } from "node:http";
import type { Request } from "express";
import { LogoutError } from "../errors.js";
import { commonOptionNames, resolveRuntime, type CommonOptions, type Runtime } from "../handlers/options.js";
import { authenticate, loadUser, withUser } from "../handlers/runtime/index.js";
import { optionNames, positiveOption } from "../options/index.js";
import { constantTimeEqual } from "../secrets.js";
import { problemShape } from "../shapes/problem.js";
import { guarded, malformedAnswer } from "../deadline.js";
import { isSessionRecord } from "../store/answers.js";
import { hasRevocationFeed, type RevocationFeed, type SessionEndNotice } from "../store/revocation-feed.js";
import type { Authentication, Reply, UserRecord } from "../types.js";
import { ConnectionRegistry, type LiveEndReason, type TrackedConnection, type TrackedSession, type TrackedUser } from "./connections.js";
import { compileOriginPolicy, type OriginPolicy } from "./origin.js";

export interface WatchSessionsOptions<U extends UserRecord = UserRecord> extends CommonOptions<U> {
  /**
   * Which pages may open a connection, by the `Origin` header browsers send with every WebSocket and
   * EventSource request: `"same-origin"` (default: the origin's host must be the request's `Host`), a list of
   * allowed origins (`["https://app.example"]`), or `"any"`. A request without `Origin` (a non-browser client)
   * is not checked: only a browser can be made to carry a victim's cookie (cross-site WebSocket hijacking).
   */
  readonly origins?: OriginPolicy;
  /**
   * Also re-check every open connection's session against the store this often, in ms: a bound on how late an
   * end can reach a connection if the feed loses notices without saying so.
   * @defaultValue off (the feed tells the
   * watcher when it was interrupted, and each session is re-checked at its deadline)
   */
  readonly recheckEveryMs?: number;
}

const WATCH_SESSIONS_OPTIONS = optionNames<WatchSessionsOptions>({ ...commonOptionNames, origins: true, recheckEveryMs: true });

/** A connection request the watcher accepted: its caller, and the slot it holds until the connection closes. */
export interface Admission {
  /** Who opened the connection. */
  readonly auth: Authentication;
  /**
   * Attaches the open connection. `close` runs exactly once, when the session ends (at once if it ended while the
   * connection was being opened). Answers the function to call when the connection closes for any reason.
   */
  attach(close: (reason: LiveEndReason) => void): () => void;
  /** Gives the slot back when the connection never opened (a failed handshake). */
  cancel(): void;
}

/** What the watcher tracks now; every count is 0 once every connection has closed. */
export interface WatcherStats {
  /** Open connections. */
  readonly connections: number;
  /** Sessions with at least one open connection. */
  readonly sessions: number;
  /** Users with at least one open connection. */
  readonly users: number;
}

/** At most this many store reads run at once when every connection is re-checked. */
const RECHECK_CONCURRENCY = 16;
/** Waits before each try of a re-check whose store read fails (about 3.5 s in all before "unconfirmed"). */
const RECHECK_RETRY_MS = [0, 250, 750, 2_500] as const;
/** setTimeout's ceiling (about 24.8 days); a later deadline is re-armed when the timer fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The live-connection watcher behind the WebSocket, Socket.IO and SSE adapters. It authenticates a connection
 * request once, with any credential source, and closes the connection the moment its session ends, on any
 * instance sharing the store (through the store's revocation feed), or reaches its deadline.
 */
export class SessionWatcher {
  readonly #rt: Runtime;
  readonly #feed: RevocationFeed;
  readonly #origins: (req: IncomingMessage) => boolean;
  readonly #registry = new ConnectionRegistry();
  readonly #interval: NodeJS.Timeout | undefined;
  #rechecking: Promise<void> | undefined;
  #recheckAgain = false;
  #closed = false;

  /**
   * Use `watchSessions(options)`.
   * @internal
   */
  constructor(rt: Runtime, feed: RevocationFeed, origins: (req: IncomingMessage) => boolean, recheckEveryMs: number | undefined) {
    this.#rt = rt;
    this.#feed = feed;
    this.#origins = origins;
    if (recheckEveryMs !== undefined) {
      this.#interval = setInterval(() => { void this.recheck(); }, recheckEveryMs);
      this.#interval.unref();
    }
  }

  /** How many connections, sessions and users it watches now. */
  get stats(): WatcherStats {
    return { connections: this.#registry.connections, sessions: this.#registry.sessions.size, users: this.#registry.users.size };
  }

  /**
   * Authenticates a connection request (an HTTP upgrade, a Socket.IO handshake, an SSE request) and reserves its
   * slot. Rejects with a `LogoutError` (`unauthenticated`, `forbidden`, `store-unavailable`) that
   * `refusal(error)` turns into the reply to send; nothing is tracked then.
   */
  async admit(req: IncomingMessage): Promise<Admission> {
    if (this.#closed) throw new LogoutError("store-unavailable", "the session watcher is closed", { retryAfterSeconds: this.#rt.guard.retryAfterSeconds });
    if (!this.#origins(req)) throw new LogoutError("forbidden", "this origin may not open a live connection");
    const started = performance.now();
    let auth = await authenticate(req as Request, this.#rt);
    if (this.#rt.users !== undefined) {
      const user = await loadUser(this.#rt, auth.session.userId);
      if (user === undefined) throw new LogoutError("unauthenticated", "the session's user no longer exists");
      auth = withUser(auth, user);
    }
    const connection: TrackedConnection = { auth, close: undefined, endedWith: undefined, released: false };
    const { session, user, newSession } = this.#registry.add(connection, () => this.#subscribe(auth.session.userId));
    try {
      await user.subscription;
      // The session was read before the feed for its user was listening here: an end in between would be lost,
      // so it is confirmed once more now that every later end will be heard.
      if (user.activeSince === undefined || user.activeSince > started) {
        if (!(await this.#confirm(connection.auth))) throw new LogoutError("unauthenticated", "the session ended");
      }
    } catch (error) {
      this.#release(connection);
      throw error;
    }
    if (connection.released) throw new LogoutError("unauthenticated", "the session ended");
    if (newSession) this.#arm(session);
    return {
      auth,
      attach: (close) => {
        if (connection.released) {
          close(connection.endedWith ?? "session-ended");
          return () => undefined;
        }
        connection.close = close;
        return () => { this.#release(connection); };
      },
      cancel: () => { this.#release(connection); },
    };
  }

  /** The reply a refused connection request gets, in the watcher's shape (a 401, 403 or 503). */
  refusal(error: LogoutError, req: IncomingMessage): Reply {
    this.#rt.events?.emit("logout.refused", {
      code: error.code,
      status: error.status,
      userId: undefined,
      method: req.method ?? "GET",
      path: (req.url ?? "/").split("?")[0] ?? "/",
      ip: req.socket.remoteAddress,
      at: Date.now(),
    });
    return this.#rt.shape.error(error, req as Request);
  }

  /**
   * Re-checks every open connection's session against the store now, closing those that ended (and, fail
   * closed, those the store cannot confirm). Runs by itself when the feed was interrupted.
   */
  recheck(): Promise<void> {
    if (this.#rechecking !== undefined) {
      this.#recheckAgain = true;
      return this.#rechecking;
    }
    const run = async () => {
      // A re-check asked for while one runs gets a whole pass of its own, after this one.
      for (let again = true; again; again = this.#takeRecheckRequest()) {
        const queue = [...this.#registry.sessions.values()];
        await Promise.all(Array.from({ length: RECHECK_CONCURRENCY }, async () => {
          for (let entry = queue.shift(); entry !== undefined; entry = queue.shift()) await this.#recheckOne(entry);
        }));
      }
    };
    this.#rechecking = run().finally(() => { this.#rechecking = undefined; });
    return this.#rechecking;
  }

  /** Closes every connection (`"shutdown"`), stops the timers and the feed subscriptions. */
  close(): void {
    this.#closed = true;
    clearInterval(this.#interval);
    for (const entry of [...this.#registry.sessions.values()]) this.#end(entry, "shutdown");
  }

  #takeRecheckRequest(): boolean {
    const asked = this.#recheckAgain;
    this.#recheckAgain = false;
    return asked;
  }

  #subscribe(userId: string): Promise<() => void> {
    const subscription = guarded("subscribeSessionEnds", () => this.#feed.subscribeSessionEnds(userId, {
      ended: (notice) => { this.#onEnded(notice); },
      interrupted: () => { void this.recheck(); },
    }), this.#rt.guard);
    subscription.then(() => {
      const user = this.#registry.users.get(userId);
      if (user !== undefined && user.subscription === subscription) user.activeSince = performance.now();
    }, () => undefined);
    return subscription;
  }

  #onEnded(notice: SessionEndNotice): void {
    const entry = this.#registry.sessions.get(notice.sessionId);
    if (entry?.session.userId !== notice.userId) return;
    this.#end(entry, notice.reason === "expired" ? "session-expired" : "session-ended");
  }

  #end(entry: TrackedSession, reason: LiveEndReason): void {
    for (const connection of [...entry.connections]) {
      connection.endedWith = reason;
      const close = connection.close;
      this.#release(connection);
      if (close !== undefined) {
        try {
          close(reason);
        } catch {
          // A transport that throws while closing is already gone; the others still close.
        }
      }
    }
  }

  #release(connection: TrackedConnection): void {
    const { emptySession, emptyUser } = this.#registry.remove(connection);
    if (emptySession !== undefined) clearTimeout(emptySession.timer);
    if (emptyUser !== undefined) unsubscribeWhenSettled(emptyUser);
  }

  /** Whether the store still holds the credential's session as live. */
  async #confirm(auth: Authentication): Promise<boolean> {
    const credential = auth.credential;
    if (credential.kind === "resolved") {
      const principal = await guarded(`resolve ${credential.source}`, () => credential.resolve(this.#rt.store), this.#rt.guard);
      return principal !== undefined && principal.session.expiresAt > Date.now();
    }
    const id = auth.session.id;
    const live: unknown = await guarded("getSession", () => this.#rt.store.getSession(id), this.#rt.guard);
    if (live === undefined || live === null) return false;
    // A store answer that is not a session record is a broken store: never taken for a live session.
    if (!isSessionRecord(live)) throw malformedAnswer("getSession", this.#rt.guard);
    return constantTimeEqual(live.tokenHash, auth.session.tokenHash) && live.expiresAt > Date.now();
  }

  /**
   * One session of a re-check. The feed and the store use different connections, so right after an outage the
   * feed may be back before the store: a store error is retried a few times before the connection is closed as
   * unconfirmed.
   */
  async #recheckOne(entry: TrackedSession): Promise<void> {
    for (const wait of RECHECK_RETRY_MS) {
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait).unref());
      if (entry.connections.size === 0) return;
      const first = entry.connections.values().next().value as TrackedConnection;
      try {
        if (!(await this.#confirm(first.auth))) this.#end(entry, "session-ended");
        return;
      } catch {
        // Retried below; closed as unconfirmed after the last try.
      }
    }
    this.#end(entry, "unconfirmed");
  }

  /** Re-checks the session at its deadline: it closes then, unless the store moved the deadline later. */
  #arm(entry: TrackedSession): void {
    clearTimeout(entry.timer);
    const wait = Math.min(Math.max(0, entry.session.expiresAt - Date.now()), MAX_TIMER_MS);
    entry.timer = setTimeout(() => { void this.#atDeadline(entry); }, wait);
    entry.timer.unref();
  }

  async #atDeadline(entry: TrackedSession): Promise<void> {
    if (entry.connections.size === 0) return;
    if (entry.session.expiresAt > Date.now()) {
      this.#arm(entry);
      return;
    }
    const id = entry.session.id;
    const first = entry.connections.values().next().value as TrackedConnection;
    const later: unknown = first.auth.credential.kind === "resolved" ? undefined : await guarded("getSession", () => this.#rt.store.getSession(id), this.#rt.guard).catch(() => undefined);
    if (isSessionRecord(later) && later.expiresAt > Date.now() && constantTimeEqual(later.tokenHash, entry.session.tokenHash)) {
      entry.session = later;
      this.#arm(entry);
      return;
    }
    this.#end(entry, "session-expired");
  }
}

/**
 * Throws a `TypeError` at setup when an adapter is given something else than `watchSessions(...)`'s watcher. By
 * shape, not `instanceof`, so a watcher from the ESM build works with an adapter from the CommonJS one.
 */
export function assertWatcher(factory: string, watcher: unknown): asserts watcher is SessionWatcher {
  const w = watcher as Partial<Record<"admit" | "refusal", unknown>> | null;
  if (typeof w !== "object" || w === null || typeof w.admit !== "function" || typeof w.refusal !== "function") {
    throw new TypeError(`express-logout: ${factory} needs the watcher of \`watchSessions({ store, credentials })\` as its first argument.`);
  }
}

function unsubscribeWhenSettled(user: TrackedUser): void {
  user.subscription.then((unsubscribe) => { unsubscribe(); }, () => undefined);
}

/**
 * Watches the sessions behind live connections (WebSocket, Socket.IO, Server-Sent Events) and closes each
 * connection the moment its session ends: by its owner, "log out everywhere", an administrator, an API key's
 * logout or its deadline, on any instance sharing the store. Pass the watcher to `acceptWebSockets`,
 * `socketIoSessions` or `sessionEventStream`. The store must have the revocation feed (`MemorySessionStore`;
 * `RedisSessionStore` with a `subscriber`). Options as every factory (`credentials` default: the shape's,
 * `Authorization: Bearer` then `X-Session-Token`), plus `origins` and `recheckEveryMs`.
 */
export function watchSessions<U extends UserRecord = UserRecord>(options: Readonly<WatchSessionsOptions<U>>): SessionWatcher {
  const rt = resolveRuntime("watchSessions", options, problemShape, WATCH_SESSIONS_OPTIONS);
  const store = rt.store;
  if (!hasRevocationFeed(store)) {
    throw new TypeError(
      "express-logout: watchSessions needs a store with the revocation feed (`subscribeSessionEnds`), so it hears of ends on every instance: " +
        "`MemorySessionStore`, or `RedisSessionStore` with a `subscriber` (see docs/live-connections.md).",
    );
  }
  const recheckEveryMs = options.recheckEveryMs === undefined ? undefined : positiveOption("watchSessions", "recheckEveryMs", options.recheckEveryMs);
  return new SessionWatcher(rt, store, compileOriginPolicy(options.origins), recheckEveryMs);
}
