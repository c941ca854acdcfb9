/** Milliseconds since the Unix epoch. */
export type EpochMs = number;

/**
 * One login. A store keeps only the hash of the bearer token (`tokenHash`), never the token.
 */
export interface SessionRecord {
  /** Opaque, unguessable id (a UUID by default). Safe to show to the session's owner. */
  readonly id: string;
  readonly userId: string;
  /** `hashSecret(token)`: base64url SHA-256 of the bearer token. */
  readonly tokenHash: string;
  readonly createdAt: EpochMs;
  readonly expiresAt: EpochMs;
  /** When the session was last used, if the host tracks it (see `requireSession({ touchEveryMs })`). */
  readonly lastSeenAt?: EpochMs;
  /** How the session was opened, e.g. `"login"`, `"github"`, `"api-key"`. */
  readonly authenticationSource?: string;
  /** Set when the session was minted from an API key: ending that key's sessions finds it by this. */
  readonly apiKeyId?: string;
  readonly tenant?: string;
  readonly ip?: string;
  readonly userAgent?: string;
}

/** Options of `SessionStore.revokeUserSessions`. */
export interface RevokeUserSessionsOptions {
  /** Keep this one session (the caller's own) alive. */
  readonly exceptSessionId?: string;
  /** Only end the sessions minted from this API key. */
  readonly apiKeyId?: string;
}

/**
 * The core every session store implements: sessions and nothing else. Every method is one awaited call and
 * atomic on its own. Sessions expire by TTL (`expiresAt`) without the caller scanning anything. A store of only
 * these methods serves `createLogoutHandler`, `requireSession`, `listSessions`, `whoAmI`, every shape and the
 * browser logout flow; `requireTotp` also needs `MarkerStore`, JWTs also `JwtRevocationStore`.
 *
 * Answers are checked: `undefined` or `null` means "not found"; anything else that is not what the method
 * promises is a broken store (the request gets a 503). Prove a store with `express-logout/testing`'s
 * `describeSessionStoreConformance`.
 */
export interface SessionStore {
  /** Stores a new session. Its id and token hash must be unique. */
  createSession(session: SessionRecord): Promise<void>;
  /** The live session with this id, or `undefined` (unknown, ended or expired; `null` is taken the same way). */
  getSession(id: string): Promise<SessionRecord | undefined>;
  /** The live session whose token hashes to `tokenHash`, or `undefined` (`null` is taken the same way). */
  findSessionByTokenHash(tokenHash: string): Promise<SessionRecord | undefined>;
  /** Every live session of the user, oldest first. */
  listSessions(userId: string): Promise<SessionRecord[]>;
  /** Ends one session. Idempotent: answers whether it was live before the call. */
  revokeSession(id: string): Promise<boolean>;
  /** Ends every live session of the user that matches `options`; answers how many ended. */
  revokeUserSessions(userId: string, options?: RevokeUserSessionsOptions): Promise<number>;
  /**
   * Optional. Updates `lastSeenAt` of a live session; does nothing for an unknown one. Needed only by
   * `requireSession({ touchEveryMs })`.
   */
  touchSession?(id: string, at: EpochMs): Promise<void>;
  /**
   * Optional. Ends the live session whose token hashes to `tokenHash` and answers it as it was before the call
   * (`undefined` when there was none): the lookup and the revoke of a logout of the caller's own session in one
   * call, so one round trip. Without it, that logout is a `findSessionByTokenHash`, then a `revokeSession`.
   * `RedisSessionStore` has it; `MemorySessionStore` does not need it (its calls cost no round trip).
   */
  endSessionByTokenHash?(tokenHash: string): Promise<SessionRecord | undefined>;
}

/**
 * One-time markers and counters with a TTL, atomic across every instance sharing the store: TOTP single use and
 * throttling (`requireTotp`), the JWT "ended" and "kept" markers, and the browser flow's record of revoked
 * tokens. Markers and counters live in separate namespaces: a marker and a counter with the same key are two
 * things.
 */
