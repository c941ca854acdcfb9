import type { EventEmitter } from "node:events";
import type { LogoutEvents } from "../events.js";
import { DEFAULT_RETRY_AFTER_SECONDS, DEFAULT_STORE_TIMEOUT_MS } from "../deadline.js";
import { isLogoutEvents } from "../events.js";
import { SetupError, checkKnownOptions, functionOption, optionNames, positiveOption } from "../options/index.js";
import { assertSessionStore, assertStoreCapabilities } from "../store/capabilities.js";
import type { MarkerStore, SessionStore } from "../types.js";
import { InnerStore } from "./inner-store.js";
import { withoutTracking, type SessionData } from "./session-data.js";
import { SessionRecords } from "./session-records.js";
import { SessionTracker } from "./session-tracker.js";
import { CLOSE_ENDED_SESSION, trackedStateOf } from "./tracked-state.js";
import { defaultSessionUserId, type SessionUserId } from "./user-id.js";

/** Default `touchEveryMs` of `trackSessions`: a session's "last seen" is written at most once a minute. */
export const DEFAULT_LAST_SEEN_EVERY_MS = 60_000;

/** Options of `trackSessions(inner, options)`. */
export interface TrackSessionsOptions {
  /**
   * The express-logout store that keeps one record per logged-in session (memory, Redis or your own). Required.
   * Besides the core it needs the markers capability (`MarkerStore`), for the tombstones of ended sessions.
   */
  readonly store: SessionStore & MarkerStore;
  /**
   * Finds the user in the session data. It must answer a string, a number (which becomes its string), or
   * `undefined` for "no user".
   * @defaultValue passport's `data.passport.user`, else `data.userId`
   */
  readonly userId?: SessionUserId;
  /**
   * How long a tracked session may live from its login (or its adoption), in ms, however often it is used. With
   * `rolling: true` (or sessions the app modifies often) express-session moves the cookie's expiry on use; a
   * tracked session still ends at this limit, so set it to the absolute lifetime you want.
   * @defaultValue until the cookie's expiry at that moment, or 24 h for a cookie without one
   */
  readonly maxLifetimeMs?: number;
  /**
   * Write a session's "last seen" when it is older than this (ms), on stores that keep it.
   * @defaultValue 60 000
   */
  readonly touchEveryMs?: number;
  /**
   * Milliseconds an express-logout store call may take before the request fails closed.
   * @defaultValue 2000
   */
  readonly timeoutMs?: number;
  /**
   * `Retry-After` seconds carried by the 503 of a failed store call.
   * @defaultValue 5
   */
  readonly retryAfterSeconds?: number;
  /**
   * Told when a session ends through express-session (`destroy`, passport's login and logout).
   * @defaultValue none
   */
  readonly events?: LogoutEvents;
}

const OPTION_NAMES = optionNames<TrackSessionsOptions>({
  store: true,
  userId: true,
  maxLifetimeMs: true,
  touchEveryMs: true,
  timeoutMs: true,
  retryAfterSeconds: true,
  events: true,
});

/**
 * What tracking needs of the express-logout store beyond the core: markers, for the tombstone of a destroyed
 * session. `touchSession` is used when the store has it ("last seen").
 */
const NEEDS = ["markers"] as const;

/** The members of an express-session store that the wrapper relies on. */
export interface ExpressSessionStoreLike extends EventEmitter {
  /** Reads a session (express-session's `Store.get`). */
  get(sid: string, callback: (err: unknown, session?: unknown) => void): unknown;
  /** Writes a session (express-session's `Store.set`). */
  set(sid: string, session: never, callback?: (err?: unknown) => void): unknown;
  /** Deletes a session (express-session's `Store.destroy`). */
  destroy(sid: string, callback?: (err?: unknown) => void): unknown;
}

/** The members of an express-session store that `trackSessions` keeps: the standard methods and the `EventEmitter`'s. */
export type TrackedStoreMember = "get" | "set" | "destroy" | "touch" | "all" | "length" | "clear" | "regenerate" | "load" | "createSession" | keyof EventEmitter;

/** What `trackSessions` answers: an express-session `Store` with the inner store's standard methods. */
export type TrackedSessionStore<S> = Pick<S, Extract<keyof S, TrackedStoreMember>>;

interface StoreInstance extends EventEmitter {
  createSession(req: unknown, data: unknown): object;
  regenerate(req: unknown, callback: (err?: unknown) => void): void;
}
type StoreConstructor = new () => StoreInstance;

interface SessionRequest {
  readonly sessionID: string;
  readonly session?: object;
}

function fail(message: string): never {
  throw new SetupError("option-invalid", `trackSessions ${message}`);
}

/**
 * express-session's own `Store` class, found on the inner store's prototype chain, so the wrapper extends the
 * very copy of express-session the app runs (and the library needs no import of it).
 */
function storeClassOf(inner: object): StoreConstructor | undefined {
  for (let proto: unknown = Object.getPrototypeOf(inner); proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    const own = proto as Record<string, unknown>;
    if (["regenerate", "load", "createSession"].every((name) => Object.hasOwn(own, name)) && typeof own.constructor === "function") {
      return own.constructor as StoreConstructor;
    }
  }
  return undefined;
}

function answer<T>(work: Promise<T>, callback: ((err: unknown, value?: T) => void) | undefined): void {
  work.then(
    (value) => callback?.(null, value),
    (error: unknown) => callback?.(error),
  );
}

/** Strips the tracking field from what `all` answers, in either of its historical shapes. */
function untracked(sessions: unknown): unknown {
  if (Array.isArray(sessions)) return sessions.map((s: unknown) => (typeof s === "object" && s !== null ? withoutTracking(s as SessionData) : s));
  if (typeof sessions !== "object" || sessions === null) return sessions;
  return Object.fromEntries(Object.entries(sessions).map(([sid, s]) => [sid, typeof s === "object" && s !== null ? withoutTracking(s as SessionData) : s]));
}

