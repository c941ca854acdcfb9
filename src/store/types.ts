/** Milliseconds since the Unix epoch. */
export type EpochMs = number;

/**
 * One login. A store keeps only the hash of the bearer token (`tokenHash`), never the token.
 */
export interface SessionRecord {
  /** Opaque, unguessable id (a UUID by default). Safe to show to the session's owner. */
  readonly id: string;
  /** Whose session it is. */
  readonly userId: string;
  /** `hashSecret(token)`: base64url SHA-256 of the bearer token. */
  readonly tokenHash: string;
  /** When it was opened (the login), in epoch milliseconds. */
  readonly createdAt: EpochMs;
  /** The absolute expiry: the session ends then, however active it is. */
  readonly expiresAt: EpochMs;
  /**
   * When the session was last used, as written by `touchSession` (at most every `touchEveryMs`). With an idle
   * timeout, the session idles out `idleTimeoutMs` after this moment.
   */
  readonly lastSeenAt?: EpochMs;
  /**
   * The idle timeout, fixed at issue time (`issueSession({ idleTimeoutMs })`): the session ends this long after its
   * last recorded activity, and never later than `expiresAt`. Absent: no idle timeout.
   */
  readonly idleTimeoutMs?: number;
  /**
   * When the user last proved who they are in this session (the login, a TOTP step-up, a password re-check), kept
   * apart from `createdAt` so a long-lived session can become fresh again. Absent: `createdAt`.
   */
  readonly authenticatedAt?: EpochMs;
  /** How the user proved it: authentication method names such as `"password"`, `"totp"`, `"webauthn"`, most recent last. */
  readonly amr?: readonly string[];
  /** How the session was opened, e.g. `"login"`, `"github"`, `"api-key"`. */
  readonly authenticationSource?: string;
  /** Set when the session was minted from an API key: ending that key's sessions finds it by this. */
  readonly apiKeyId?: string;
  /** The tenant it belongs to (SOAJS). */
  readonly tenant?: string;
  /** The client's address at login. */
  readonly ip?: string;
  /** The client's `User-Agent` at login. */
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
 * atomic on its own. Sessions expire without the caller scanning anything: at `expiresAt`, or earlier when they
 * have an idle timeout and were not used for `idleTimeoutMs` (see `sessionEndsAt`); a store never returns a session
 * past either, and keeps every field of a `SessionRecord` it was given (`idleTimeoutMs`, `authenticatedAt` and
 * `amr` included). A store of only
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
   * Optional. Records activity of a live session: `lastSeenAt` becomes `at`, which moves the idle deadline of a
   * session with `idleTimeoutMs` (never past `expiresAt`); does nothing for an unknown or ended one. Needed by
   * `requireSession({ touchEveryMs })` and by every session issued with an idle timeout.
   */
  touchSession?(id: string, at: EpochMs): Promise<void>;
  /**
   * Optional. Ends the live session whose token hashes to `tokenHash` and answers it as it was before the call
   * (`undefined` when there was none): the lookup and the revoke of a logout of the caller's own session in one
   * call, so one round trip. Without it, that logout is a `findSessionByTokenHash`, then a `revokeSession`.
   * Both built-in stores have it. With it the session ends before the caller's user is read for the answer, so a
   * user directory that fails then gets a 503 although the session has ended (a retry is answered as for an
   * ended token); without it the user is read between the lookup and the revoke, and such a failure ends nothing.
   * With `options.marker`, also claims that one-time marker with the ending, in the same atomic step where the
   * store can (the browser logout flow's record of the revoked token), living `ttlMs` or until the session would
   * have expired, whichever is later.
   */
  endSessionByTokenHash?(tokenHash: string, options?: EndSessionByTokenOptions): Promise<SessionRecord | undefined>;
  /**
   * Optional, with `endSessionByTokenHash`. Ends every live session of the user whose live session the token
   * hashes to, that session too unless `keepCaller`, and answers that session (as it was before the call) with
   * how many sessions ended; `undefined`, with nothing ended, when the token names no live session. The logout
   * of "all" and "others" in one call; without it, a `findSessionByTokenHash`, then a `revokeUserSessions`.
   */
  endUserSessionsByTokenHash?(tokenHash: string, options?: EndUserSessionsByTokenOptions): Promise<EndedUserSessions | undefined>;
  /**
   * Optional. Ends the live session with this id, when it is `options.userId`'s (if given), and answers it as it
   * was before the call; `undefined`, with nothing ended, when there was none or it is another user's. With
   * `options.marker`, also claims that one-time marker (as `MarkerStore.claim` would) in the same atomic step, so
   * a session never ends without it. The read and the revoke of a session named by id (an administrator's
   * logout of another user's session) in one call, and the browser logout flow's revoke with its record of the
   * revoked token in one call; without it, a `getSession` then a `revokeSession`, or a `claim` then a
   * `revokeSession`. Both built-in stores have it.
   */
  endSessionById?(id: string, options?: EndSessionByIdOptions): Promise<SessionRecord | undefined>;
}

