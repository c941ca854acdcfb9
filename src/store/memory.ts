import { seenAt } from "../lifetime/activity.js";
import { isSessionLive, sessionEndsAt, steppedUp } from "../lifetime/deadlines.js";
import { checkKnownOptions, optionNames, positiveOption } from "../options/index.js";
import type { CompleteSessionStore, EndedUserSessions, EndSessionByIdOptions, EndSessionByTokenOptions, EndUserSessionsByTokenOptions, EpochMs, JwtRevocation, ProviderSessionLink, RevokeUserSessionsOptions, SessionLimit, SessionLimitResult, SessionRecord, TotpAttempt, TotpAttemptResult, TotpAttemptStore } from "./types.js";
import { DeadlineMap } from "./deadline-map.js";
import { ExpiringMap } from "./expiring-map.js";
import { MemoryTotpAttempts } from "./memory-totp.js";
import { UserSessionIndex } from "./memory-user-index.js";
import { ProviderLinkIndex } from "./memory-provider-links.js";
import { checkPageRequest, encodeCursor, type AllSessionsPage, type AllSessionsPageRequest, type SessionDirectory } from "./session-directory.js";
import { SessionOrder } from "./session-order.js";
import { answersInProcess } from "./in-process.js";
import { SessionEndListeners, type RevocationFeed, type SessionEndListener, type SessionEndReason } from "./revocation-feed.js";

/** Options of `new MemorySessionStore(options)`. */
export interface MemorySessionStoreOptions {
  /**
   * How often expired entries are swept, in ms. Reads never return an expired entry whatever this is; the
   * sweep only frees memory.
   * @defaultValue 60 000. The timer is `unref`'d, so it never keeps a process alive
   */
  readonly sweepIntervalMs?: number;
}

const MEMORY_STORE_OPTIONS = optionNames<MemorySessionStoreOptions>({ sweepIntervalMs: true });

/**
 * The embedded store: one process, O(1) per operation. Sessions are indexed by id, by token hash and by user;
 * revoking all of a user's k sessions costs O(k), never O(all sessions). Use `RedisSessionStore` (or your own
 * store) as soon as more than one process serves the same users.
 */
export class MemorySessionStore implements CompleteSessionStore, TotpAttemptStore, RevocationFeed, SessionDirectory {
  /** A session's deadline is its end, idle or absolute: a read past it finds nothing, with no scan. */
  readonly #sessions: DeadlineMap<SessionRecord>;
  /** Every session by creation time, for the administrator's `listAllSessions`. */
  readonly #order = new SessionOrder();
  readonly #byTokenHash = new Map<string, string>();
  readonly #byUser = new UserSessionIndex();
  readonly #markers: ExpiringMap<true>;
  readonly #counters: ExpiringMap<number>;
  /** TOTP attempts (`attemptTotp`): one record per user, apart from the markers and counters of `MarkerStore`. */
  readonly #totp: MemoryTotpAttempts;
  readonly #deniedJwts: ExpiringMap<true>;
  readonly #jwtCutoffs: ExpiringMap<EpochMs>;
  readonly #providerLinks = new ProviderLinkIndex();
  readonly #timer: NodeJS.Timeout;
  /** The revocation feed: in-process, so it never loses a notice and is never interrupted. */
  readonly #endListeners = new SessionEndListeners();

