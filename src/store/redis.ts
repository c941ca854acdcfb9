import { AUTHENTICATION_METHOD, isSessionLive, sessionEndsAt } from "../lifetime/deadlines.js";
import { SetupError, checkKnownOptions, optionNames } from "../options/index.js";
import type { CompleteSessionStore, EndedUserSessions, EndSessionByIdOptions, EndSessionByTokenOptions, EndUserSessionsByTokenOptions, EpochMs, TotpAttempt, TotpAttemptResult, TotpAttemptStore, JwtRevocation, ProviderSessionLink, RevokeUserSessionsOptions, SessionLimit, SessionLimitResult, SessionRecord } from "./types.js";
import { findProviderLinks, linkProviderSession, PROVIDER_LINK_SCRIPTS, type RedisLinkContext } from "./redis-provider-links.js";
import {
  ALL_SCRIPTS,
  CLAIM_ROUTE,
  CREATE_SESSION,
  CREATE_SESSION_WITHIN_LIMIT,
  END_SESSION_BY_ID,
  END_SESSION_BY_TOKEN,
  END_USER_SESSIONS_BY_TOKEN,
  FIND_BY_TOKEN,
  GET_SESSION,
  INCREMENT_COUNTER,
  JWT_CUTOFF,
  LIST_SESSIONS,
  RECORD_AUTHENTICATION,
  REVOKE_SESSION,
  REVOKE_USER_SESSIONS,
  SESSION_FIELDS,
  TOUCH_SESSION,
  type RedisScript,
  type UserSlotScript,
} from "./redis-scripts.js";
import { TOTP_ATTEMPT } from "./redis-totp.js";
import { EXTEND_SESSION, INDEX_ADD, INDEX_COUNT, INDEX_PAGE, INDEX_REMOVE, INDEX_SCRIPTS, indexKeys } from "./redis-session-index.js";
import { checkPageRequest, encodeCursor, type AllSessionsPage, type AllSessionsPageRequest, type SessionDirectory } from "./session-directory.js";
import { RedisRevocationFeed, assertRedisSubscriber, type RedisSubscriber } from "./redis-feed.js";
import type { RevocationFeed, SessionEndListener } from "./revocation-feed.js";

/** Where a command must go in a Redis Cluster. Standalone clients ignore it. */
export interface RedisCommandRoute {
  /** A key of the command (every key of one command shares its slot), or `undefined` for a keyless command. */
  readonly key: string | undefined;
}

/**
 * Sends one command and answers its reply, the way the client you already use does it:
 * - `redis` v5: `(args) => client.sendCommand(args)`;
 * - `redis` v5 cluster: `(args, { key }) => cluster.sendCommand(key, false, args)`;
 * - `ioredis` (client or cluster): `(args) => client.call(args[0]!, ...args.slice(1))`.
 */
export type RedisSendCommand = (args: string[], route: RedisCommandRoute) => Promise<unknown>;

/** Options of `new RedisSessionStore(options)`: the client's `sendCommand`, and the key layout. */
export interface RedisSessionStoreOptions {
  /** Sends a command through your Redis client (see `RedisSendCommand`). Required. */
  readonly sendCommand: RedisSendCommand;
  /**
   * Prepended to every key. Must not contain `{` or `}`: the store puts its own hash tags after it.
   * @defaultValue `"express-logout:"`
   */
  readonly prefix?: string;
  /**
   * Answers whether the client is connected now (`() => client.isReady` for `redis`,
   * `() => client.status === "ready"` for `ioredis`). When it answers `false`, every call fails at once
   * (a 503 in every shape) instead of waiting on a reconnecting client.
   * @defaultValue always ready
   */
  readonly isReady?: () => boolean;
  /**
   * How many session-id and token-hash → user routes this instance remembers, to save the route lookup's
   * round trip. Routes never change meaning, so a remembered one is never wrong for long: a miss falls back
   * to Redis. Liveness is always read from Redis.
   * @defaultValue 10 000; `0` turns it off
   */
  readonly routeCacheSize?: number;
  /**
   * The client is a Redis Cluster client. On standalone Redis (the default), a lookup by session id or token
   * hash reads its route inside the script that uses it: one round trip. In a Cluster the route lives in
   * another slot than the user's keys, so it is read first (or taken from the route cache): two round trips
   * when the cache does not know it. A store left at the default on a Cluster notices the first cross-slot
   * refusal and switches by itself; setting `cluster: true` saves that one failed attempt.
   * @defaultValue `false`
   */
  readonly cluster?: boolean;
  /**
   * How the scripts that end sessions publish each end on the revocation feed (live connections close on it):
   * `"sharded"` (default) publishes with SPUBLISH (Redis 7 or newer; on a Cluster each user's channel stays on
   * the user's shard), `"classic"` with PUBLISH (any version), `"off"` not at all (no instance can then watch
   * sessions through this store). Every instance sharing the keys must use the same setting.
   */
  readonly revocationFeed?: "sharded" | "classic" | "off";
  /**
   * Receives the revocation feed, on a dedicated subscriber connection (see `RedisSubscriber`). Without it the
   * store still publishes ends, but this instance cannot subscribe (`watchSessions` refuses the store).
   */
  readonly subscriber?: RedisSubscriber;
  /**
   * Keep an index of every session (two sorted sets in one slot, see docs/redis.md), so that the
   * administrator's `listAllSessions` answers a page in O(page) at any size. It costs one more command per
   * login, sent alongside the login's own (no extra round trip), and one per logout. Turn it on where an
   * administrator lists sessions: the admin factories that list every session refuse a store without it at
   * setup. Sessions opened while it was off are not listed until they are extended.
   * @defaultValue `false`
   */
  readonly indexAllSessions?: boolean;
}

const OPTION_NAMES = optionNames<RedisSessionStoreOptions>({
  sendCommand: true,
  prefix: true,
  isReady: true,
  routeCacheSize: true,
  cluster: true,
  revocationFeed: true,
  subscriber: true,
  indexAllSessions: true,
});
const DEFAULT_PREFIX = "express-logout:";