/**
 * Wraps the app's express-session store (`MemoryStore`, connect-redis, connect-pg-simple, ...) so that every
 * logged-in session also has an express-logout record: every factory of the library can then list and end
 * those sessions, for one user or one device, on every instance at once. Mount it where the store was:
 *
 * ```ts
 * app.use(session({ store: trackSessions(new RedisStore({ client }), { store: logoutStore }), secret, ... }));
 * ```
 *
 * Login code stays as it is. A read asks the app's store and the record at once; a session whose record has
 * ended is answered "not found" and destroyed, so it is gone on the next request of every instance. A request
 * still running when its session ended cannot bring it back (expressjs/session#632). Sessions logged in before
 * tracking was added are adopted on their first request. A session without a user gets no record. When the
 * express-logout store fails or is slow, the read answers an error (`store-unavailable`): express-session
 * hands it to `next`, and `sessionStoreUnavailable()` turns it into a 503.
 */
export function trackSessions<S extends ExpressSessionStoreLike>(inner: S, options: Readonly<TrackSessionsOptions>): TrackedSessionStore<S> {
  if (typeof inner !== "object" || (inner as unknown) === null || typeof inner.get !== "function" || typeof inner.set !== "function" || typeof inner.destroy !== "function") {
    fail("needs the app's express-session store as its first argument, such as `trackSessions(new RedisStore({ client }), { store })`.");
  }
  const Base = storeClassOf(inner) ?? fail("needs an express-session store (a subclass of `session.Store`, as MemoryStore, connect-redis and connect-pg-simple are).");
  checkKnownOptions("trackSessions", options, OPTION_NAMES, "with at least `store`, the express-logout SessionStore");
  assertSessionStore(options.store);
  assertStoreCapabilities(options.store, NEEDS, "trackSessions");
  const userId = options.userId === undefined ? undefined : (functionOption("trackSessions", "userId", options.userId, "`(data) => id` that reads the user's id from the session data") as SessionUserId);
  if (options.events !== undefined && !isLogoutEvents(options.events)) fail("`events` must be a `new LogoutEvents()`.");
  const timeoutMs = positiveOption("trackSessions", "timeoutMs", options.timeoutMs ?? DEFAULT_STORE_TIMEOUT_MS);
  const retryAfterSeconds = Math.ceil(positiveOption("trackSessions", "retryAfterSeconds", options.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS));
  const touchEveryMs = positiveOption("trackSessions", "touchEveryMs", options.touchEveryMs ?? DEFAULT_LAST_SEEN_EVERY_MS);
  const maxLifetimeMs = options.maxLifetimeMs === undefined ? undefined : positiveOption("trackSessions", "maxLifetimeMs", options.maxLifetimeMs);

  const records = new SessionRecords(options.store, { timeoutMs, retryAfterSeconds, events: options.events });
  const tracker = new SessionTracker(new InnerStore(inner), records, {
    userId: userId ?? defaultSessionUserId,
    customUserId: userId !== undefined,
    maxLifetimeMs,
    touchEveryMs,
  });
  let generate: ((req: SessionRequest) => void) | undefined;

  class TrackingStore extends Base {
    get(sid: string, callback: (err: unknown, session?: SessionData | null) => void): void {
      answer(tracker.load(sid), callback);
    }

    set(sid: string, session: object, callback?: (err?: unknown) => void): void {
      answer(tracker.save(sid, session), callback);
    }

    touch(sid: string, session: object, callback?: (err?: unknown) => void): void {
      answer(tracker.touch(sid, session), callback);
    }

    destroy(sid: string, callback?: (err?: unknown) => void): void {
      answer(tracker.destroy(sid), callback);
    }

    /** As express-session's own, with what this request knows of the session, so an anonymous one costs nothing. */
    override regenerate(req: SessionRequest, callback: (err?: unknown) => void): void {
      const known = trackedStateOf(req.session);
      answer(tracker.destroy(req.sessionID, known?.sid === req.sessionID ? known : undefined), (err) => {
        this.generate(req);
        callback(err);
      });
    }

    /** See `CLOSE_ENDED_SESSION`: the library's logout of the current session, after it ended the record. */
    [CLOSE_ENDED_SESSION](sid: string, until: number): Promise<void> {
      return tracker.closeEnded(sid, until);
    }

    override createSession(req: SessionRequest, data: object): object {
      const session = super.createSession(req, data);
      tracker.attach(req.sessionID, data, session);
      return session;
    }

    /** express-session assigns its session generator to the store it is given; tracking marks what it makes as new. */
    get generate(): (req: SessionRequest) => void {
      return generate ?? fail("express-session has not given this store its session generator yet: pass the store to `session({ store })`.");
    }

    set generate(make: (req: SessionRequest) => void) {
      generate = (req) => {
        make.call(this, req);
        if (req.session !== undefined) tracker.generated(req.sessionID, req.session);
      };
    }
  }

  const store = new TrackingStore();
  const extra = inner as unknown as Record<string, unknown>;
  for (const name of ["all", "length", "clear"] as const) {
    const method = extra[name];
    if (typeof method !== "function") continue;
    const call = method as (this: unknown, callback: (err: unknown, value?: unknown) => void) => unknown;
    Object.defineProperty(store, name, {
      value: (callback?: (err: unknown, value?: unknown) => void) => call.call(inner, (err, value) => callback?.(err, name === "all" ? untracked(value) : value)),
    });
  }
  for (const event of ["connect", "disconnect"]) inner.on(event, (...args: unknown[]) => store.emit(event, ...args));
  return store as unknown as TrackedSessionStore<S>;
}
