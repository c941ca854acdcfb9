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
  EndSessionByIdOptions,
  EndSessionByTokenOptions,
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
  /** The user's id: the `userId` of its sessions. Required. */
  readonly id: string;
  /** The name the user logs in with; shapes show it (Rocket.Chat's `username`, the neutral `whoAmI`). Required. */
  readonly username: string;
  /** The user's e-mail address (Endor, SOAJS, Kratos' traits). */
  readonly email?: string;
  /** Given name (SOAJS, Rocket.Chat's `name`, Kratos' `name.first`). */
  readonly firstName?: string;
  /** Family name (SOAJS, Rocket.Chat's `name`, Kratos' `name.last`). */
  readonly lastName?: string;
  /** The user's groups (SOAJS). */
  readonly groups?: readonly string[];
  /** When the account was created, in epoch milliseconds. */
  readonly createdAt?: EpochMs;
  /** When the account last changed, in epoch milliseconds. */
  readonly updatedAt?: EpochMs;
  /** When the user last logged in, in epoch milliseconds. */
  readonly lastLoginAt?: EpochMs;
  /** The account's status as the host words it (SOAJS' `status`). */
  readonly status?: string;
  /** Whether the account is locked (SOAJS). */
  readonly locked?: boolean;
  /** The tenant the user belongs to (SOAJS). */
  readonly tenant?: TenantRecord;
  /** Free-form profile fields (SOAJS' `profile`). */
  readonly profile?: Readonly<Record<string, unknown>>;
  /** Free-form per-user configuration (SOAJS' `config`). */
  readonly config?: Readonly<Record<string, unknown>>;
  /** The user's groups' configuration (SOAJS' `groupsConfig`). */
  readonly groupsConfig?: readonly unknown[];
}

/** A tenant as the host knows it (SOAJS): answered by `users.resolveTenantKey`. */
export interface TenantRecord {
  /** The tenant's id. */
  readonly id: string;
  /** The tenant's short code (SOAJS' `tenant.code`). */
  readonly code: string;
}

/** An API key as the host keeps it: the secret only as `hashSecret(secret)`. */
export interface ApiKeyRecord {
  /** The public key id the client sends as `key`. */
  readonly id: string;
  /** Whose key it is. */
  readonly userId: string;
  /** `hashSecret(secret)`: the secret itself is never kept. */
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
      /** A session token: the store is asked for the session whose token hashes to it. */
      readonly kind: "session-token";
      /** Which source found it, e.g. `"bearer"`, `"cookie:sid"`, `"soajsauth"`; for events and shapes. */
      readonly source: string;
      /** The token as presented. Never logged, never in an event. */
      readonly token: string;
      /** A user id the client claims alongside the token (`X-User-Id`); must match the session's. */
      readonly claimedUserId?: string;
    }
  | {
      /** An API key and its secret (Endor Labs). */
      readonly kind: "api-key";
      /** Which source found it. */
      readonly source: string;
      /** The public key id. */
      readonly key: string;
      /** The secret, compared in constant time with the key's `secretHash`. Never logged. */
      readonly secret: string;
    }
  | {
      /** A credential that resolves itself (a JWT). */
      readonly kind: "resolved";
      /** Which source found it. */
      readonly source: string;
      /** Resolves the credential to a session-like principal (JWTs do this), or `undefined` when invalid. */
      resolve(store: SessionStore): Promise<ResolvedPrincipal | undefined>;
    }
  | {
      /** A credential that is there but malformed: a refusal, never a fall-through to the next source. */
      readonly kind: "invalid";
      /** Which source found it. */
      readonly source: string;
      /** The refusal the shape answers. */
      readonly error: LogoutError;
    };