/** Options of `SessionStore.endSessionById`. */
export interface EndSessionByIdOptions {
  /** End the session only when it belongs to this user; another user's is left as it is and answered `undefined`. */
  readonly userId?: string;
  /**
   * A one-time marker to claim with the ending (`MarkerStore.claim(key, ttlMs)`), passed only to a store with the
   * markers capability. Claimed whenever the session ends; a store that cannot claim it in the same atomic step
   * claims it first, so it may then exist although nothing ended (never the reverse).
   */
  readonly marker?: {
    /** The marker's key, as `claim` takes it. */
    readonly key: string;
    /** How long it lives, in ms. */
    readonly ttlMs: number;
  };
}

/** Options of `SessionStore.endSessionByTokenHash`. */
export interface EndSessionByTokenOptions {
  /**
   * A one-time marker to claim when the session ends (`MarkerStore.claim`), passed only to a store with the
   * markers capability. It lives `ttlMs`, or until the session would have expired (`expiresAt`) when that is
   * later: the caller does not know the session before the call. Claimed whenever the session ends; a store
   * that cannot claim it in the same atomic step claims it first, so it may then exist although nothing ended
   * (never the reverse).
   */
  readonly marker?: {
    /** The marker's key, as `claim` takes it. */
    readonly key: string;
    /** The least it lives, in ms. */
    readonly ttlMs: number;
  };
}

/** Options of `SessionStore.endUserSessionsByTokenHash`. */
export interface EndUserSessionsByTokenOptions {
  /** Keep the session of the token itself (the logout of "others"). Default `false` (of "all"). */
  readonly keepCaller?: boolean;
}

