import type { EpochMs, SessionRecord } from "../types.js";
import type { InnerStore } from "./inner-store.js";
import { cookieExpiresAt, trackedRecordId, withoutTracking, withTracking, type SessionData } from "./session-data.js";
import type { DeviceFacts, SessionRecords } from "./session-records.js";
import { attachTrackedState, trackedStateOf, type TrackedState } from "./tracked-state.js";
import { normaliseUserId, type SessionUserId } from "./user-id.js";

/** A session's lifetime when its cookie has no expiry (a browser-session cookie): 24 h, connect-redis' own default. */
export const DEFAULT_UNEXPIRING_SESSION_TTL_MS = 24 * 60 * 60 * 1000;

export interface TrackerSettings {
  readonly userId: SessionUserId;
  readonly customUserId: boolean;
  readonly maxLifetimeMs: number | undefined;
  readonly touchEveryMs: number;
}

/** What express-session hands a store: the `Session` object, which carries its request (not enumerable). */
interface SessionObject {
  readonly req?: { readonly ip?: string; readonly headers?: Readonly<Record<string, string | string[] | undefined>> };
}

/**
 * Keeps the app's express-session store and the express-logout records in step. The app's store stays the
 * home of the session data; the record is the authority on whether a logged-in session is live. Each
 * stored session that has a record carries the record's id (see `TRACKING_FIELD`), so a stored session whose
 * record is gone is known to have ended, and one without the field is a session from before tracking.
 */
export class SessionTracker {
  readonly #inner: InnerStore;
  readonly #records: SessionRecords;
  readonly #settings: TrackerSettings;
  /** Sessions handed to express-session by `load`, until its `createSession` builds the `Session` object. */
  readonly #loading = new WeakMap<object, TrackedState>();

  constructor(inner: InnerStore, records: SessionRecords, settings: TrackerSettings) {
    this.#inner = inner;
    this.#records = records;
    this.#settings = settings;
  }