export interface MarkerStore {
  /** Sets a one-time marker. Answers `true` to exactly one caller per key until the marker expires. */
  claim(key: string, ttlMs: number): Promise<boolean>;
  /** Whether a marker `claim` set is still there. Never sets one. */
  isClaimed(key: string): Promise<boolean>;
  /** Adds one to a counter that lives `windowMs` from its first hit; answers the new count. */
  incrementCounter(key: string, windowMs: number): Promise<number>;
  /** The counter's current value (0 when absent or expired). */
  readCounter(key: string): Promise<number>;
}

/** What a store knows of a user's JWTs: a denied `jti`, and a cut-off for tokens issued before it. */
export interface JwtRevocation {
  readonly denied: boolean;
  /** Tokens with `iat` (in ms) before this moment are refused; `undefined` when the user has no cut-off. */
  readonly issuedBefore: EpochMs | undefined;
}

/** JWT revocation: a `jti` deny-list and a per-user cut-off, asked together in one call. Needed by `jwtBearer`. */
export interface JwtRevocationStore {
  /** Refuses the JWT with this `jti` until `expiresAt` (its `exp`). */
  denyJwt(userId: string, jti: string, expiresAt: EpochMs): Promise<void>;
  /** Refuses every JWT of the user issued before `issuedBefore`; the cut-off is kept until `keepUntil`. */
  revokeJwtsIssuedBefore(userId: string, issuedBefore: EpochMs, keepUntil: EpochMs): Promise<void>;
  /** One round trip: whether this `jti` is denied and the user's cut-off. */
  jwtRevocation(userId: string, jti: string): Promise<JwtRevocation>;
}

/**
 * Where a local session came from at an OpenID Provider: the `iss`, `sub` and `sid` claims of the ID token the
 * host received at login. Back-channel logout finds local sessions by it.
 */
export interface ProviderSession {
  /** The ID token's `iss`, exactly as it appears in the token. */
  readonly issuer: string;
  /** The ID token's `sub`. */
  readonly subject: string;
  /** The ID token's `sid`, when the provider sends one (it does when the client registered for back-channel logout). */
  readonly sid?: string;
}

/** One local session linked to a provider session, as a store keeps it. */
export interface ProviderSessionLink extends ProviderSession {
  /** The local session's id. */
  readonly sessionId: string;
  /** The local session's user. */
  readonly userId: string;
  /** When the link is forgotten: the local session's own `expiresAt`. */
  readonly expiresAt: EpochMs;
}

/**
 * Provider-session links, for OpenID Connect back-channel logout (`backchannelLogout`, `issueSession({
 * providerSession })`): the store remembers which provider session each local session came from, and finds the
 * local sessions of an `(iss, sid)` or an `(iss, sub)` through an index, never by scanning.
 */
export interface ProviderSessionLinks {
  /** Records a link. The same link recorded again is kept once; each link is kept until its `expiresAt`. */
  linkProviderSession(link: ProviderSessionLink): Promise<void>;
  /** The links of live local sessions opened from the provider session `(issuer, sid)`, in no particular order. */
  findSessionsByProviderSid(issuer: string, sid: string): Promise<ProviderSessionLink[]>;
  /** The links of live local sessions of the provider user `(issuer, subject)`, whatever their `sid`. */
  findSessionsByProviderSubject(issuer: string, subject: string): Promise<ProviderSessionLink[]>;
}

/** A store with every capability, as `MemorySessionStore` and `RedisSessionStore` are. */
export type CompleteSessionStore = SessionStore & Required<Pick<SessionStore, "touchSession">> & MarkerStore & JwtRevocationStore & ProviderSessionLinks;

/**
 * What a store can do beyond the core: `"markers"` (`MarkerStore`), `"jwt-revocation"` (`JwtRevocationStore`),
 * `"touch"` (`SessionStore.touchSession`), `"end-by-token"` (`SessionStore.endSessionByTokenHash`, one call for
 * a logout; no factory requires it), `"provider-links"` (`ProviderSessionLinks`). `"sessions"` is the core itself.
 */
export type StoreCapability = "sessions" | "touch" | "end-by-token" | "markers" | "jwt-revocation" | "provider-links";
