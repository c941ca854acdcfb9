export { LogoutError, errorKinds, isLogoutError, type BadInputProblem, type LogoutErrorCode, type LogoutErrorDetails } from "./errors.js";
export { LogoutEvents, isLogoutEvents, type LogoutEventListener, type LogoutEventMap, type LogoutEventName } from "./events.js";
export type { FailureCause } from "./failure-cause.js";
export type { NotMountable } from "./options/mounted-uncalled.js";
export { SetupError, type SetupErrorCode } from "./options/index.js";
export { constantTimeEqual, generateToken, hashSecret, verifySecret } from "./secrets.js";
export { issueSession, DEFAULT_SESSION_LIFETIME_MS, DEFAULT_SESSION_TTL_MS, type IssueSessionOptions, type IssuedSession } from "./sessions.js";
export { idleExpiresAt, isSessionLive, lastAuthenticatedAt, sessionEndsAt, MAX_AMR_ENTRIES, type SessionTimes } from "./lifetime/deadlines.js";
export {
  endSessionsAfterCredentialChange,
  type CredentialChangeReason,
  type CredentialChangeResult,
  type EndSessionsAfterCredentialChangeOptions,
} from "./credential-change.js";
export { recordActivity, touchInterval, DEFAULT_TOUCH_EVERY_MS, type RecordActivityOptions } from "./lifetime/activity.js";
export { withDeadline, type WithDeadlineOptions } from "./with-deadline.js";
export { MemorySessionStore, type MemorySessionStoreOptions } from "./store/memory.js";
export { RedisSessionStore, type RedisCommandRoute, type RedisSendCommand, type RedisSessionStoreOptions } from "./store/redis.js";
export {
  allStoreMethods,
  assertSessionStore,
  assertStoreCapabilities,
  hasStoreCapability,
  sessionStoreMethods,
  storeCapabilityMethods,
} from "./store/capabilities.js";
export {
  hasRevocationFeed,
  type RevocationFeed,
  type SessionEndListener,
  type SessionEndNotice,
  type SessionEndReason,
} from "./store/revocation-feed.js";
export type { RedisSubscriber } from "./store/redis-feed.js";
export {
  apiKeyAndSecret,
  bearerToken,
  cookieToken,
  encodeSoajsAuth,
  headerToken,
  soajsAuth,
  userIdAndToken,
  MAX_TOKEN_LENGTH,
  type ApiKeyOptions,
  type CookieTokenOptions,
} from "./credentials/index.js";
export {
  credentialsWithJwt,
  getJwtClaims,
  issueJwt,
  jwtBearer,
  revokeJwt,
  revokeUserJwts,
  DEFAULT_JWT_CLOCK_TOLERANCE_SECONDS,
  DEFAULT_MAX_JWT_LIFETIME_MS,
  type IssueJwtOptions,
  type IssuedJwt,
  type JwtAlgorithm,
  type JwtBearerOptions,
  type JwtClaims,
  type JwtCredentialSource,
  type JwtKeyMaterial,
  type JwtKeyRequest,
  type JwtKeyResolver,
  type JwtLocation,
  type JwtPrincipal,
  type JwtRevocationOptions,
  type JwtVerifierOptions,
} from "./credentials/jwt/index.js";
export { linkSessionToProvider, MAX_PROVIDER_CLAIM_LENGTH } from "./oidc/provider-session.js";
export { backchannelLogout, type BackchannelLogoutOptions } from "./oidc/backchannel-logout.js";
export { rpInitiatedLogout, type RpInitiatedLogout, type RpInitiatedLogoutOptions } from "./oidc/rp-initiated-logout.js";
export { DEFAULT_DISCOVERY_CACHE_MS } from "./oidc/discovery.js";
export {
  verifyLogoutToken,
  InvalidLogoutTokenError,
  BACKCHANNEL_LOGOUT_EVENT,
  DEFAULT_LOGOUT_TOKEN_ALGORITHMS,
  DEFAULT_LOGOUT_TOKEN_CLOCK_TOLERANCE_SECONDS,
  DEFAULT_LOGOUT_TOKEN_MAX_AGE_SECONDS,
  type LogoutTokenClaims,
  type LogoutTokenRules,
} from "./oidc/logout-token.js";
export { KeysUnavailableError, DEFAULT_JWKS_COOLDOWN_MS, DEFAULT_JWKS_MAX_AGE_MS, type LogoutTokenKeys } from "./oidc/key-set.js";
export { shapes } from "./shapes/index.js";
export { endorAuthenticationResponse, endorUser } from "./shapes/endor.js";
export { soajsUser } from "./shapes/soajs.js";
export { bodySessionId, querySessionId, rocketChatAdminSession, rocketChatSession, rocketChatUser } from "./shapes/rocket-chat.js";
export { KRATOS_SESSION_COOKIE, kratosError, kratosSession, parseSessionId as parseKratosUuid, type KratosErrorFields, type SessionLike as KratosSessionFields } from "./shapes/kratos.js";
export { kratosAdminShape, type IdentityIdParser, type KratosAdminOptions } from "./shapes/kratos-admin.js";
export { checkReturnTo, compileReturnToPolicy, MAX_RETURN_TO_LENGTH, type ReturnToAllowRule, type ReturnToCheck, type ReturnToPolicy, type ReturnToPolicyOptions } from "./return-to.js";
export type { CommonOptions } from "./handlers/options.js";
export { watchSessions, SessionWatcher, type Admission, type WatchSessionsOptions, type WatcherStats } from "./live/watch-sessions.js";
export type { LiveEndReason } from "./live/connections.js";
export type { OriginPolicy } from "./live/origin.js";
export {
  socketIoSessions,
  SESSION_ENDED_EVENT,
  type SessionEndedPayload,
  type SocketIoRefusal,
  type SocketIoSocketLike,
} from "./live/socket-io.js";
export { sessionEventStream, SSE_LOGOUT_EVENT, type SessionEventStream, type SessionEventStreamOptions } from "./live/sse.js";
export { acceptWebSockets, WEBSOCKET_CLOSE, type AcceptWebSocketsOptions, type WebSocketLike, type WebSocketServerLike } from "./live/ws.js";
export { getAuthentication } from "./request-state.js";
export { userDirectory } from "./user-directory.js";
export { requireSession, type RequireSessionOptions } from "./handlers/require-session.js";
export { requireRecentAuth, DEFAULT_RECENT_AUTH_MAX_AGE_MS, type RequireRecentAuthOptions } from "./handlers/require-recent-auth.js";
export { markAuthenticated, type MarkAuthenticatedOptions } from "./handlers/mark-authenticated.js";
export { createLogoutHandler, type LogoutHandlerOptions, type SessionIdFromRequest } from "./handlers/create-logout-handler.js";
export { whoAmI } from "./handlers/who-am-i.js";
export { requirePermission, type RequirePermissionOptions } from "./handlers/require-permission.js";
export {
  requireTotp,
  DEFAULT_TOTP_FAILURE_WINDOW_MS,
  DEFAULT_TOTP_MAX_FAILURES,
  DEFAULT_TOTP_MAX_LOCKOUTS_PER_DAY,
  type RequireTotpOptions,
} from "./handlers/require-totp.js";
export { listSessions, sessionInfo, viewOf, type ListSessionsOptions, type SessionInfoOptions } from "./handlers/list-sessions.js";
export { adminListSessions, adminListUserSessions, DEFAULT_ADMIN_MAX_SCAN, type AdminListSessionsOptions } from "./handlers/admin/list-sessions.js";
export { adminGetSession, adminExtendSession, type AdminExtendSessionOptions } from "./handlers/admin/session.js";
export { adminEndSession, adminEndUserSessions, type AdminEndUserSessionsOptions } from "./handlers/admin/end-sessions.js";
export type { AdminOptions } from "./handlers/admin/setup.js";
export type { AdminGate, AdminTotpOptions, ApiKeyGate, PermissionGate } from "./handlers/admin/gate.js";
export { PERMISSION_IN_HANDLER, type AdminEndedOutcome, type AdminListQuery, type AdminSessionPage, type AdminSessionView, type AdminShape } from "./handlers/admin/types.js";
export {
  assertSessionDirectory,
  isSessionDirectory,
  sessionDirectoryMethods,
  type AllSessionsPage,
  type AllSessionsPageRequest,
  type SessionDirectory,
} from "./store/session-directory.js";
export {
  browserLogoutFlow,
  type BrowserLogoutFlow,
  type BrowserLogoutFlowOptions,
  type ReturnToOptions,
  type SessionCookieOptions,
} from "./handlers/browser-logout-flow/index.js";
export type {
  ApiKeyRecord,
  Authentication,
  CredentialSource,
  EndedOutcome,
  EpochMs,
  CompleteSessionStore,
  JwtRevocation,
  JwtRevocationStore,
  LogoutFlowWire,
  LogoutTargetKind,
  MarkerStore,
  LogoutUrlOutcome,
  MaybePromise,
  PresentedCredential,
  ProviderSession,
  ProviderSessionLink,
  ProviderSessionLinks,
  Reply,
  ResolvedPrincipal,
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
  SessionListOutcome,
  SessionListQuery,
  SessionRecord,
  SessionStore,
  SessionView,
  Shape,
  SessionLimitStore,
  StepUpStore,
  StoreCapability,
  TenantRecord,
  UserDirectory,
  UserRecord,
} from "./types.js";
export {
  trackSessions,
  DEFAULT_LAST_SEEN_EVERY_MS,
  type ExpressSessionStoreLike,
  type TrackedSessionStore,
  type TrackedStoreMember,
  type TrackSessionsOptions,
} from "./express-session/track-sessions.js";
export { expressSession, type ExpressSessionOptions } from "./express-session/credential.js";
export { readSessionCookie, DEFAULT_SESSION_COOKIE, type SignedSessionCookieOptions } from "./express-session/signed-cookie.js";
export { defaultSessionUserId, type SessionUserId } from "./express-session/user-id.js";
export { sessionStoreUnavailable, type SessionStoreUnavailableOptions } from "./express-session/store-unavailable.js";
export { DEFAULT_UNEXPIRING_SESSION_TTL_MS } from "./express-session/session-tracker.js";