  userIdOf(data: SessionData): string | undefined {
    return normaliseUserId(this.#settings.userId(data), this.#settings.customUserId);
  }

  /**
   * A request's read. The app's store and the record are asked at once (one extra round trip, in parallel).
   * Answers `null` for a session that has ended, after destroying it in the app's store.
   */
  async load(sid: string): Promise<SessionData | null> {
    const [stored, record] = await Promise.all([this.#inner.get(sid), this.#records.live(sid)]);
    if (stored === null) {
      // Expired or destroyed in the app's store: the record follows, so the session list stays true.
      if (record !== undefined) await this.#records.end(record, undefined);
      return null;
    }
    const data = withoutTracking(stored);
    const trackedAs = trackedRecordId(stored);
    const userId = this.userIdOf(data);
    if (record !== undefined && (trackedAs === undefined || trackedAs === record.id)) {
      if (userId === record.userId) {
        const seen = this.#seenIfDue(record);
        if (seen !== undefined) await seen;
        return this.#handOver(sid, data, record);
      }
      await this.#records.end(record, undefined);
      if (userId === undefined) return this.#handOver(sid, data, undefined);
      // The stored session now names another user than its record, behind tracking's back: refuse it.
      await this.#endStored(sid, record.expiresAt);
      return null;
    }
    if (trackedAs !== undefined || record !== undefined) {
      // Tracked once and its record is gone (ended, or expired), or tracked under another record: refused.
      if (record !== undefined) await this.#records.end(record, undefined);
      await this.#endStored(sid, cookieExpiresAt(data) ?? Date.now() + DEFAULT_UNEXPIRING_SESSION_TTL_MS);
      return null;
    }
    if (userId === undefined) return this.#handOver(sid, data, undefined);
    // Logged in before tracking was added: adopt it, unless it had ended and was written back untracked.
    if (await this.#records.buried(sid)) {
      await this.#inner.destroy(sid);
      return null;
    }
    const adopted = await this.#open(sid, data, userId, {});
    if (adopted !== undefined) await this.#inner.set(sid, withTracking(data, adopted.id));
    return this.#handOver(sid, data, adopted);
  }

  /** Called from the store's `createSession`: the new `Session` object gets what `load` learnt. */
  attach(sid: string, data: object, session: object): void {
    const state = this.#loading.get(data);
    if (state?.sid === sid) attachTrackedState(session, state);
  }

  /** Called when express-session generates a new session in a request (no cookie, or `regenerate`). */
  generated(sid: string, session: object): void {
    attachTrackedState(session, { sid, store: this.#records.store, origin: "generated", record: undefined });
  }

  /** A write: the session was modified (a login, a logout, the app's own data) or is saved on every request. */
  async save(sid: string, session: object): Promise<void> {
    const data = withoutTracking({ ...(session as SessionData) });
    const userId = this.userIdOf(data);
    const state = trackedStateOf(session);
    if (state === undefined || state.sid !== sid) {
      await this.#saveUnseen(sid, data, userId, session);
      return;
    }
    const record = state.record;
    if (record !== undefined && record.userId === userId) {
      await this.#inner.set(sid, withTracking(data, record.id));
      // expressjs/session#632: this request loaded the session before it was ended elsewhere and finishes only
      // now. Written first and checked after, so an end at any moment in between is seen here or wins.
      const live = await this.#records.live(sid);
      if (live?.id !== record.id) {
        state.record = undefined;
        await this.#endStored(sid, record.expiresAt);
      }
      return;
    }
    if (record !== undefined) {
      state.record = undefined;
      const wasLive = await this.#records.end(record, record.userId);
      // Ended by someone else while this request ran: it must not come back under another name either.
      if (!wasLive) {
        await this.#endStored(sid, record.expiresAt);
        return;
      }
    }
    state.record = userId === undefined ? undefined : await this.#open(sid, data, userId, deviceOf(session));
    await this.#writeOrUndo(sid, data, state.record);
  }

  /** An unmodified request's "still in use": resets the app's idle timer. Never recreates a destroyed session. */
  async touch(sid: string, session: object): Promise<void> {
    const state = trackedStateOf(session);
    await this.#inner.touch(sid, withTracking(session as SessionData, state?.sid === sid ? state.record?.id : undefined));
  }

  /**
   * `req.session.destroy()`, `regenerate` (passport's login and logout): the record ends with the session.
   * `known` is what this request learnt of the session, when the caller has it (`regenerate` does): a
   * session this request knows to have no record is destroyed without asking the express-logout store.
   */
  async destroy(sid: string, known?: TrackedState): Promise<void> {
    const record = known?.sid === sid ? known.record : await this.#records.live(sid);
    if (record !== undefined) await Promise.all([this.#records.bury(sid, record.expiresAt), this.#records.end(record, record.userId)]);
    await this.#inner.destroy(sid);
  }

  /** Destroys a session whose record the caller has just ended (a logout through the library). */
  async closeEnded(sid: string, until: EpochMs): Promise<void> {
    await this.#endStored(sid, until);
  }

  /** A write for a session this request did not load through tracking (the app calling `store.set` itself). */
  async #saveUnseen(sid: string, data: SessionData, userId: string | undefined, session: object): Promise<void> {
    const live = await this.#records.live(sid);
    if (live !== undefined && live.userId === userId) {
      await this.#inner.set(sid, withTracking(data, live.id));
      return;
    }
    if (live !== undefined) await this.#records.end(live, live.userId);
    else if (userId !== undefined) {
      const [stored, buried] = await Promise.all([this.#inner.get(sid), this.#records.buried(sid)]);
      // Tracked once and ended since: the write is dropped, and the leftover destroyed.
      if (buried || (stored !== null && trackedRecordId(stored) !== undefined)) {
        if (stored !== null) await this.#inner.destroy(sid);
        return;
      }
    }
    const record = userId === undefined ? undefined : await this.#open(sid, data, userId, deviceOf(session));
    await this.#writeOrUndo(sid, data, record);
  }

  /** Writes the session; when the write fails, a record opened for it is ended again, so nothing is half-done. */
  async #writeOrUndo(sid: string, data: SessionData, record: SessionRecord | undefined): Promise<void> {
    try {
      await this.#inner.set(sid, withTracking(data, record?.id));
    } catch (error) {
      if (record !== undefined) await this.#records.end(record, undefined).catch(() => undefined);
      throw error;
    }
  }

  /** Opens a record that lives as long as the session may: `maxLifetimeMs`, else the cookie's expiry. */
  async #open(sid: string, data: SessionData, userId: string, device: DeviceFacts): Promise<SessionRecord | undefined> {
    const now = Date.now();
    const max = this.#settings.maxLifetimeMs;
    const expiresAt = max === undefined ? (cookieExpiresAt(data) ?? now + DEFAULT_UNEXPIRING_SESSION_TTL_MS) : now + max;
    if (expiresAt <= now) return undefined;
    return this.#records.open(sid, userId, expiresAt, device);
  }

  /** Destroys an ended session in the app's store, after leaving its tombstone. */
  async #endStored(sid: string, until: EpochMs): Promise<void> {
    await this.#records.bury(sid, until);
    await this.#inner.destroy(sid);
  }

  /** The write of "last seen" when one is due, else `undefined`: most reads have none to wait for. */
  #seenIfDue(record: SessionRecord): Promise<void> | undefined {
    const now = Date.now();
    return now - (record.lastSeenAt ?? record.createdAt) >= this.#settings.touchEveryMs ? this.#records.seen(record, now) : undefined;
  }

  #handOver(sid: string, data: SessionData, record: SessionRecord | undefined): SessionData {
    this.#loading.set(data, { sid, store: this.#records.store, origin: "loaded", record });
    return data;
  }
}

function deviceOf(session: object): DeviceFacts {
  const req = (session as SessionObject).req;
  const agent = req?.headers?.["user-agent"];
  return { ip: req?.ip, userAgent: typeof agent === "string" ? agent : undefined };
}