/** What `SessionStore.endUserSessionsByTokenHash` ended. */
export interface EndedUserSessions {
  /** The session the token named, as it was before the call. */
  readonly session: SessionRecord;
  /** How many live sessions ended, the token's own included when it was not kept. */
  readonly ended: number;
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

/**
 * Step-up: records that the user of a live session proved who they are again. Needed by `requireRecentAuth` and
 * `markAuthenticated`; `requireTotp` uses it when the store has it.
 */
export interface StepUpStore {
  /**
   * `authenticatedAt` becomes the later of its value and `at`, and `method` moves to the end of `amr` (each
   * method once, at most 8). Answers whether the session was live.
   */
  recordAuthentication(id: string, at: EpochMs, method: string): Promise<boolean>;
}

/** What `createSessionWithinLimit` does when the user already has `maxSessions` live sessions. */
export type SessionLimitPolicy = "end-least-recently-used" | "refuse";

/** A cap on a user's concurrent sessions, applied atomically with the login that would exceed it. */
export interface SessionLimit {
  /** Live sessions a user may hold at once, the new one included. A whole number >= 1. */
  readonly maxSessions: number;
  /** End the sessions used least recently to make room, or refuse the new login. */
  readonly whenFull: SessionLimitPolicy;
}

/** What `createSessionWithinLimit` did. */
export interface SessionLimitResult {
  /** Whether the new session was stored (`false` only under `refuse` with the user at the limit). */
  readonly created: boolean;
  /** Ids of the sessions ended to make room (least recently used first). */
  readonly ended: readonly string[];
}

/** A per-user session limit, enforced atomically with the login. Needed by `issueSession({ maxSessionsPerUser })`. */
export interface SessionLimitStore {
  /**
   * Stores a new session unless its user already holds `limit.maxSessions` live ones; then it ends the least
   * recently used to make room, or refuses, by `limit.whenFull`. The count, the ending and the insert are one
   * atomic step, so concurrent logins from several instances never exceed the limit.
   */
  createSessionWithinLimit(session: SessionRecord, limit: SessionLimit): Promise<SessionLimitResult>;
}

/** What a store knows of a user's JWTs: a denied `jti`, and a cut-off for tokens issued before it. */
export interface JwtRevocation {
  /** Whether this token's `jti` is denied. */
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
export type CompleteSessionStore = SessionStore &
  Required<Pick<SessionStore, "touchSession" | "endSessionById">> &
  MarkerStore &
  JwtRevocationStore &
  StepUpStore &
  SessionLimitStore &
  ProviderSessionLinks;

/**
 * What a store can do beyond the core: `"markers"` (`MarkerStore`), `"jwt-revocation"` (`JwtRevocationStore`),
 * `"touch"` (`SessionStore.touchSession`), `"end-by-token"` (`SessionStore.endSessionByTokenHash`, one call for
 * a logout; no factory requires it), `"end-by-id"` (`SessionStore.endSessionById`, one call for the read and the
 * ending of a session named by id; no factory requires it), `"totp-attempt"` (`TotpAttemptStore.attemptTotp`, a
 * TOTP attempt in one call; no factory requires it), `"step-up"` (`StepUpStore`), `"session-limit"`
 * (`SessionLimitStore`), `"provider-links"` (`ProviderSessionLinks`). `"sessions"` is the core itself.
 */
export type StoreCapability = "sessions" | "touch" | "end-by-token" | "end-by-id" | "totp-attempt" | "markers" | "jwt-revocation" | "step-up" | "session-limit" | "provider-links";

/**
 * One TOTP attempt of a user, for `TotpAttemptStore.attemptTotp`: the verdict on the code, already computed by
 * `requireTotp` (the store never sees the code or the secret), and the throttle's settings.
 */
export interface TotpAttempt {
  /** Whose attempt: the throttle and the spent steps are per user, across every session and instance. */
  readonly userId: string;
  /** The app's clock: every window, deadline and lock-out is reckoned from it. */
  readonly now: EpochMs;
  /** The time step the code matched, or `undefined` for a wrong, malformed or refused code. */
  readonly step: number | undefined;
  /** Earlier steps the window still accepts: spent together with `step` when it passes. */
  readonly olderSteps: readonly number[];
  /** The step size and the steps accepted either side: a spent step's marker lives `(step + window + 2) * periodMs - now`. */
  readonly periodMs: number;
  /** Steps accepted either side of the current one (`requireTotp`'s `window`). */
  readonly window: number;
  /** Wrong codes within `failureWindowMs` that start a lock-out (`requireTotp`'s `maxFailures`). */
  readonly maxFailures: number;
  /** The throttling window and the length of a lock-out, in ms. */
  readonly failureWindowMs: number;
  /** Lock-outs in a UTC day after which every attempt is refused until the day ends. */
  readonly maxLockoutsPerDay: number;
  /**
   * Optional: on a pass, also record the step-up on this live session of the user, as
   * `StepUpStore.recordAuthentication(sessionId, now, method)` would, in the same atomic step. A store that does
   * so answers `steppedUp`; one that ignores it answers without, and the step-up is then recorded by a call of
   * its own.
   */
  readonly stepUp?: {
    /** The caller's session, a session of `userId`. */
    readonly sessionId: string;
    /** The authentication method to record, e.g. `"totp"`. */
    readonly method: string;
  };
}

/** What `TotpAttemptStore.attemptTotp` decided. */
export type TotpAttemptResult =
  | {
      /** Refused without counting: a lock-out or the day's cap holds. */
      readonly outcome: "throttled";
      /** How long until an attempt may be counted again. */
      readonly retryAfterMs: number;
    }
  | {
      /** The code passed and its step is spent; or it was wrong; or its step was already spent (a failure too). */
      readonly outcome: "passed" | "wrong" | "replayed";
      /** Failures counted in the throttle's windows, this attempt included: a pass too counts as one here, since the attempt is counted before its verdict (only later attempts see it as a pass). */
      readonly failures: number;
      /**
       * With `TotpAttempt.stepUp` and a pass: whether the session was live and its step-up recorded. Absent: the
       * store did not record it.
       */
      readonly steppedUp?: boolean;
    };

/**
 * Optional: a TOTP attempt as one atomic store call (one round trip): the lock-out and daily cap checked, the
 * attempt counted, and for a matching code the single-use claim of its step, with the lock-out started by the
 * failure that reaches `maxFailures`. The rules are `requireTotp`'s (docs/rocket-chat.md); without this method
 * it runs them through the `MarkerStore` markers and counters in several calls. Both built-in stores have it
 * (`MemorySessionStore` in one synchronous step); the conformance kit's `"totp-attempt"` checks one of your own.
 */
export interface TotpAttemptStore {
  /**
   * Runs one attempt atomically and answers what it decided.
   * @param attempt - the user, the app's clock, the step the code matched (if any) and the throttle's settings
   * @returns `throttled` with the wait, or `passed`, `wrong` or `replayed` with the failures counted so far
   */
  attemptTotp(attempt: TotpAttempt): Promise<TotpAttemptResult>;
}
