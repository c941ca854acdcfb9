import type { Request } from "express";
import type { LogoutError } from "./errors.js";
import type { AdminShape } from "./handlers/admin/types.js";
import type { EpochMs, SessionRecord, SessionStore, StoreCapability } from "./store/types.js";

export type {
  CompleteSessionStore,
  EpochMs,
  JwtRevocation,
  JwtRevocationStore,
  MarkerStore,
  ProviderSession,
  ProviderSessionLink,
  ProviderSessionLinks,
  RevokeUserSessionsOptions,
  EndUserSessionsByTokenOptions,
  EndedUserSessions,
  TotpAttempt,
  TotpAttemptResult,
  TotpAttemptStore,
  SessionLimit,
  SessionLimitPolicy,
  SessionLimitResult,
  SessionLimitStore,
  SessionRecord,
  SessionStore,
  StepUpStore,
  StoreCapability,
} from "./store/types.js";

/** A user as the host knows it. Shapes render it (Endor's `user`, SOAJS's `data`); never put a secret in it. */
export interface UserRecord {
  readonly id: string;
  readonly username: string;
  readonly email?: string;
  readonly firstName?: string;
  readonly lastName?: string;
  readonly groups?: readonly string[];
  readonly createdAt?: EpochMs;
  readonly updatedAt?: EpochMs;
  readonly lastLoginAt?: EpochMs;
  readonly status?: string;
  readonly locked?: boolean;
  readonly tenant?: TenantRecord;
  readonly profile?: Readonly<Record<string, unknown>>;
  readonly config?: Readonly<Record<string, unknown>>;
  readonly groupsConfig?: readonly unknown[];
}

/** A tenant as the host knows it (SOAJS): answered by `users.resolveTenantKey`. */
export interface TenantRecord {
  readonly id: string;
  readonly code: string;
}

/** An API key as the host keeps it: the secret only as `hashSecret(secret)`. */
export interface ApiKeyRecord {
  readonly id: string;
  readonly userId: string;
  readonly secretHash: string;
}

/** A value, or a promise of it: every `UserDirectory` callback may answer either way. */
export type MaybePromise<T> = T | PromiseLike<T>;

/**
 * The host's callbacks. Only `findUser` is always needed; the others are asked for by the factories and
 * shapes that use them, with a `TypeError` at factory time when one is missing. Each may answer at once or with
 * a promise.
 *
 * `U` is the host's own user type: whatever `findUser` answers is what `hasPermission` and `totpSecret` are
 * handed, and what `getAuthentication(req).user` is. Passed inline to a factory, a plain object literal is typed
 * from its `findUser`; a directory defined on its own gets the same inference through `userDirectory({ ... })`.
 */
export interface UserDirectory<U extends UserRecord = UserRecord> {
  /** The user, or `undefined` when it no longer exists. */
  findUser(userId: string): MaybePromise<U | undefined>;
  /** Whether the user holds the permission now (asked on every request, never cached); only `true` grants. */
  hasPermission?(user: U, permission: string): MaybePromise<boolean>;
  /** The user's base32 TOTP secret, or `undefined` when the user has not enrolled. */
  totpSecret?(user: U): MaybePromise<string | undefined>;
  /** The API key with this public key id, or `undefined`. */
  findApiKey?(key: string): MaybePromise<ApiKeyRecord | undefined>;
  /** The tenant a SOAJS tenant key belongs to, or `undefined` for an unknown key. */
  resolveTenantKey?(key: string): MaybePromise<TenantRecord | undefined>;
}

/** What a credential source found in a request. */
export type PresentedCredential =
  | {
      readonly kind: "session-token";
      /** Which source found it, e.g. `"bearer"`, `"cookie:sid"`, `"soajsauth"`; for events and shapes. */
      readonly source: string;
      readonly token: string;
      /** A user id the client claims alongside the token (`X-User-Id`); must match the session's. */
      readonly claimedUserId?: string;
    }
  | { readonly kind: "api-key"; readonly source: string; readonly key: string; readonly secret: string }
  | {
      readonly kind: "resolved";
      readonly source: string;
      /** Resolves the credential to a session-like principal (JWTs do this), or `undefined` when invalid. */
      resolve(store: SessionStore): Promise<ResolvedPrincipal | undefined>;
    }
  | { readonly kind: "invalid"; readonly source: string; readonly error: LogoutError };