/**
 * Sessions, one-time markers, counters and JWT revocations in Redis (standalone or Cluster), through the
 * client you already use: the store takes a `sendCommand` function and imports no Redis client.
 *
 * Layout (see docs/redis.md): everything of a user shares the user's hash tag, so a user's changes are one
 * Lua script in one slot (atomic, Cluster-safe); a session id and a token hash each have a small route key in
 * their own slot that names the user. Every key has a TTL; no request path uses KEYS or SCAN.
 *
 * Configure the client so that a command issued while it is offline fails at once instead of being queued
 * and run later, after the request already got its 503: `redis` v5 `disableOfflineQueue: true`; `ioredis`
 * `enableOfflineQueue: false` and a small `maxRetriesPerRequest`.
 *
 * ```ts
 * const client = createClient({ url, disableOfflineQueue: true });
 * await client.connect();
 * const store = new RedisSessionStore({ sendCommand: (args) => client.sendCommand(args), isReady: () => client.isReady });
 * ```
 */
export class RedisSessionStore implements CompleteSessionStore, Partial<RevocationFeed>, SessionDirectory, TotpAttemptStore {
  readonly #send: RedisSendCommand;
  readonly #prefix: string;
  readonly #isReady: (() => boolean) | undefined;
  readonly #routeCacheSize: number;
  /** Routes are read inside the scripts (standalone Redis) until a Cluster refuses a cross-slot access. */
  #routesInScripts: boolean;
  /** "s" + session id or "t" + token hash → user id. Insertion order doubles as LRU order. */
  readonly #routes = new Map<string, string>();
  readonly #links: RedisLinkContext;
  readonly #indexAll: boolean;
  /** The publish command the scripts that end sessions run ("" for none). */
  readonly #publish: "SPUBLISH" | "PUBLISH" | "";
  readonly #feed: RedisRevocationFeed | undefined;
  /**
   * The revocation feed capability, present when the store has a `subscriber`: subscribes to the ends of one
   * user's sessions on every instance sharing these keys.
   */
  readonly subscribeSessionEnds?: (userId: string, listener: SessionEndListener) => Promise<() => void>;

