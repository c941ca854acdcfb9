import { randomUUID } from "node:crypto";
import { LogoutError } from "./errors.js";
import { LogoutEvents } from "./events.js";
import { AUTHENTICATION_METHOD } from "./lifetime/deadlines.js";
import { checkProviderSession, withLinks } from "./oidc/provider-session.js";
import { SetupError, checkKnownOptions, optionNames } from "./options/index.js";
import { assertSessionStore, assertStoreCapabilities } from "./store/capabilities.js";
import { generateToken, hashSecret } from "./secrets.js";
import type { ProviderSession, SessionLimit, SessionLimitPolicy, SessionLimitStore, SessionRecord, SessionStore } from "./types.js";
import { withProperties } from "./with-properties.js";

/**
 * A session id: a random UUID as one flat string. `randomUUID()` assembles its answer from about twenty
 * concatenated pieces, which V8 keeps as a rope of some 450 bytes until something reads the characters; a
 * store that holds a million sessions would hold a million ropes (measured: 885 instead of 461 bytes of heap per
 * session in MemorySessionStore). Copying the 36 characters once at login keeps only them.
 */
export function newSessionId(): string {
  return Buffer.from(randomUUID(), "latin1").toString("latin1");
}

/** Default absolute session lifetime: 24 hours. */
export const DEFAULT_SESSION_TTL_MS = 24 * 60 * 60 * 1000;
/** Default absolute session lifetime (`lifetimeMs`): 24 hours. The same value as `DEFAULT_SESSION_TTL_MS`. */
export const DEFAULT_SESSION_LIFETIME_MS = DEFAULT_SESSION_TTL_MS;

/** What `issueSession` records for a new session. */
export interface IssueSessionOptions {
  /** Whose session it is. Required. */
  readonly userId: string;
  /**
   * Absolute lifetime in ms: the session ends this long after the login, however active it is (ASVS 7.3.2).
   * @defaultValue 24 h
   */
  readonly lifetimeMs?: number;
  /** The older name of `lifetimeMs`; give one or the other. */
  readonly ttlMs?: number;
  /**
   * Idle timeout in ms (ASVS 7.3.1): the session ends when it was not used for this long, and never later than
   * `lifetimeMs`. Activity is recorded by `requireSession` (see its `touchEveryMs`).
   * @defaultValue none (only the
   * absolute lifetime applies)
   */
  readonly idleTimeoutMs?: number;
  /**
   * How the user proved who they are at this login, e.g. `"password"`, `"webauthn"`, `"oidc"`: the first entry of
   * the session's `amr`.
   * @defaultValue none recorded. The login itself is always `authenticatedAt`
   */
  readonly method?: string;
  /**
   * At most this many live sessions per user (ASVS 7.1.2), counted and enforced atomically with this login.
   * Needs a store with `createSessionWithinLimit` (both built-in stores).
   * @defaultValue no limit
   */
  readonly maxSessionsPerUser?: number;
  /**
   * What a login beyond `maxSessionsPerUser` does: `"end-least-recently-used"` (default) ends the sessions used
   * least recently to make room, so the person logging in now always gets in; `"refuse"` keeps the existing
   * sessions and throws a `session-limit-reached` LogoutError.
   */
  readonly whenFull?: SessionLimitPolicy;
  /** Tells the audit log of sessions ended to make room (`session.ended` with `reason: "session-limit"`). */
  readonly events?: LogoutEvents;
  /** How the user logged in (Endor's `authentication_source`, shown by the session views). */
  readonly authenticationSource?: string;
  /** The API key the session was minted from; a logout with that key ends it. */
  readonly apiKeyId?: string;
  /** The tenant the session belongs to (SOAJS). */
  readonly tenant?: string;
  /** The client's address at login (`req.ip`), shown by the session views. */
  readonly ip?: string;
  /** The client's `User-Agent` at login, shown by the session views. */
  readonly userAgent?: string;
  /** Prepended to the token, e.g. `"ory_st_"`, so leaked tokens are recognisable by secret scanners. */
  readonly tokenPrefix?: string;
  /**
   * The OpenID Provider session this login came from: the verified ID token's `iss`, `sub` and `sid`. The
   * session is linked to it, so `backchannelLogout` can end it when the provider signs the user out. Needs a
   * store with the `ProviderSessionLinks` capability (the built-in stores have it).
   * @defaultValue not linked
   */
  readonly providerSession?: ProviderSession;
}

/** A session `issueSession` opened: the token exists only here, the store keeps its hash. */
export interface IssuedSession {
  /** The bearer token. It exists only here: the store keeps its hash. Hand it to the client once. */
  readonly token: string;
  /** The session as the store keeps it. */
  readonly session: SessionRecord;
  /** Ids of the sessions `maxSessionsPerUser` ended to make room for this one (least recently used first). */
  readonly endedSessionIds: readonly string[];
}

const ISSUE_OPTIONS = optionNames<IssueSessionOptions>({
  userId: true,
  lifetimeMs: true,
  ttlMs: true,
  idleTimeoutMs: true,
  method: true,
  maxSessionsPerUser: true,
  whenFull: true,
  events: true,
  authenticationSource: true,
  apiKeyId: true,
  tenant: true,
  ip: true,
  userAgent: true,
  tokenPrefix: true,
  providerSession: true,
});

function positiveMs(name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new SetupError("option-invalid", `issueSession \`${name}\` must be a positive number of milliseconds, received ${String(value)}.`);
  }
  return value;
}