/** A principal found by a `resolved` credential (a JWT): logout ends it through `end`. */
export interface ResolvedPrincipal {
  readonly session: SessionRecord;
  /** Ends this credential (denies the JWT's `jti`); answers whether it was live. */
  end(store: SessionStore): Promise<boolean>;
  /** Ends every credential of the user of this kind (a JWT cut-off); answers how many it knows of, or 0. */
  endAll?(store: SessionStore): Promise<number>;
  /** Ends every credential of the user of this kind but this one (logout of the other devices); answers how many it knows of, or 0. */
  endOthers?(store: SessionStore): Promise<number>;
}

/** Reads one kind of credential from a request, without any I/O. */
export interface CredentialSource {
  readonly name: string;
  /**
   * The store capabilities this source's credentials need beyond the core (a JWT source needs
   * `"jwt-revocation"` and `"markers"`); every factory it is passed to checks them at setup. Default: none.
   */
  readonly needs?: readonly StoreCapability[];
  /**
   * The credential of this kind in the request, `undefined` when there is none, or `kind: "invalid"` when it is
   * there but malformed (a refusal, never a fall-through to the next source).
   */
  read(req: Request): PresentedCredential | undefined;
}

/** Who made a request, as `requireSession` and the factories found it; `U` is the host's user type. */
export interface Authentication<U extends UserRecord = UserRecord> {
  readonly session: SessionRecord;
  readonly credential: PresentedCredential;
  /** The user, when the handler loaded it: what the directory's `findUser` answered. */
  readonly user?: U;
  /** Present when the credential was an API key rather than a session. */
  readonly apiKeyId?: string;
  /** Present for JWT and other resolved credentials. */
  readonly principal?: ResolvedPrincipal;
}

/** Which sessions a logout ends. */
export type LogoutTargetKind = "current" | "all" | "others" | "session" | "api-key";

/** The success a shape renders. */
export interface EndedOutcome {
  readonly target: LogoutTargetKind;
  /** The caller, or `undefined` for an anonymous logout (SOAJS answers it with `data: true`). */
  readonly caller: Authentication | undefined;
  /** The caller's user as it was before the logout. */
  readonly user: UserRecord | undefined;
  /** The session a `session` target ended. */
  readonly sessionId: string | undefined;
  /** How many sessions ended. */
  readonly count: number;
  readonly endedAt: EpochMs;
  /**
   * Where a browser goes next, set by the browser logout flow (the validated `return_to`, or its default). A
   * shape sends browsers there and answers API clients without a redirect.
   */
  readonly redirectTo?: string;
}

/** What the browser logout flow hands its shape when it issues a logout URL. */
export interface LogoutUrlOutcome {
  readonly caller: Authentication;
  /** The URL a browser opens to log out: the flow's logout route, `return_to` (if any) and the token. */
  readonly logoutUrl: string;
  /** The token alone, bound to the caller's session, for clients that call the logout route themselves. */
  readonly logoutToken: string;
}

/** What a shape asks to be written: status, headers and a JSON value or a string body. */
export interface Reply {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** A string is sent as is; anything else is sent as JSON. `undefined` sends an empty body. */
  readonly body?: unknown;
}

/** A session as the session-management companions show it to its owner: never the token hash. */
export interface SessionView {
  readonly id: string;
  readonly userId: string;
  readonly createdAt: EpochMs;
  /** The absolute expiry: when the session ends for good. */
  readonly expiresAt: EpochMs;
  /** When the session idles out unless it is used again, or `undefined` without an idle timeout. */
  readonly idleExpiresAt: EpochMs | undefined;
  /** When the user last proved who they are in this session. */
  readonly authenticatedAt: EpochMs;
  /** How (authentication method names, most recent last). */
  readonly amr: readonly string[];
  readonly lastSeenAt: EpochMs | undefined;
  readonly authenticationSource: string | undefined;
  readonly ip: string | undefined;
  readonly userAgent: string | undefined;
  readonly current: boolean;
}

/** A page of the caller's sessions, for the list companions. */
export interface SessionListOutcome {
  readonly caller: Authentication;
  readonly sessions: readonly SessionView[];
  readonly total: number;
  readonly offset: number;
  /** The page size asked for, when the shape read it (`shape.sessionListQuery`). */
  readonly limit?: number;
}