  constructor(options: Readonly<RedisSessionStoreOptions>) {
    if (typeof options !== "object" || (options as unknown) === null) {
      throw new SetupError("options-missing", "RedisSessionStore needs an options object with `sendCommand`, e.g. `{ sendCommand: (args) => client.sendCommand(args) }`.");
    }
    for (const name of ["client", "redis"]) {
      if (Object.hasOwn(options, name)) {
        throw new SetupError("option-unknown", `RedisSessionStore received an unsupported option \`${name}\`. Pass a function instead: \`sendCommand: (args) => client.sendCommand(args)\`.`);
      }
    }
    checkKnownOptions("RedisSessionStore", options, OPTION_NAMES);
    if (typeof options.sendCommand !== "function") {
      throw new SetupError(
        "option-invalid",
        "RedisSessionStore `sendCommand` must be a function that sends one command, e.g. `(args) => client.sendCommand(args)` " +
          "for redis v5 or `(args) => client.call(args[0], ...args.slice(1))` for ioredis.",
      );
    }
    const prefix = options.prefix ?? DEFAULT_PREFIX;
    if (typeof prefix !== "string" || /[{}]/.test(prefix)) {
      throw new SetupError("option-invalid", "RedisSessionStore `prefix` must be a string without `{` or `}` (the store adds its own hash tags).");
    }
    if (options.isReady !== undefined && typeof options.isReady !== "function") {
      throw new SetupError("option-invalid", "RedisSessionStore `isReady` must be a function, e.g. `() => client.isReady`.");
    }
    const routeCacheSize = options.routeCacheSize ?? 10_000;
    if (!Number.isInteger(routeCacheSize) || routeCacheSize < 0) {
      throw new SetupError("option-invalid", "RedisSessionStore `routeCacheSize` must be a whole number >= 0 (0 turns the cache off).");
    }
    if (options.cluster !== undefined && typeof options.cluster !== "boolean") {
      throw new SetupError("option-invalid", "RedisSessionStore `cluster` must be true (a Redis Cluster client) or false (standalone Redis, the default).");
    }
    this.#routesInScripts = options.cluster !== true;
    if (options.indexAllSessions !== undefined && typeof options.indexAllSessions !== "boolean") {
      throw new TypeError("express-logout: RedisSessionStore `indexAllSessions` must be true or false.");
    }
    this.#indexAll = options.indexAllSessions ?? false;
    const revocationFeed: unknown = options.revocationFeed ?? "sharded";
    if (revocationFeed !== "sharded" && revocationFeed !== "classic" && revocationFeed !== "off") {
      throw new TypeError('express-logout: RedisSessionStore `revocationFeed` must be "sharded" (Redis 7+, the default), "classic" or "off".');
    }
    this.#publish = revocationFeed === "sharded" ? "SPUBLISH" : revocationFeed === "classic" ? "PUBLISH" : "";
    if (options.subscriber !== undefined) {
      if (revocationFeed === "off") {
        throw new TypeError('express-logout: RedisSessionStore has a `subscriber` but `revocationFeed: "off"`: nothing would ever be published to it. Remove one of the two.');
      }
      assertRedisSubscriber(options.subscriber);
      const feed = new RedisRevocationFeed(options.subscriber, (userId) => `${this.#userBase(userId)}ended`);
      this.#feed = feed;
      this.subscribeSessionEnds = (userId, listener) => feed.subscribe(userId, listener);
    }
    this.#send = options.sendCommand;
    this.#prefix = prefix;
    this.#isReady = options.isReady;
    this.#routeCacheSize = routeCacheSize;
    this.#links = {
      prefix,
      keyPart,
      sessionKey: (userId, sessionId) => this.#sessionKey(userId, sessionId),
      evalScript: (s, keys, args) => this.#eval(s, keys, args),
      command: (args, key) => this.#command(args, key),
    };
  }

  /** Whether this store keeps the all-sessions index (`indexAllSessions`). */
  get indexesAllSessions(): boolean {
    return this.#indexAll;
  }

  /** How many users' revocation-feed channels this instance is subscribed to (0 without a `subscriber`). */
  get feedSubscriptions(): number {
    return this.#feed?.channels ?? 0;
  }

  /** The key prefix in use. */
  get prefix(): string {
    return this.#prefix;
  }

  /**
   * Optional warm-up: SCRIPT LOAD of every script, checking that the server computes the SHA the store
   * uses. Not needed for correctness (a node that lacks a script gets it through EVAL on the first NOSCRIPT),
   * but a cheap start-up check that the server is reachable and runs Lua. In a Cluster it reaches one node.
   */
  async loadScripts(): Promise<void> {
    for (const s of [...ALL_SCRIPTS, ...INDEX_SCRIPTS, ...PROVIDER_LINK_SCRIPTS, TOTP_ATTEMPT]) {
      const sha = asText(await this.#command(["SCRIPT", "LOAD", s.source], undefined));
      if (sha !== s.sha) throw new Error(`express-logout: RedisSessionStore: SCRIPT LOAD of ${s.name} answered ${String(sha)}, expected ${s.sha}.`);
    }
  }

  async createSession(session: SessionRecord): Promise<void> {
    await this.#create(session, undefined);
  }

  async createSessionWithinLimit(session: SessionRecord, limit: SessionLimit): Promise<SessionLimitResult> {
    const ended = await this.#create(session, limit);
    return ended === undefined ? { created: false, ended: [] } : { created: true, ended };
  }

  /** Stores a session, within `limit` when given. Answers the ids it ended to make room, or `undefined` when refused. */
  async #create(session: SessionRecord, limit: SessionLimit | undefined): Promise<string[] | undefined> {
    const now = Date.now();
    // The record's TTL follows the session's end (idle or absolute); the routes live until the absolute expiry,
    // so a touch that moves the idle deadline never has to extend them.
    const ttl = Math.ceil(sessionEndsAt(session) - now);
    const routeTtl = Math.ceil(session.expiresAt - now);
    // Like the memory store: a session that has already expired is never stored.
    if (!(ttl > 0)) return [];
    const userId = session.userId;
    // Round trip 1: the two routes, each in its own slot. A route names one user for as long as any session
    // with that id or token hash lives, so ids and token hashes stay unique across users.
    const [idOwner, tokenOwner] = await Promise.all([
      this.#claimRoute(this.#sessionRouteKey(session.id), userId, routeTtl, undefined),
      this.#claimRoute(this.#tokenRouteKey(session.tokenHash), userId, routeTtl, undefined),
    ]);
    if (idOwner !== undefined) await this.#takeOverRoute("id", session, idOwner, routeTtl);
    if (tokenOwner !== undefined) await this.#takeOverRoute("token", session, tokenOwner, routeTtl);
    // Round trip 2: record, token index and user index, atomically in the user's slot (with the limit, if any).
    const tokenKey = this.#tokenKey(userId, session.tokenHash);
    const fields: string[] = ["tokenKey", tokenKey];
    for (const name of SESSION_FIELDS) {
      const value = session[name];
      if (value !== undefined) fields.push(name, Array.isArray(value) ? value.join(",") : String(value));
    }
    const keys = [this.#indexKey(userId), this.#sessionKey(userId, session.id), tokenKey];
    const args = [String(now), String(ttl), String(sessionEndsAt(session)), keyPart(session.id), this.#userBase(userId)];
    // The all-sessions index lives in another slot: its command goes alongside, not after (no extra round trip).
    const [reply] = await Promise.all([
      limit === undefined
        ? this.#eval(CREATE_SESSION, keys, [...args, ...fields])
        : this.#eval(CREATE_SESSION_WITHIN_LIMIT, keys, [...args, String(limit.maxSessions), limit.whenFull, this.#publish, ...fields]),
      this.#indexAll ? this.#indexAdd(session, now) : undefined,
    ]);
    const [code, ...ended] = asArray(reply).map(asText);
    if (code === "1") throw new Error(`express-logout: RedisSessionStore: session id ${session.id} already exists`);
    if (code === "2") throw new Error("express-logout: RedisSessionStore: a session with this token hash already exists");
    if (code === "3") return undefined;
    if (code !== "0") throw new TypeError(`express-logout: RedisSessionStore: createSession answered ${String(code)}.`);
    this.#remember(`s${session.id}`, userId);
    this.#remember(`t${session.tokenHash}`, userId);
    return ended.filter((id): id is string => id !== undefined);
  }

  async getSession(id: string): Promise<SessionRecord | undefined> {
    const record = parseSession(await this.#inUserSlot(GET_SESSION, `s${id}`, this.#sessionRouteKey(id), [keyPart(id)]), Date.now());
    return record?.id === id ? record : undefined;
  }

  async findSessionByTokenHash(tokenHash: string): Promise<SessionRecord | undefined> {
    const reply = await this.#inUserSlot(FIND_BY_TOKEN, `t${tokenHash}`, this.#tokenRouteKey(tokenHash), [keyPart(tokenHash), tokenHash]);
    const record = parseSession(reply, Date.now());
    if (record?.tokenHash !== tokenHash) return undefined;
    this.#remember(`s${record.id}`, record.userId);
    return record;
  }

  /**
   * Ends the live session whose token hashes to `tokenHash` and answers it as it was, or `undefined` when there
   * was none: the lookup and the revoke of a logout in one script, so one round trip on standalone Redis, with
   * `options.marker` claimed in the same script. On a Cluster the marker's key lives in a slot of its own: it is
   * claimed first, by a command of its own, and its life extended to the session's end after the ending.
   * @param tokenHash - the hash of the session's token (`hashSecret`)
   * @param options - the marker to claim with the ending
   * @returns the session as it was, or `undefined` when no live session has this token
   */
  async endSessionByTokenHash(tokenHash: string, options: EndSessionByTokenOptions = {}): Promise<SessionRecord | undefined> {
    const { marker } = options;
    const markerKey = marker === undefined ? undefined : `${this.#prefix}claim:${keyPart(marker.key)}`;
    const markerTtl = marker === undefined ? 0 : wholeMs(marker.ttlMs, "ttlMs");
    const args = (withMarker: boolean) => [keyPart(tokenHash), tokenHash, String(Date.now()), this.#publish, withMarker ? (markerKey ?? "") : "", String(markerTtl)];
    const { reply, claimedApart } = await this.#endingWithMarker(markerKey, markerTtl, (withMarker) =>
      this.#inUserSlot(END_SESSION_BY_TOKEN, `t${tokenHash}`, this.#tokenRouteKey(tokenHash), args(withMarker)),
    );
    const record = parseSession(reply, 0);
    if (record?.tokenHash !== tokenHash) return undefined;
    // Claimed apart for the least ttl: it must last as long as the session would have. A least ttl shorter than
    // the ending's round trip may have run out by now (PEXPIRE answers 0): this request won the claim and the
    // session has ended, so the marker is set again.
    const rest = Math.ceil(record.expiresAt - Date.now());
    if (claimedApart && markerKey !== undefined && rest > markerTtl) {
      const extended = await this.#command(["PEXPIRE", markerKey, String(rest)], markerKey);
      if (Number(extended) !== 1) await this.#command(["SET", markerKey, "1", "PX", String(rest)], markerKey);
    }
    if (this.#indexAll) await this.#eval(INDEX_REMOVE, indexKeys(this.#prefix), [record.id]);
    return record;
  }

  async endUserSessionsByTokenHash(tokenHash: string, options: EndUserSessionsByTokenOptions = {}): Promise<EndedUserSessions | undefined> {
    const keepCaller = options.keepCaller === true;
    const reply = await this.#inUserSlot(END_USER_SESSIONS_BY_TOKEN, `t${tokenHash}`, this.#tokenRouteKey(tokenHash), [
      keyPart(tokenHash),
      tokenHash,
      String(Date.now()),
      this.#publish,
      keepCaller ? "1" : "0",
    ]);
    if (reply === undefined || reply === null || reply === false) return undefined;
    const [fields, ended, removed] = asArray(reply);
    const session = parseSession(fields, 0);
    if (session?.tokenHash !== tokenHash) return undefined;
    const ids = asArray(removed).map((id) => asText(id) ?? "");
    if (this.#indexAll && ids.length > 0) await this.#eval(INDEX_REMOVE, indexKeys(this.#prefix), ids);
    return { session, ended: asInteger(ended) };
  }

  /**
   * Ends the live session with this id (only `options.userId`'s, when given) and answers it as it was, with the
   * one-time marker `options.marker` claimed in the same script: one round trip on standalone Redis. On a Cluster
   * the marker's key lives in a slot of its own, so it is claimed first, by a command of its own.
   * @param id - the session's id
   * @param options - whose it must be, and the marker to claim with the ending
   * @returns the session as it was, or `undefined` when none of this id (and user) was live
   */
  async endSessionById(id: string, options: EndSessionByIdOptions = {}): Promise<SessionRecord | undefined> {
    const { userId, marker } = options;
    const markerKey = marker === undefined ? undefined : `${this.#prefix}claim:${keyPart(marker.key)}`;
    const markerTtl = marker === undefined ? 0 : wholeMs(marker.ttlMs, "ttlMs");
    const args = (withMarker: boolean) => [keyPart(id), id, String(Date.now()), this.#publish, userId === undefined ? "" : `=${userId}`, withMarker ? (markerKey ?? "") : "", String(markerTtl)];
    // Knowing the user, the script goes straight to the user's slot: no route to read, on a Cluster either.
    const { reply } = await this.#endingWithMarker(markerKey, markerTtl, (withMarker) =>
      userId === undefined
        ? this.#inUserSlot(END_SESSION_BY_ID, `s${id}`, this.#sessionRouteKey(id), args(withMarker))
        : this.#eval(END_SESSION_BY_ID.direct, [this.#indexKey(userId)], [this.#userBase(userId), ...args(withMarker)]),
    );
    const record = parseSession(reply, 0);
    if (record?.id !== id || (userId !== undefined && record.userId !== userId)) return undefined;
    if (this.#indexAll) await this.#eval(INDEX_REMOVE, indexKeys(this.#prefix), [id]);
    return record;
  }

  /**
   * Runs an ending script with its one-time marker claimed inside it where Redis lets a script reach the marker's
   * key (standalone); else (a Cluster, where the marker lives in a slot of its own) claims the marker first, by a
   * `SET NX` of its own, and runs the script without it. Either way no session ends without its marker. A store
   * left at `cluster: false` that meets the Cluster's refusal switches for good: the marker is the script's first
   * write, so the refused script changed nothing. Answers the script's reply and whether the marker was claimed
   * apart (for its least ttl).
   */
  async #endingWithMarker(markerKey: string | undefined, markerTtl: number, ending: (withMarker: boolean) => Promise<unknown>): Promise<{ reply: unknown; claimedApart: boolean }> {
    if (markerKey === undefined) return { reply: await ending(false), claimedApart: false };
    if (this.#routesInScripts) {
      try {
        return { reply: await ending(true), claimedApart: false };
      } catch (error) {
        if (!isCrossSlot(error)) throw error;
        this.#routesInScripts = false;
      }
    }
    await this.#command(["SET", markerKey, "1", "NX", "PX", String(markerTtl)], markerKey);
    return { reply: await ending(false), claimedApart: true };
  }

  async listSessions(userId: string): Promise<SessionRecord[]> {
    const now = Date.now();
    const flat = asArray(await this.#eval(LIST_SESSIONS, [this.#indexKey(userId)], [String(now), this.#userBase(userId)]));
    const sessions: SessionRecord[] = [];
    for (let i = 0; i + SESSION_FIELDS.length <= flat.length; i += SESSION_FIELDS.length) {
      const record = parseSession(flat.slice(i, i + SESSION_FIELDS.length), now);
      if (record !== undefined) sessions.push(record);
    }
    sessions.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return sessions;
  }

  async touchSession(id: string, at: EpochMs): Promise<void> {
    await this.#inUserSlot(TOUCH_SESSION, `s${id}`, this.#sessionRouteKey(id), [keyPart(id), String(at), String(Date.now())]);
  }

  async recordAuthentication(id: string, at: EpochMs, method: string): Promise<boolean> {
    // amr is kept comma-separated in the record: a method name is checked to be one plain word first.
    if (typeof method !== "string" || !AUTHENTICATION_METHOD.test(method)) {
      throw new TypeError("express-logout: RedisSessionStore: an authentication method is a short lowercase name such as `password` or `totp`.");
    }
    const reply = await this.#inUserSlot(RECORD_AUTHENTICATION, `s${id}`, this.#sessionRouteKey(id), [keyPart(id), String(at), String(Date.now()), method]);
    return reply !== undefined && asInteger(reply) === 1;
  }

  async revokeSession(id: string): Promise<boolean> {
    // The all-sessions index lives in another slot: its removal goes alongside, not after.
    const [reply] = await Promise.all([
      this.#inUserSlot(REVOKE_SESSION, `s${id}`, this.#sessionRouteKey(id), [keyPart(id), String(Date.now()), this.#publish]),
      this.#indexAll ? this.#eval(INDEX_REMOVE, indexKeys(this.#prefix), [id]) : undefined,
    ]);
    return reply !== undefined && asInteger(reply) === 1;
  }

  async revokeUserSessions(userId: string, options: RevokeUserSessionsOptions = {}): Promise<number> {
    const except = options.exceptSessionId;
    const apiKeyId = options.apiKeyId;
    const [count, ...removed] = asArray(await this.#eval(REVOKE_USER_SESSIONS, [this.#indexKey(userId)], [
      String(Date.now()),
      this.#userBase(userId),
      except === undefined ? "0" : "1",
      except === undefined ? "" : keyPart(except),
      apiKeyId === undefined ? "0" : "1",
      apiKeyId ?? "",
      this.#publish,
    ]));
    if (this.#indexAll && removed.length > 0) {
      await this.#eval(INDEX_REMOVE, indexKeys(this.#prefix), removed.map((id) => asText(id) ?? ""));
    }
    return asInteger(count);
  }

  // The administrator's side (SessionDirectory).

  async listAllSessions(request: AllSessionsPageRequest): Promise<AllSessionsPage> {
    this.#needIndex("listAllSessions");
    const { cursor, limit } = checkPageRequest(request);
    let position: [number, string] | undefined = cursor;
    const sessions: SessionRecord[] = [];
    // One more than asked for tells whether a next page exists. Members whose records are gone are skipped;
    // a few rounds bound the work when many are, and a short page still carries its cursor.
    for (let round = 0; round < 4; round++) {
      const want = limit + 1 - sessions.length;
      const flat = asArray(await this.#eval(INDEX_PAGE, indexKeys(this.#prefix), [
        String(Date.now()), String(want), position === undefined ? "" : String(position[0]), position?.[1] ?? "",
      ])).map((v) => asText(v) ?? "");
      const members: Array<[string, number]> = [];
      for (let i = 0; i + 1 < flat.length; i += 2) members.push([flat[i] ?? "", Number(flat[i + 1])]);
      const now = Date.now();
      const records = await Promise.all(members.map(([member]) => this.#readMember(member, now)));
      const gone = members.filter((_, i) => records[i] === undefined).map(([member]) => member);
      if (gone.length > 0) await this.#eval(INDEX_REMOVE, indexKeys(this.#prefix), gone);
      for (const record of records) if (record !== undefined) sessions.push(record);
      const last = members[members.length - 1];
      if (last !== undefined) position = [last[1], last[0]];
      if (sessions.length > limit) {
        const page = sessions.slice(0, limit);
        const end = page[page.length - 1] as SessionRecord;
        return { sessions: page, cursor: encodeCursor([end.createdAt, end.id]) };
      }
      if (members.length < want) return { sessions, cursor: undefined };
    }
    return { sessions, cursor: position === undefined ? undefined : encodeCursor(position) };
  }

  async countAllSessions(): Promise<number> {
    this.#needIndex("countAllSessions");
    return asInteger(await this.#eval(INDEX_COUNT, indexKeys(this.#prefix), [String(Date.now())]));
  }

  async extendSession(id: string, expiresAt: EpochMs): Promise<SessionRecord | undefined> {
    const now = Date.now();
    const ttl = Math.ceil(expiresAt - now);
    if (!(ttl > 0)) return undefined;
    const reply = await this.#inUserSlot(EXTEND_SESSION, `s${id}`, this.#sessionRouteKey(id), [keyPart(id), String(now), String(expiresAt), String(ttl)]);
    const extended = parseSession(reply, now);
    if (extended?.id !== id) return undefined;
    // The routes must outlive the session too, or it could no longer be found by id or token.
    await Promise.all([
      this.#claimRoute(this.#sessionRouteKey(id), extended.userId, ttl, undefined),
      this.#claimRoute(this.#tokenRouteKey(extended.tokenHash), extended.userId, ttl, undefined),
      this.#indexAll ? this.#indexAdd(extended, now) : undefined,
    ]);
    return extended;
  }

  #needIndex(operation: string): void {
    if (!this.#indexAll) throw new Error(`express-logout: RedisSessionStore: ${operation} needs the all-sessions index; this store was created with \`indexAllSessions: false\`.`);
  }

  #indexAdd(session: SessionRecord, now: number): Promise<unknown> {
    return this.#eval(INDEX_ADD, indexKeys(this.#prefix), [String(now), String(session.createdAt), String(session.expiresAt), session.id, String(Math.max(1, Math.ceil(session.expiresAt - now)))]);
  }

  /** The live record an index member (a session id) names, or `undefined`. */
  async #readMember(member: string, now: number): Promise<SessionRecord | undefined> {
    const record = await this.getSession(member);
    return record !== undefined && record.expiresAt > now ? record : undefined;
  }


  async claim(key: string, ttlMs: number): Promise<boolean> {
    const k = `${this.#prefix}claim:${keyPart(key)}`;
    // SET NX is the whole claim: one command, atomic on its own, no script needed. It answers OK when it set
    // the key and nil when the key was there. Only OK is a first use: a client wrapper that spells nil as
    // `undefined` must not turn every claim into a win (a replayable TOTP code), so anything else fails.
    const reply = asText(await this.#command(["SET", k, "1", "NX", "PX", String(wholeMs(ttlMs, "ttlMs"))], k));
    if (reply === "OK") return true;
    if (reply === undefined) return false;
    throw new TypeError(`express-logout: RedisSessionStore: claim expected OK or nil from SET NX, received ${JSON.stringify(reply.slice(0, 40))}.`);
  }

  async isClaimed(key: string): Promise<boolean> {
    const k = `${this.#prefix}claim:${keyPart(key)}`;
    return asInteger(await this.#command(["EXISTS", k], k)) === 1;
  }

  async incrementCounter(key: string, windowMs: number): Promise<number> {
    const k = this.#counterKey(key);
    return asInteger(await this.#eval(INCREMENT_COUNTER, [k], [String(wholeMs(windowMs, "windowMs"))]));
  }

  async readCounter(key: string): Promise<number> {
    const k = this.#counterKey(key);
    const value = asText(await this.#command(["GET", k], k));
    return value === undefined ? 0 : Number(value);
  }

  /**
   * One TOTP attempt of `requireTotp` in one script (`TotpAttemptStore`): the throttle's rules run atomically
   * under the user's hash tag, so a Cluster runs it in one slot.
   * @param attempt - the attempt, its verdict already computed (never the code or the secret)
   * @returns what the script decided
   */
  async attemptTotp(attempt: TotpAttempt): Promise<TotpAttemptResult> {
    const base = `${this.#prefix}totp:{${keyPart(attempt.userId)}}:`;
    // The session record carries the same hash tag as the TOTP keys ({user}): the step-up stays in the script's slot.
    const stepUp = attempt.stepUp;
    if (stepUp !== undefined && (typeof stepUp.method !== "string" || !AUTHENTICATION_METHOD.test(stepUp.method))) {
      throw new TypeError("express-logout: RedisSessionStore: an authentication method is a short lowercase name such as `password` or `totp`.");
    }
    const reply = asArray(await this.#eval(TOTP_ATTEMPT, [`${base}lock`], [
      base,
      String(wholeMs(attempt.now, "now")),
      String(wholeMs(attempt.failureWindowMs, "failureWindowMs")),
      String(attempt.maxFailures),
      String(attempt.maxLockoutsPerDay),
      String(wholeMs(attempt.periodMs, "periodMs")),
      String(attempt.window),
      attempt.step === undefined ? "" : String(attempt.step),
      stepUp === undefined ? "" : this.#sessionKey(attempt.userId, stepUp.sessionId),
      stepUp?.method ?? "",
      ...attempt.olderSteps.map(String),
    ]));
    const outcome = asText(reply[0]);
    const value = asInteger(reply[1]);
    if (outcome === "throttled") return { outcome, retryAfterMs: value };
    if (outcome === "passed" && stepUp !== undefined) return { outcome, failures: value, steppedUp: asInteger(reply[2]) === 1 };
    if (outcome === "passed" || outcome === "wrong" || outcome === "replayed") return { outcome, failures: value };
    throw new TypeError("express-logout: RedisSessionStore: attemptTotp answered an unknown outcome.");
  }

  async denyJwt(userId: string, jti: string, expiresAt: EpochMs): Promise<void> {
    const ttl = Math.ceil(expiresAt - Date.now());
    if (!(ttl > 0)) return;
    const k = this.#jtiKey(userId, jti);
    await this.#command(["SET", k, "1", "PX", String(ttl)], k);
  }

  async revokeJwtsIssuedBefore(userId: string, issuedBefore: EpochMs, keepUntil: EpochMs): Promise<void> {
    const ttl = Math.ceil(keepUntil - Date.now());
    await this.#eval(JWT_CUTOFF, [this.#cutoffKey(userId)], [String(issuedBefore), String(Number.isFinite(ttl) ? ttl : 0)]);
  }

  async jwtRevocation(userId: string, jti: string): Promise<JwtRevocation> {
    // Both keys carry the user's hash tag, so one MGET reads them in one round trip, even in a Cluster.
    const jtiKey = this.#jtiKey(userId, jti);
    const [denied, cutoff] = asArray(await this.#command(["MGET", jtiKey, this.#cutoffKey(userId)], jtiKey)).map(asText);
    return { denied: denied !== undefined, issuedBefore: cutoff === undefined ? undefined : Number(cutoff) };
  }

  linkProviderSession(link: ProviderSessionLink): Promise<void> {
    return linkProviderSession(this.#links, link);
  }

  findSessionsByProviderSid(issuer: string, sid: string): Promise<ProviderSessionLink[]> {
    return findProviderLinks(this.#links, "sid", issuer, sid);
  }

  findSessionsByProviderSubject(issuer: string, subject: string): Promise<ProviderSessionLink[]> {
    return findProviderLinks(this.#links, "sub", issuer, subject);
  }

  // Keys. A user's keys share the tag {user id}; a route key's tag is the id or hash it routes. Every part is
  // escaped (keyPart), so no id can close a tag early or collide with another id's keys.

  #userBase(userId: string): string {
    return `${this.#prefix}user:{${keyPart(userId)}}:`;
  }

  #indexKey(userId: string): string {
    return `${this.#userBase(userId)}sessions`;
  }

  #sessionKey(userId: string, sessionId: string): string {
    return `${this.#userBase(userId)}session:${keyPart(sessionId)}`;
  }

  #tokenKey(userId: string, tokenHash: string): string {
    return `${this.#userBase(userId)}token:${keyPart(tokenHash)}`;
  }

  #jtiKey(userId: string, jti: string): string {
    return `${this.#userBase(userId)}jti:${keyPart(jti)}`;
  }

  #cutoffKey(userId: string): string {
    return `${this.#userBase(userId)}jwt-cutoff`;
  }

  #sessionRouteKey(sessionId: string): string {
    return `${this.#prefix}route:session:{${keyPart(sessionId)}}`;
  }

  #tokenRouteKey(tokenHash: string): string {
    return `${this.#prefix}route:token:{${keyPart(tokenHash)}}`;
  }

  #counterKey(key: string): string {
    return `${this.#prefix}counter:${keyPart(key)}`;
  }

  // Routes.

  /**
   * Runs a user-slot script for a session id or token hash whose user only its route key knows.
   * - Standalone Redis: the `routed` variant reads the route inside the script. One round trip, always.
   * - Cluster: the `direct` variant in the slot of the remembered user (one round trip), and when that finds
   *   nothing, in the slot of the user the route key names (a GET first: two). A wrong remembered user (an id
   *   reused by another user after its session ended) costs three.
   * Answers the script's reply, or `undefined` when no user holds the route.
   */
  async #inUserSlot(script: UserSlotScript, cacheKey: string, routeKey: string, args: readonly string[]): Promise<unknown> {
    if (this.#routesInScripts) {
      try {
        return await this.#eval(script.routed, [routeKey], [this.#prefix, ...args]);
      } catch (error) {
        // A Cluster refuses the access to the user's keys before the script wrote anything: switch for good.
        if (!isCrossSlot(error)) throw error;
        this.#routesInScripts = false;
      }
    }
    const inSlot = async (userId: string) => {
      const reply = await this.#eval(script.direct, [this.#indexKey(userId)], [this.#userBase(userId), ...args]);
      return isEmptyReply(reply) ? undefined : reply;
    };
    const remembered = this.#routes.get(cacheKey);
    if (remembered !== undefined) {
      const found = await inSlot(remembered);
      if (found !== undefined) {
        this.#remember(cacheKey, remembered);
        return found;
      }
    }
    const owner = asText(await this.#command(["GET", routeKey], routeKey));
    if (owner === undefined) {
      this.#routes.delete(cacheKey);
      return undefined;
    }
    this.#remember(cacheKey, owner);
    if (owner === remembered) return undefined;
    return inSlot(owner);
  }

  #remember(cacheKey: string, userId: string): void {
    // Standalone Redis reads routes inside the scripts: nothing to remember.
    if (this.#routeCacheSize === 0 || this.#routesInScripts) return;
    this.#routes.delete(cacheKey);
    this.#routes.set(cacheKey, userId);
    if (this.#routes.size > this.#routeCacheSize) {
      const oldest = this.#routes.keys().next();
      if (oldest.done !== true) this.#routes.delete(oldest.value);
    }
  }

  async #claimRoute(routeKey: string, userId: string, ttl: number, replaceable: string | undefined): Promise<string | undefined> {
    return asText(await this.#eval(CLAIM_ROUTE, [routeKey], [userId, String(ttl), replaceable === undefined ? "" : `=${replaceable}`]));
  }

  /**
   * Another user's route holds this session id or token hash. Refuses while that user's session lives;
   * otherwise points the route at the new owner (only if it still names the dead one).
   */
  async #takeOverRoute(kind: "id" | "token", session: SessionRecord, owner: string, ttl: number): Promise<void> {
    const now = Date.now();
    let live: SessionRecord | undefined;
    if (kind === "id") {
      live = parseSession(await this.#eval(GET_SESSION.direct, [this.#indexKey(owner)], [this.#userBase(owner), keyPart(session.id)]), now);
    } else {
      live = parseSession(await this.#eval(FIND_BY_TOKEN.direct, [this.#indexKey(owner)], [this.#userBase(owner), keyPart(session.tokenHash), session.tokenHash]), now);
    }
    const routeKey = kind === "id" ? this.#sessionRouteKey(session.id) : this.#tokenRouteKey(session.tokenHash);
    if (live !== undefined || (await this.#claimRoute(routeKey, session.userId, ttl, owner)) !== undefined) {
      throw new Error(kind === "id"
        ? `express-logout: RedisSessionStore: session id ${session.id} already exists`
        : "express-logout: RedisSessionStore: a session with this token hash already exists");
    }
  }

  // Commands.

  async #eval(script: RedisScript, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    const route = keys[0];
    try {
      return await this.#command(["EVALSHA", script.sha, String(keys.length), ...keys, ...args], route);
    } catch (error) {
      // Only NOSCRIPT means "nothing ran": retrying on any other error could run a script twice.
      if (!isNoScript(error)) throw error;
      return this.#command(["EVAL", script.source, String(keys.length), ...keys, ...args], route);
    }
  }

  #command(args: string[], key: string | undefined): Promise<unknown> {
    if (this.#isReady !== undefined && !this.#isReady()) {
      return Promise.reject(new Error("express-logout: RedisSessionStore: the Redis client is not ready (disconnected or reconnecting)"));
    }
    // A client that throws instead of rejecting still gives the caller a rejection, never a synchronous throw.
    return Promise.resolve().then(() => this.#send(args, { key }));
  }
}

