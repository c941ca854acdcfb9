import type { EpochMs, SessionRecord, SessionStore } from "../types.js";

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
 * The optional store capability behind OpenID Connect back-channel logout: the store remembers which provider
 * session each local session came from, and finds the local sessions of an `(iss, sid)` or an `(iss, sub)` through
 * an index, never by scanning. `MemorySessionStore` and `RedisSessionStore` implement it; a custom store proves
 * its implementation with `express-logout/testing` (`providerSessionLinks: true`).
 */
export interface ProviderSessionLinks {
  /** Records a link. Linking the same local session again replaces nothing: each link is kept until its `expiresAt`. */
  linkProviderSession(link: ProviderSessionLink): Promise<void>;
  /** The links of live local sessions opened from the provider session `(issuer, sid)`, in no particular order. */
  findSessionsByProviderSid(issuer: string, sid: string): Promise<ProviderSessionLink[]>;
  /** The links of live local sessions of the provider user `(issuer, subject)`, whatever their `sid`. */
  findSessionsByProviderSubject(issuer: string, subject: string): Promise<ProviderSessionLink[]>;
}

/** The methods of the `ProviderSessionLinks` capability. */
export const providerSessionLinkMethods = ["linkProviderSession", "findSessionsByProviderSid", "findSessionsByProviderSubject"] as const satisfies readonly (keyof ProviderSessionLinks)[];

/** Whether a store has the `ProviderSessionLinks` capability (all three methods). */
export function hasProviderSessionLinks(store: SessionStore): store is SessionStore & ProviderSessionLinks {
  const record = store as unknown as Record<string, unknown>;
  return providerSessionLinkMethods.every((name) => typeof record[name] === "function");
}

/**
 * Throws a `TypeError` at setup when `store` cannot link sessions to a provider, naming what it lacks.
 * `who` names the factory or function that needs it.
 */
export function assertProviderSessionLinks(store: SessionStore, who: string): asserts store is SessionStore & ProviderSessionLinks {
  if (hasProviderSessionLinks(store)) return;
  const record = store as unknown as Record<string, unknown>;
  const missing = providerSessionLinkMethods.filter((name) => typeof record[name] !== "function");
  throw new TypeError(
    `express-logout: ${who} needs a store that links sessions to an OpenID Provider's; this store lacks ${missing.map((m) => `\`${m}\``).join(", ")}. ` +
      "Use MemorySessionStore or RedisSessionStore, or implement the ProviderSessionLinks methods (docs/oidc-logout.md) and check them with express-logout/testing.",
  );
}

/** The longest `iss`, `sub` or `sid` accepted, in characters: far above any provider's, far below abuse. */
export const MAX_PROVIDER_CLAIM_LENGTH = 1024;

/**
 * Checks a provider session given by the host (`issuer`, `subject`, optional `sid`), so a mistake at login fails
 * there with a message, not later as a back-channel logout that finds nothing.
 */
export function checkProviderSession(value: unknown, who: string): ProviderSession {
  if (typeof value !== "object" || value === null) {
    throw new TypeError(`express-logout: ${who} \`providerSession\` must be an object \`{ issuer, subject, sid }\` taken from the verified ID token's iss, sub and sid.`);
  }
  const { issuer, subject, sid } = value as Record<string, unknown>;
  const text = (name: string, v: unknown): string => {
    if (typeof v !== "string" || v === "" || v.length > MAX_PROVIDER_CLAIM_LENGTH) {
      throw new TypeError(`express-logout: ${who} \`providerSession.${name}\` must be a non-empty string of at most ${MAX_PROVIDER_CLAIM_LENGTH} characters (the ID token's claim, as received).`);
    }
    return v;
  };
  return {
    issuer: text("issuer", issuer),
    subject: text("subject", subject),
    ...(sid === undefined ? {} : { sid: text("sid", sid) }),
  };
}

/**
 * Links a local session to the provider session it was opened from, for back-channel logout. `issueSession`
 * calls it when given `providerSession`; call it yourself for sessions your app opens in another way (an
 * express-session login, for example), right after the session exists. The link lives as long as the session.
 *
 * ```ts
 * const claims = tokens.claims(); // the verified ID token
 * await linkSessionToProvider(store, session, { issuer: claims.iss, subject: claims.sub, sid: claims.sid });
 * ```
 */
export async function linkSessionToProvider(
  store: SessionStore,
  session: Pick<SessionRecord, "id" | "userId" | "expiresAt">,
  providerSession: ProviderSession,
): Promise<void> {
  assertProviderSessionLinks(store, "linkSessionToProvider");
  const provider = checkProviderSession(providerSession, "linkSessionToProvider");
  await store.linkProviderSession({ ...provider, sessionId: session.id, userId: session.userId, expiresAt: session.expiresAt });
}