/** A principal found by a `resolved` credential (a JWT): logout ends it through `end`. */
export interface ResolvedPrincipal {
  /** The session-like record the credential stands for (for a JWT: id = `jti`, userId = `sub`). */
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
  /** The source's name in messages and events (`"bearer"`, `"cookie:sid"`). */
  readonly name: string;
  /**
   * The store capabilities this source's credentials need beyond the core (a JWT source needs
   * `"jwt-revocation"` and `"markers"`); every factory it is passed to checks them at setup.
   * @defaultValue none
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
  /** The caller's session (for a JWT, the record it stands for). */
  readonly session: SessionRecord;
  /** The credential the caller presented. */
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
  /** Which logout it was. */
  readonly target: LogoutTargetKind;
  /** The caller, or `undefined` for an anonymous logout (SOAJS answers it with `data: true`). */
  readonly caller: Authentication | undefined;
  /** The caller's user as it was before the logout. */
  readonly user: UserRecord | undefined;
  /** The session a `session` target ended. */
  readonly sessionId: string | undefined;
  /** How many sessions ended. */
  readonly count: number;
  /** When, in epoch milliseconds. */
  readonly endedAt: EpochMs;
  /**
   * Where a browser goes next, set by the browser logout flow (the validated `return_to`, or its default). A
   * shape sends browsers there and answers API clients without a redirect.
   */
  readonly redirectTo?: string;
}

/** What the browser logout flow hands its shape when it issues a logout URL. */
export interface LogoutUrlOutcome {
  /** Who asked for the logout URL. */
  readonly caller: Authentication;
  /** The URL a browser opens to log out: the flow's logout route, `return_to` (if any) and the token. */
  readonly logoutUrl: string;
  /** The token alone, bound to the caller's session, for clients that call the logout route themselves. */
  readonly logoutToken: string;
}

/** What a shape asks to be written: status, headers and a JSON value or a string body. */
export interface Reply {
  /** The HTTP status. */
  readonly status: number;
  /** Headers to set besides `Content-Type`, which follows the body. */
  readonly headers?: Readonly<Record<string, string>>;
  /** A string is sent as is; anything else is sent as JSON. `undefined` sends an empty body. */
  readonly body?: unknown;
}

/** A session as the session-management companions show it to its owner: never the token hash. */
export interface SessionView {
  /** The session's id (never its token). */
  readonly id: string;
  /** Whose session it is. */
  readonly userId: string;
  /** When it was opened, in epoch milliseconds. */
  readonly createdAt: EpochMs;
  /** The absolute expiry: when the session ends for good. */
  readonly expiresAt: EpochMs;
  /** When the session idles out unless it is used again, or `undefined` without an idle timeout. */
  readonly idleExpiresAt: EpochMs | undefined;
  /** When the user last proved who they are in this session. */
  readonly authenticatedAt: EpochMs;
  /** How (authentication method names, most recent last). */
  readonly amr: readonly string[];
  /** When it was last used, when the store records activity. */
  readonly lastSeenAt: EpochMs | undefined;
  /** How the user logged in, as `issueSession` recorded it. */
  readonly authenticationSource: string | undefined;
  /** The client's address at login. */
  readonly ip: string | undefined;
  /** The client's `User-Agent` at login. */
  readonly userAgent: string | undefined;
  /** Whether it is the session of the request that asked. */
  readonly current: boolean;
}

/** A page of the caller's sessions, for the list companions. */
export interface SessionListOutcome {
  /** Whose sessions they are. */
  readonly caller: Authentication;
  /** The page of sessions. */
  readonly sessions: readonly SessionView[];
  /** How many sessions match, over every page. */
  readonly total: number;
  /** The offset of the first session on the page. */
  readonly offset: number;
  /** The page size asked for, when the shape read it (`shape.sessionListQuery`). */
  readonly limit?: number;
}

/** How a shape pages, filters and orders the caller's own sessions (`shape.sessionListQuery`). */
export interface SessionListQuery {
  /** Sessions to skip. */
  readonly offset: number;
  /** The page size. */
  readonly limit: number;
  /**
   * `"newest-login"`: by `createdAt`, newest first.
   * @defaultValue most recent activity first
   */
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
  /** The shape's name, for messages (`"kratos"`, `"rocket-chat"`). */
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