/** What `keyPart` escapes. */
const KEY_PART_ESCAPED = /[%{}:\uD800-\uDFFF]/;

/** `keyPart`'s escape of one UTF-16 code unit: `%xx` for a separator, `%uxxxx` for a surrogate half. */
function escapedUnit(code: number): string {
  switch (code) {
    case 0x25:
      return "%25";
    case 0x3a:
      return "%3a";
    case 0x7b:
      return "%7b";
    case 0x7d:
      return "%7d";
    default:
      return `%u${code.toString(16).padStart(4, "0")}`;
  }
}

/**
 * Escapes a caller-supplied id for use inside a key: `%`, `{`, `}` and `:` (and UTF-16 surrogates, so two ill-formed
 * strings never encode to the same bytes). The empty string becomes `%`, which no other input produces, so a
 * hash tag is never empty (Redis would then hash the whole key).
 */
export function keyPart(value: string): string {
  if (value === "") return "%";
  // Token hashes, ids and most user ids have nothing to escape: one native test answers them as they are.
  if (!KEY_PART_ESCAPED.test(value)) return value;
  // Marker and counter keys hold `:`s. One pass, the text between escapes sliced whole: a regular expression's
  // replace with a callback per escape cost about 0.7 µs a key, on every Kratos logout.
  let escaped = "";
  let from = 0;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code === 0x25 || code === 0x3a || code === 0x7b || code === 0x7d || (code >= 0xd800 && code <= 0xdfff)) {
      escaped += value.slice(from, i) + escapedUnit(code);
      from = i + 1;
    }
  }
  return escaped + value.slice(from);
}

