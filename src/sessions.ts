import { randomUUID } from "node:crypto";
import { assertSessionStore } from "./store/capabilities.js";
import { SetupError } from "./options/index.js";
import { checkProviderSession, withLinks } from "./oidc/provider-session.js";
import { assertStoreCapabilities } from "./store/capabilities.js";
import { generateToken, hashSecret } from "./secrets.js";
import type { ProviderSession, SessionRecord, SessionStore } from "./types.js";

/**
 * A session id: a random UUID as one flat string. `randomUUID()` assembles its answer from about twenty
 * concatenated pieces, which V8 keeps as a rope of some 450 bytes until something reads the characters; a
 * store that holds a million sessions would hold a million ropes (measured: 885 instead of 461 bytes of heap per
 * session in MemorySessionStore). Copying the 36 characters once at login keeps only them.
 */
export function newSessionId(): string {
  return Buffer.from(randomUUID(), "latin1").toString("latin1");
}

/** Default session lifetime: 24 hours. */
export const DEFAULT_SESSION_TTL_MS = 24 * 60 * 60 * 1000;

export interface IssueSessionOptions {
  readonly userId: string;
  /** Lifetime in ms. Default 24 h. */
  readonly ttlMs?: number;
  readonly authenticationSource?: string;
  readonly apiKeyId?: string;
  readonly tenant?: string;
  readonly ip?: string;
  readonly userAgent?: string;
  /** Prepended to the token, e.g. `"ory_st_"`, so leaked tokens are recognisable by secret scanners. */
  readonly tokenPrefix?: string;
  /**
   * The OpenID Provider session this login came from: the verified ID token's `iss`, `sub` and `sid`. The
   * session is linked to it, so `backchannelLogout` can end it when the provider signs the user out. Needs a
   * store with the `ProviderSessionLinks` capability (the built-in stores have it). Default: not linked.
   */
  readonly providerSession?: ProviderSession;
}

export interface IssuedSession {
  /** The bearer token. It exists only here: the store keeps its hash. Hand it to the client once. */
  readonly token: string;
  readonly session: SessionRecord;
}

/**
 * Opens a session at login: a 256-bit token from the crypto RNG, stored only as its hash. Call it from the
 * host's own login route, after the host has checked the password.
 */
export async function issueSession(store: SessionStore, options: Readonly<IssueSessionOptions>): Promise<IssuedSession> {
  assertSessionStore(store);
  if (typeof options.userId !== "string" || options.userId === "") {
    throw new SetupError("option-invalid", "issueSession needs a non-empty `userId`.");
  }
  const providerSession = options.providerSession === undefined ? undefined : checkProviderSession(options.providerSession, "issueSession");
  if (providerSession !== undefined) assertStoreCapabilities(store, ["provider-links"], "issueSession with `providerSession`");
  const ttlMs = options.ttlMs ?? DEFAULT_SESSION_TTL_MS;
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new SetupError("option-invalid", "issueSession `ttlMs` must be a positive number of milliseconds.");
  }
  const token = generateToken(options.tokenPrefix);
  const now = Date.now();
  const session: SessionRecord = {
    id: newSessionId(),
    userId: options.userId,
    tokenHash: hashSecret(token),
    createdAt: now,
    expiresAt: now + ttlMs,
    lastSeenAt: now,
    ...(options.authenticationSource === undefined ? {} : { authenticationSource: options.authenticationSource }),
    ...(options.apiKeyId === undefined ? {} : { apiKeyId: options.apiKeyId }),
    ...(options.tenant === undefined ? {} : { tenant: options.tenant }),
    ...(options.ip === undefined ? {} : { ip: options.ip }),
    ...(options.userAgent === undefined ? {} : { userAgent: options.userAgent.slice(0, 512) }),
  };
  await store.createSession(session);
  if (providerSession !== undefined) {
    try {
      await withLinks(store).linkProviderSession({ ...providerSession, sessionId: session.id, userId: session.userId, expiresAt: session.expiresAt });
    } catch (error) {
      // A session the provider could not end would outlive the provider's logout: end it, and let the login fail.
      await store.revokeSession(session.id).catch(() => undefined);
      throw error;
    }
  }
  return { token, session };
}
