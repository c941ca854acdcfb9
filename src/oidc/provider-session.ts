import { SetupError } from "../options/index.js";
import { assertStoreCapabilities } from "../store/capabilities.js";
import type { ProviderSession, ProviderSessionLinks, SessionRecord, SessionStore } from "../store/types.js";
import { withProperties } from "../with-properties.js";

/** The longest `iss`, `sub` or `sid` accepted, in characters: far above any provider's, far below abuse. */
export const MAX_PROVIDER_CLAIM_LENGTH = 1024;

/**
 * Checks a provider session given by the host (`issuer`, `subject`, optional `sid`), so a mistake at login fails
 * there with a message, not later as a back-channel logout that finds nothing.
 */
export function checkProviderSession(value: unknown, who: string): ProviderSession {
  if (typeof value !== "object" || value === null) {
    throw new SetupError("option-invalid", `${who} \`providerSession\` must be an object \`{ issuer, subject, sid }\` taken from the verified ID token's iss, sub and sid.`);
  }
  const { issuer, subject, sid } = value as Record<string, unknown>;
  const text = (name: string, v: unknown): string => {
    if (typeof v !== "string" || v === "" || v.length > MAX_PROVIDER_CLAIM_LENGTH) {
      throw new SetupError("option-invalid", `${who} \`providerSession.${name}\` must be a non-empty string of at most ${MAX_PROVIDER_CLAIM_LENGTH} characters (the ID token's claim, as received).`);
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
 * does it when given `providerSession`; call it yourself for sessions your app opens in another way (an
 * express-session login, for example), right after the session exists. The link lives as long as the session.
 * The store needs the `provider-links` capability (`MemorySessionStore` and `RedisSessionStore` have it).
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
  assertStoreCapabilities(store, ["provider-links"], "linkSessionToProvider");
  const provider = checkProviderSession(providerSession, "linkSessionToProvider");
  await withLinks(store).linkProviderSession(withProperties(provider, { sessionId: session.id, userId: session.userId, expiresAt: session.expiresAt }));
}

/** The store as a `ProviderSessionLinks`, once `assertStoreCapabilities(store, ["provider-links"])` passed. */
export function withLinks(store: SessionStore): SessionStore & ProviderSessionLinks {
  return store as SessionStore & ProviderSessionLinks;
}