function wholeMs(value: number, name: string): number {
  if (typeof value !== "number" || Number.isNaN(value)) throw new TypeError(`express-logout: RedisSessionStore: \`${name}\` must be a number of milliseconds.`);
  return Math.max(1, Math.ceil(value));
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith("NOSCRIPT");
}

/** A Cluster node refusing a script's access to a key of a slot it does not serve, or of a second slot. */
function isCrossSlot(error: unknown): boolean {
  return error instanceof Error && /non local key|do not hash to the same slot|CROSSSLOT/i.test(error.message);
}

/** What a user-slot script answers for "nothing there": nil, 0, or a row of nils. */
function isEmptyReply(reply: unknown): boolean {
  if (reply === null || reply === undefined || reply === 0 || reply === "0") return true;
  return Array.isArray(reply) && reply.every((v) => v === null || v === undefined);
}

function asText(reply: unknown): string | undefined {
  if (reply === null || reply === undefined) return undefined;
  if (typeof reply === "string") return reply;
  if (Buffer.isBuffer(reply)) return reply.toString("utf8");
  if (typeof reply === "number" || typeof reply === "bigint") return String(reply);
  throw new TypeError(`express-logout: RedisSessionStore: unexpected reply of type ${typeof reply}; sendCommand must answer the raw reply.`);
}