/** How a shape pages, filters and orders the caller's own sessions (`shape.sessionListQuery`). */
export interface SessionListQuery {
  readonly offset: number;
  readonly limit: number;
  /** `"newest-login"`: by `createdAt`, newest first. Default: most recent activity first. */
  readonly order?: "newest-login" | "recent-activity";
  /** Sessions for which it answers `false` are left out (before paging; `total` counts the rest). */
  readonly match?: (session: SessionView) => boolean;
  /** Orders one page once it is cut. */
  readonly arrange?: (page: readonly SessionView[]) => SessionView[];
}

/**
 * The product formats the browser logout flow takes from its shape: the logout token's prefix, how the logout
 * URL escapes its query, how a session id in a path is read, and where the caller's session travels.
 */
export interface LogoutFlowWire {
  /** Prepended to every logout token (Kratos: `"ory_lo_"`), so a leaked one is recognisable. */
  readonly logoutTokenPrefix: string;
  /** The session cookie's default name (Kratos: `"ory_kratos_session"`). */
  readonly sessionCookieName: string;
  /** Escapes a value of the logout URL's query (Kratos: Go's `url.QueryEscape`). */
  readonly escapeQuery: (value: string) => string;
  /** The session id of `DELETE /sessions/:id`, normalised; throws a `bad-request` LogoutError for a bad one. */
  readonly parseSessionId: (text: string) => string;
  /** Where the flow reads the caller's session, in the product's order, given the session cookie's settings. */
  readonly credentials: (cookie: { readonly name: string; readonly signed: boolean }) => readonly CredentialSource[];
}

/**
 * How an endpoint speaks on the wire. A handler decides what happened; a shape decides the bytes.
 * Adding a product means one new file that implements this.
 */
export interface Shape {
  readonly name: string;
  /** Where this product's clients send their credentials, in the order they are tried. */
  readonly credentials: readonly CredentialSource[];
  /** The `UserDirectory` methods this shape calls; a factory refuses a directory without them. */
  readonly needs?: readonly (keyof UserDirectory)[];
  /** A gate that runs before authentication (SOAJS's tenant key). */
  readonly precheck?: (req: Request, users: UserDirectory | undefined) => Promise<LogoutError | undefined>;
  /** When `true`, a logout with no valid session is a success (SOAJS), not a 401. */
  readonly anonymousLogout?: boolean;
  /**
   * The success reply. It runs after the store confirmed the ending and its event was told, so a throw here
   * cannot undo it: the session stays ended, `session.ended` fires exactly once, and the throw (a `LogoutError`
   * too) goes to the host's error handler through `next(err)`, usually a 500. It is never answered with `error`.
   */
  readonly ended: (outcome: EndedOutcome, req: Request) => Reply;
  /** The reply for a refusal or a store failure (`store-unavailable` must keep its 503 and `Retry-After`). */
  readonly error: (error: LogoutError, req: Request) => Reply;
  /** The caller, for a who-am-I route (`whoAmI`). */
  readonly whoAmI?: (caller: Authentication, req: Request) => Reply;
  /** Reads the paging, filter and sort of a list companion (throw a `bad-request` LogoutError to refuse); default `offset`/`count`. */
  readonly sessionListQuery?: (req: Request) => SessionListQuery;
  /** The caller's sessions, for a list companion. */
  readonly sessionList?: (outcome: SessionListOutcome, req: Request) => Reply;
  /** One of the caller's sessions, for an info companion. */
  readonly sessionInfo?: (session: SessionView, req: Request) => Reply;
  /** The logout URL and token of the browser logout flow (`browserLogoutFlow`). */
  readonly logoutUrl?: (outcome: LogoutUrlOutcome, req: Request) => Reply;
  /** The formats of the browser logout flow (`browserLogoutFlow`), with `logoutUrl`. */
  readonly logoutFlow?: LogoutFlowWire;
  /**
   * For browser flows with an error page: the redirect that sends a browser there with this error, or
   * `undefined` to answer with `error` instead (an API client, or an error a page cannot handle).
   */
  readonly errorRedirect?: (error: LogoutError, req: Request, errorPageUrl: string) => Reply | undefined;
  /** The product's administrator routes (list anyone's sessions, end them, extend one), for the admin factories. */
  readonly admin?: AdminShape;
}