/** The lifetime options of a login, checked: a mistake here is the host's, and fails the login loudly. */
function lifetimeOf(options: Readonly<IssueSessionOptions>): { lifetimeMs: number; idleTimeoutMs: number | undefined; limit: SessionLimit | undefined } {
  if (options.lifetimeMs !== undefined && options.ttlMs !== undefined) {
    throw new SetupError("option-invalid", "issueSession takes `lifetimeMs` or its older name `ttlMs`, not both.");
  }
  const lifetimeMs = positiveMs("lifetimeMs", options.lifetimeMs ?? options.ttlMs ?? DEFAULT_SESSION_LIFETIME_MS);
  const idleTimeoutMs = options.idleTimeoutMs === undefined ? undefined : positiveMs("idleTimeoutMs", options.idleTimeoutMs);
  if (idleTimeoutMs !== undefined && idleTimeoutMs > lifetimeMs) {
    throw new SetupError("option-invalid", `issueSession \`idleTimeoutMs\` (${String(idleTimeoutMs)}) is longer than \`lifetimeMs\` (${String(lifetimeMs)}), so it could never apply; shorten it or leave it out.`);
  }
  if (options.method !== undefined && (typeof options.method !== "string" || !AUTHENTICATION_METHOD.test(options.method))) {
    throw new SetupError("option-invalid", "issueSession `method` must be a short lowercase method name such as `password`, `totp` or `webauthn`.");
  }
  const max = options.maxSessionsPerUser;
  if (max === undefined) {
    if (options.whenFull !== undefined) throw new SetupError("option-invalid", "issueSession `whenFull` only applies with `maxSessionsPerUser`.");
    return { lifetimeMs, idleTimeoutMs, limit: undefined };
  }
  if (!Number.isSafeInteger(max) || max < 1) {
    throw new SetupError("option-invalid", `issueSession \`maxSessionsPerUser\` must be a whole number >= 1, received ${String(max)}.`);
  }
  const whenFull: unknown = options.whenFull ?? "end-least-recently-used";
  if (whenFull !== "end-least-recently-used" && whenFull !== "refuse") {
    throw new SetupError("option-invalid", `issueSession \`whenFull\` must be "end-least-recently-used" or "refuse", received ${String(whenFull)}.`);
  }
  return { lifetimeMs, idleTimeoutMs, limit: { maxSessions: max, whenFull } };
}

/**
 * Opens a session at login: a 256-bit token from the crypto RNG, stored only as its hash. Call it from the
 * host's own login route, after the host has checked the password. The session ends `lifetimeMs` after the
 * login (24 h by default), or earlier after `idleTimeoutMs` without use; `maxSessionsPerUser` caps how many a
 * user holds at once. docs/session-lifetime.md has the timeline.
 */
export async function issueSession(store: SessionStore, options: Readonly<IssueSessionOptions>): Promise<IssuedSession> {
  assertSessionStore(store);
  checkKnownOptions("issueSession", options, ISSUE_OPTIONS, "with at least `userId`");
  if (typeof options.userId !== "string" || options.userId === "") {
    throw new SetupError("option-invalid", "issueSession needs a non-empty `userId`.");
  }
  const { lifetimeMs, idleTimeoutMs, limit } = lifetimeOf(options);
  if (options.events !== undefined && !(options.events instanceof LogoutEvents)) {
    throw new SetupError("option-invalid", "issueSession `events` must be a `new LogoutEvents()`.");
  }
  const providerSession = options.providerSession === undefined ? undefined : checkProviderSession(options.providerSession, "issueSession");
  if (providerSession !== undefined) assertStoreCapabilities(store, ["provider-links"], "issueSession with `providerSession`");
  // An idle timeout nothing can extend would end every session idleTimeoutMs after its login, however busy.
  if (idleTimeoutMs !== undefined) assertStoreCapabilities(store, ["touch"], "issueSession `idleTimeoutMs`");
  if (limit !== undefined) assertStoreCapabilities(store, ["session-limit"], "issueSession `maxSessionsPerUser`");
  const token = generateToken(options.tokenPrefix);
  const now = Date.now();
  const session: SessionRecord = {
    id: newSessionId(),
    userId: options.userId,
    tokenHash: hashSecret(token),
    createdAt: now,
    expiresAt: now + lifetimeMs,
    lastSeenAt: now,
    authenticatedAt: now,
    ...(idleTimeoutMs === undefined ? {} : { idleTimeoutMs }),
    ...(options.method === undefined ? {} : { amr: [options.method] }),
    ...(options.authenticationSource === undefined ? {} : { authenticationSource: options.authenticationSource }),
    ...(options.apiKeyId === undefined ? {} : { apiKeyId: options.apiKeyId }),
    ...(options.tenant === undefined ? {} : { tenant: options.tenant }),
    ...(options.ip === undefined ? {} : { ip: options.ip }),
    ...(options.userAgent === undefined ? {} : { userAgent: options.userAgent.slice(0, 512) }),
  };
  let endedSessionIds: readonly string[] = [];
  if (limit === undefined) {
    await store.createSession(session);
  } else {
    const result = await (store as SessionStore & SessionLimitStore).createSessionWithinLimit(session, limit);
    if (!result.created) {
      throw new LogoutError("session-limit-reached", `the user already has ${String(limit.maxSessions)} live sessions`);
    }
    const at = Date.now();
    for (const sessionId of result.ended) {
      options.events?.emit("session.ended", { sessionId, userId: session.userId, by: undefined, target: "session", reason: "session-limit", at });
    }
    endedSessionIds = result.ended;
  }
  if (providerSession !== undefined) {
    try {
      await withLinks(store).linkProviderSession(withProperties(providerSession, { sessionId: session.id, userId: session.userId, expiresAt: session.expiresAt }));
    } catch (error) {
      // A session the provider could not end would outlive the provider's logout: end it, and let the login fail.
      await store.revokeSession(session.id).catch(() => undefined);
      throw error;
    }
  }
  return { token, session, endedSessionIds };
}