function asInteger(reply: unknown): number {
  const text = asText(reply);
  const n = text === undefined ? Number.NaN : Number(text);
  if (!Number.isInteger(n)) throw new TypeError(`express-logout: RedisSessionStore: expected an integer reply, received ${String(text)}.`);
  return n;
}

function asArray(reply: unknown): unknown[] {
  if (Array.isArray(reply)) return reply as unknown[];
  throw new TypeError("express-logout: RedisSessionStore: expected an array reply; sendCommand must answer the raw reply.");
}

/** A session from its HMGET row, or `undefined` when it is absent, incomplete or ended (idle or absolute) at `now`. */
function parseSession(reply: unknown, now: number): SessionRecord | undefined {
  if (reply === null || reply === undefined) return undefined;
  const row = asArray(reply);
  const id = asText(row[0]);
  const userId = asText(row[1]);
  const tokenHash = asText(row[2]);
  const createdAt = asText(row[3]);
  const expiresAt = asText(row[4]);
  if (id === undefined || userId === undefined || tokenHash === undefined || createdAt === undefined || expiresAt === undefined) return undefined;
  // Built field by field: this runs on every authenticated request, and a spread per optional field cost more
  // than the rest of the parse.
  const record: { -readonly [K in keyof SessionRecord]: SessionRecord[K] } = { id, userId, tokenHash, createdAt: Number(createdAt), expiresAt: Number(expiresAt) };
  const lastSeenAt = asText(row[5]);
  if (lastSeenAt !== undefined) record.lastSeenAt = Number(lastSeenAt);
  const authenticationSource = asText(row[6]);
  if (authenticationSource !== undefined) record.authenticationSource = authenticationSource;
  const apiKeyId = asText(row[7]);
  if (apiKeyId !== undefined) record.apiKeyId = apiKeyId;
  const tenant = asText(row[8]);
  if (tenant !== undefined) record.tenant = tenant;
  const ip = asText(row[9]);
  if (ip !== undefined) record.ip = ip;
  const userAgent = asText(row[10]);
  if (userAgent !== undefined) record.userAgent = userAgent;
  const idleTimeoutMs = asText(row[11]);
  if (idleTimeoutMs !== undefined) record.idleTimeoutMs = Number(idleTimeoutMs);
  const authenticatedAt = asText(row[12]);
  if (authenticatedAt !== undefined) record.authenticatedAt = Number(authenticatedAt);
  const amr = asText(row[13]);
  if (amr !== undefined) record.amr = amr === "" ? [] : amr.split(",");
  // A damaged record is no session at all: the caller answers 401, never lets it through.
  const timesAreNumbers =
    Number.isFinite(record.createdAt) &&
    Number.isFinite(record.expiresAt) &&
    Number.isFinite(record.lastSeenAt ?? 0) &&
    Number.isFinite(record.idleTimeoutMs ?? 1) &&
    Number.isFinite(record.authenticatedAt ?? 0);
  if (!timesAreNumbers || !isSessionLive(record, now)) return undefined;
  return record;
}