  constructor(options: Readonly<MemorySessionStoreOptions> = {}) {
    checkKnownOptions("MemorySessionStore", options, MEMORY_STORE_OPTIONS);
    const sweepIntervalMs = positiveOption("MemorySessionStore", "sweepIntervalMs", options.sweepIntervalMs ?? 60_000);
    const bucketMs = Math.max(1_000, Math.min(sweepIntervalMs, 60_000));
    this.#sessions = new DeadlineMap<SessionRecord>(bucketMs, sessionEndsAt, (id, session) => {
      this.#unindex(id, session);
      this.#announce(session, "expired");
    });
    this.#markers = new ExpiringMap(bucketMs);
    this.#counters = new ExpiringMap(bucketMs);
    this.#totp = new MemoryTotpAttempts(bucketMs);
    this.#deniedJwts = new ExpiringMap(bucketMs);
    this.#jwtCutoffs = new ExpiringMap(bucketMs);
    this.#timer = setInterval(() => {
      this.sweep();
    }, sweepIntervalMs);
    this.#timer.unref();
  }

  /** Live sessions held (expired ones not yet swept included). */
  get size(): number {
    return this.#sessions.size;
  }

  /** How many users have at least one revocation-feed subscriber. */
  get feedSubscriptions(): number {
    return this.#endListeners.users;
  }

  /** Frees the memory of everything that has expired. Runs on its own timer; call it to force one. */
  sweep(now = Date.now()): void {
    this.#sessions.sweep(now);
    this.#markers.sweep(now);
    this.#counters.sweep(now);
    this.#totp.sweep(now);
    this.#deniedJwts.sweep(now);
    this.#jwtCutoffs.sweep(now);
  }

  /** Stops the sweep timer and forgets everything. */
  close(): void {
    clearInterval(this.#timer);
    this.#sessions.clear();
    this.#byTokenHash.clear();
    this.#byUser.clear();
    this.#order.clear();
    this.#markers.clear();
    this.#counters.clear();
    this.#totp.clear();
    this.#deniedJwts.clear();
    this.#jwtCutoffs.clear();
    this.#providerLinks.clear();
    this.#endListeners.clear();
  }

  createSession(session: SessionRecord): Promise<void> {
    if (this.#sessions.get(session.id) !== undefined) {
      return Promise.reject(new Error(`session id ${session.id} already exists`));
    }
    if (this.#byTokenHash.has(session.tokenHash)) {
      return Promise.reject(new Error("a session with this token hash already exists"));
    }
    if (!isSessionLive(session)) return Promise.resolve();
    const record = { ...session, ...(session.amr === undefined ? {} : { amr: [...session.amr] }) };
    this.#sessions.set(session.id, record);
    this.#byTokenHash.set(session.tokenHash, session.id);
    this.#byUser.add(session.userId, session.id);
    this.#order.add(session.id, session.createdAt);
    return Promise.resolve();
  }

  getSession(id: string): Promise<SessionRecord | undefined> {
    return Promise.resolve(this.#sessions.get(id));
  }

  findSessionByTokenHash(tokenHash: string): Promise<SessionRecord | undefined> {
    return Promise.resolve(this.#sessionOfToken(tokenHash));
  }

  listSessions(userId: string): Promise<SessionRecord[]> {
    const sessions = this.#liveSessionsOf(userId);
    sessions.sort((a, b) => a.createdAt - b.createdAt);
    return Promise.resolve(sessions);
  }

  #liveSessionsOf(userId: string): SessionRecord[] {
    const now = Date.now();
    const sessions: SessionRecord[] = [];
    for (const id of this.#byUser.sessionIds(userId)) {
      const session = this.#sessions.get(id, now);
      if (session !== undefined) sessions.push(session);
    }
    return sessions;
  }

  touchSession(id: string, at: EpochMs): Promise<void> {
    const session = this.#sessions.get(id);
    if (session === undefined) return Promise.resolve();
    const touched = seenAt(session, at);
    // A later idle deadline re-files the entry in its new time bucket: O(1), and the idle deadline is enforced by
    // the same lazy check as the absolute one.
    this.#sessions.set(id, touched);
    return Promise.resolve();
  }

  /**
   * A TOTP attempt in one call, by the throttle's rules (`memory-totp.ts`): synchronous, so atomic in this
   * process, and one store call for `requireTotp` instead of the markers' several.
   */
  attemptTotp(attempt: TotpAttempt): Promise<TotpAttemptResult> {
    return Promise.resolve(this.#totp.attempt(attempt, this.#recordStepUp));
  }

  /** A pass's step-up, only on the attempt's user's own session: Redis finds the record under that user's key. */
  readonly #recordStepUp = (sessionId: string, userId: string, now: EpochMs, method: string): boolean => {
    const session = this.#sessions.get(sessionId);
    if (session === undefined || session.userId !== userId || !isSessionLive(session, now)) return false;
    this.#stepUp(session, now, method);
    return true;
  };

  /** A session's fresh proof of the user: `authenticatedAt` moves forward to `at`, `method` to the end of `amr`. */
  #stepUp(session: SessionRecord, at: EpochMs, method: string): void {
    this.#sessions.set(session.id, steppedUp(session, at, method));
  }

  recordAuthentication(id: string, at: EpochMs, method: string): Promise<boolean> {
    const session = this.#sessions.get(id);
    if (session === undefined) return Promise.resolve(false);
    this.#stepUp(session, at, method);
    return Promise.resolve(true);
  }

  async createSessionWithinLimit(session: SessionRecord, limit: SessionLimit): Promise<SessionLimitResult> {
    // One process, no await before the insert: the count, the ending and the insert cannot interleave with
    // another login of the same user.
    const live = this.#liveSessionsOf(session.userId);
    const excess = live.length - limit.maxSessions + 1;
    if (excess > 0 && limit.whenFull === "refuse") return { created: false, ended: [] };
    const ended: string[] = [];
    if (excess > 0) {
      live.sort((a, b) => (a.lastSeenAt ?? a.createdAt) - (b.lastSeenAt ?? b.createdAt) || a.createdAt - b.createdAt);
      for (const victim of live.slice(0, excess)) {
        this.#sessions.delete(victim.id);
        this.#unindex(victim.id, victim);
        this.#announce(victim, "revoked");
        ended.push(victim.id);
      }
    }
    await this.createSession(session);
    return { created: true, ended };
  }

  revokeSession(id: string): Promise<boolean> {
    return Promise.resolve(this.#revoke(id));
  }

  /** Removes the session with this id; answers whether it was live. Synchronous, for the one-call endings. */
  #revoke(id: string): boolean {
    const live = this.#sessions.get(id) !== undefined;
    const session = this.#sessions.delete(id);
    if (session !== undefined) this.#unindex(id, session);
    if (live && session !== undefined) this.#announce(session, "revoked");
    return live;
  }

  /** The live session whose token hashes to `tokenHash`, or `undefined`. */
  #sessionOfToken(tokenHash: string): SessionRecord | undefined {
    const id = this.#byTokenHash.get(tokenHash);
    return id === undefined ? undefined : this.#sessions.get(id);
  }

  /**
   * Ends the live session whose token hashes to `tokenHash` and answers it as it was: a logout's lookup and
   * revoke in one call, as on Redis, with nothing between them.
   * @param tokenHash - the hash of the session's token (`hashSecret`)
   * @param options - the marker to claim with the ending, living until the session would have expired
   * @returns the session as it was, or `undefined` when no live session has this token
   */
  endSessionByTokenHash(tokenHash: string, options: EndSessionByTokenOptions = {}): Promise<SessionRecord | undefined> {
    const session = this.#sessionOfToken(tokenHash);
    if (session === undefined) return Promise.resolve(undefined);
    const { marker } = options;
    // One process, no await between the read, the marker and the revoke: nothing can interleave.
    if (marker !== undefined) this.#claim(marker.key, Math.max(marker.ttlMs, session.expiresAt - Date.now()));
    this.#revoke(session.id);
    return Promise.resolve(session);
  }

  /**
   * Ends every live session of the user whose live session the token hashes to (that one too unless
   * `keepCaller`), in one call: the logout of "all" or "others".
   * @param tokenHash - the hash of the caller's token (`hashSecret`)
   * @param options - `keepCaller` keeps the token's own session (the logout of "others")
   * @returns the token's session as it was and how many ended, or `undefined` when no live session has this token
   */
  endUserSessionsByTokenHash(tokenHash: string, options: EndUserSessionsByTokenOptions = {}): Promise<EndedUserSessions | undefined> {
    const session = this.#sessionOfToken(tokenHash);
    if (session === undefined) return Promise.resolve(undefined);
    const ended = this.#revokeUserSessions(session.userId, options.keepCaller === true ? { exceptSessionId: session.id } : {});
    return Promise.resolve({ session, ended });
  }

  /**
   * Ends the live session with this id (only `options.userId`'s, when given) with `options.marker` claimed in the
   * same step, and answers it as it was. Costs no round trip here; it keeps the handlers' path the same as on Redis.
   * @param id - the session's id
   * @param options - whose it must be, and the marker to claim with the ending
   * @returns the session as it was, or `undefined` when none of this id (and user) was live
   */
  endSessionById(id: string, options: EndSessionByIdOptions = {}): Promise<SessionRecord | undefined> {
    const session = this.#sessions.get(id);
    if (session === undefined || (options.userId !== undefined && session.userId !== options.userId)) return Promise.resolve(undefined);
    // One process, no await between the read, the marker and the revoke: nothing can interleave.
    if (options.marker !== undefined) this.#claim(options.marker.key, options.marker.ttlMs);
    this.#revoke(id);
    return Promise.resolve(session);
  }

  revokeUserSessions(userId: string, options: RevokeUserSessionsOptions = {}): Promise<number> {
    return Promise.resolve(this.#revokeUserSessions(userId, options));
  }

  #revokeUserSessions(userId: string, options: RevokeUserSessionsOptions): number {
    const now = Date.now();
    let count = 0;
    for (const id of this.#byUser.sessionIds(userId)) {
      if (id === options.exceptSessionId) continue;
      const session = this.#sessions.get(id, now);
      if (session === undefined) continue;
      if (options.apiKeyId !== undefined && session.apiKeyId !== options.apiKeyId) continue;
      this.#sessions.delete(id);
      this.#unindex(id, session);
      this.#announce(session, "revoked");
      count += 1;
    }
    return count;
  }

  claim(key: string, ttlMs: number): Promise<boolean> {
    return Promise.resolve(this.#claim(key, ttlMs));
  }

  /** Sets a marker unless one is set; synchronous, for the calls that must not interleave with another. */
  #claim(key: string, ttlMs: number): boolean {
    const now = Date.now();
    return this.#markers.setIfAbsent(key, true, now + ttlMs, now);
  }

  isClaimed(key: string): Promise<boolean> {
    return Promise.resolve(this.#markers.get(key) !== undefined);
  }

  incrementCounter(key: string, windowMs: number): Promise<number> {
    return Promise.resolve(this.#count(key, windowMs));
  }

  /** Adds one to a counter, starting it with `windowMs` to live when there is none; synchronous. */
  #count(key: string, windowMs: number): number {
    const now = Date.now();
    const current = this.#counters.get(key, now);
    if (current === undefined) {
      this.#counters.set(key, 1, now + windowMs);
      return 1;
    }
    this.#counters.update(key, current + 1);
    return current + 1;
  }

  readCounter(key: string): Promise<number> {
    return Promise.resolve(this.#counters.get(key) ?? 0);
  }

  denyJwt(userId: string, jti: string, expiresAt: EpochMs): Promise<void> {
    if (expiresAt > Date.now()) this.#deniedJwts.set(jwtKey(userId, jti), true, expiresAt);
    return Promise.resolve();
  }

  revokeJwtsIssuedBefore(userId: string, issuedBefore: EpochMs, keepUntil: EpochMs): Promise<void> {
    const previous = this.#jwtCutoffs.get(userId);
    const cutoff = previous === undefined ? issuedBefore : Math.max(previous, issuedBefore);
    const until = Math.max(keepUntil, this.#jwtCutoffs.expiresAt(userId) ?? 0);
    if (until > Date.now()) this.#jwtCutoffs.set(userId, cutoff, until);
    return Promise.resolve();
  }

  jwtRevocation(userId: string, jti: string): Promise<JwtRevocation> {
    return Promise.resolve({
      denied: this.#deniedJwts.get(jwtKey(userId, jti)) !== undefined,
      issuedBefore: this.#jwtCutoffs.get(userId),
    });
  }

  linkProviderSession(link: ProviderSessionLink): Promise<void> {
    if (link.expiresAt > Date.now()) this.#providerLinks.add(link);
    return Promise.resolve();
  }

  findSessionsByProviderSid(issuer: string, sid: string): Promise<ProviderSessionLink[]> {
    return Promise.resolve(this.#providerLinks.bySid(issuer, sid, (id) => this.#sessions.get(id) !== undefined));
  }

  findSessionsByProviderSubject(issuer: string, subject: string): Promise<ProviderSessionLink[]> {
    return Promise.resolve(this.#providerLinks.bySubject(issuer, subject, (id) => this.#sessions.get(id) !== undefined));
  }

  listAllSessions(request: AllSessionsPageRequest): Promise<AllSessionsPage> {
    let checked;
    try {
      checked = checkPageRequest(request);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    const { cursor, limit } = checked;
    const now = Date.now();
    const { ids, more } = this.#order.page(cursor, limit, (id) => this.#sessions.get(id, now) !== undefined);
    const sessions = ids.map((id) => this.#sessions.get(id, now)).filter((s): s is SessionRecord => s !== undefined);
    const last = sessions[sessions.length - 1];
    return Promise.resolve({ sessions, cursor: more && last !== undefined ? encodeCursor([last.createdAt, last.id]) : undefined });
  }

  countAllSessions(): Promise<number> {
    return Promise.resolve(this.#order.size);
  }

  extendSession(id: string, expiresAt: EpochMs): Promise<SessionRecord | undefined> {
    const session = this.#sessions.get(id);
    if (session === undefined || !Number.isFinite(expiresAt) || expiresAt <= Date.now()) return Promise.resolve(undefined);
    const extended = { ...session, expiresAt };
    // The idle timeout still applies: an extended session that nobody uses idles out as before.
    this.#sessions.set(id, extended);
    return Promise.resolve(extended);
  }

  /**
   * The revocation feed: `listener` hears every end of `userId`'s sessions in this process (logouts of every
   * kind, and expiry when the store notices it: on a read or a sweep). Never interrupted.
   */
  subscribeSessionEnds(userId: string, listener: SessionEndListener): Promise<() => void> {
    this.#endListeners.add(userId, listener);
    return Promise.resolve(() => {
      this.#endListeners.remove(userId, listener);
    });
  }

  /** Delivered after the current call returns, so a listener never runs inside the store operation. */
  #announce(session: SessionRecord, reason: SessionEndReason): void {
    if (!this.#endListeners.has(session.userId)) return;
    const notice = { sessionId: session.id, userId: session.userId, reason, at: Date.now() };
    queueMicrotask(() => {
      this.#endListeners.deliver(notice);
    });
  }

  #unindex(id: string, session: SessionRecord): void {
    this.#providerLinks.forget(id);
    this.#order.remove(id, session.createdAt);
    if (this.#byTokenHash.get(session.tokenHash) === id) this.#byTokenHash.delete(session.tokenHash);
    this.#byUser.remove(session.userId, id);
  }
}

function jwtKey(userId: string, jti: string): string {
  // JSON keeps the pair unambiguous whatever characters either part holds.
  return JSON.stringify([userId, jti]);
}

// Every method above answers from memory before it returns (its promise is already settled): the checked store
// arms no deadline for them, unless an instance's method has been replaced.
answersInProcess(MemorySessionStore.prototype);
