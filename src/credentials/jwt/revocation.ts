import type { Request } from "express";
import { getAuthentication } from "../../request-state.js";
import { isJwtRevocation } from "../../store/answers.js";
import type { EpochMs, JwtRevocationStore, MarkerStore, ResolvedPrincipal, SessionRecord, SessionStore } from "../../types.js";
import { issuedAtMs, type JwtClaims } from "./claims.js";

/** The store a JWT source works with: JWT revocation for the deny-list and cut-off, markers for end and keep. */
export type JwtStore = SessionStore & JwtRevocationStore & MarkerStore;

/** How long revocations must last: the verifier's clock tolerance and longest token lifetime. */
export interface JwtRevocationPolicy {
  readonly toleranceSeconds: number;
  readonly maxLifetimeMs: number;
}

/** The principal a verified, not revoked JWT resolves to. */
export interface JwtPrincipal extends ResolvedPrincipal {
  /** The verified token's claims. */
  readonly claims: JwtClaims;
}

/**
 * The deny-list key of a token: its issuer and `jti` (the store adds the user). Keyed by claims, never by the
 * token's bytes, so a re-encoded or re-signed copy of a revoked token is refused too (OWASP JWT cheat sheet).
 */
export function jwtDenyKey(claims: Pick<JwtClaims, "jti" | "iss">): string {
  return JSON.stringify([claims.iss ?? null, claims.jti]);
}

/** The one-time marker of the logout that ended a token. */
export function endedKey(userId: string, denyKey: string): string {
  return `jwt-ended:${JSON.stringify([userId, denyKey])}`;
}

/** The marker that keeps one token alive across its own "log out my other devices" cut-off. */
export function keptKey(userId: string, cutoff: EpochMs, denyKey: string): string {
  return `jwt-kept:${JSON.stringify([userId, cutoff, denyKey])}`;
}

/**
 * A logout-everywhere cut-off taken now: every token issued up to and including this millisecond is refused
 * (a token issued in the same millisecond cannot be ordered, so it counts as older). See docs/jwt.md.
 */
export function cutoffNow(): EpochMs {
  return Date.now() + 1;
}

/** How long a cut-off must be kept: until every token issued before it has expired, tolerance included. */
export function cutoffKeptUntil(cutoff: EpochMs, maxLifetimeMs: number, toleranceSeconds: number): EpochMs {
  return cutoff + maxLifetimeMs + Math.ceil(toleranceSeconds * 1000);
}

export function deniedUntil(claims: Pick<JwtClaims, "exp">, toleranceSeconds: number): EpochMs {
  // A token is accepted up to `exp + clockTolerance`: the denial must last as long.
  return Math.ceil((claims.exp + toleranceSeconds) * 1000);
}
/** Marks principals made here, for `getJwtClaims`; registered, so both builds of the library recognise them. */
const JWT_PRINCIPAL = Symbol.for("express-logout.jwt-principal");

/** The claims of the JWT that authenticated this request (after `requireSession` or any factory), or `undefined`. */
export function getJwtClaims(req: Request): JwtClaims | undefined {
  const principal: unknown = getAuthentication(req)?.principal;
  return isJwtPrincipal(principal) ? principal.claims : undefined;
}

function isJwtPrincipal(value: unknown): value is JwtPrincipal {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[JWT_PRINCIPAL] === true;
}

/** Sets the user's logout-everywhere cut-off to now, kept as long as a token issued before it can live. */
export async function cutOff(store: JwtRevocationStore, userId: string, policy: JwtRevocationPolicy): Promise<EpochMs> {
  const cutoff = cutoffNow();
  await store.revokeJwtsIssuedBefore(userId, cutoff, cutoffKeptUntil(cutoff, policy.maxLifetimeMs, policy.toleranceSeconds));
  return cutoff;
}

/** The principal of a verified token: its session view, and how logout ends it, all of its user's, or the others. */
export function jwtPrincipal(claims: JwtClaims, denyKey: string, policy: JwtRevocationPolicy): JwtPrincipal {
  const session: SessionRecord = {
    id: claims.jti,
    userId: claims.sub,
    tokenHash: "",
    createdAt: issuedAtMs(claims.iat),
    expiresAt: Math.round(claims.exp * 1000),
  };
  const until = deniedUntil(claims, policy.toleranceSeconds);
  // The factories checked at setup that the store has both capabilities (the source's `needs`).
  const jwtStore = (store: SessionStore) => store as JwtStore;
  const principal: JwtPrincipal & { readonly [JWT_PRINCIPAL]: true } = {
    [JWT_PRINCIPAL]: true,
    session,
    claims,
    async end(store) {
      // Deny first: whatever happens next, the token is ended. Then a one-time marker tells concurrent logouts
      // of the same token apart, so exactly one reports that it ended it (as `revokeSession` does).
      await jwtStore(store).denyJwt(claims.sub, denyKey, until);
      return jwtStore(store).claim(endedKey(claims.sub, denyKey), Math.max(1, until - Date.now()));
    },
    async endAll(store) {
      await cutOff(jwtStore(store), claims.sub, policy);
      return 1;
    },
    async endOthers(store) {
      // Mark this token as kept for the new cut-off first, so it never sees a moment of refusal. The marker is
      // bound to the cut-off's exact value: a later logout-everywhere moves the cut-off and voids it.
      const cutoff = cutoffNow();
      await jwtStore(store).claim(keptKey(claims.sub, cutoff, denyKey), Math.max(1, until - Date.now()));
      await jwtStore(store).revokeJwtsIssuedBefore(claims.sub, cutoff, cutoffKeptUntil(cutoff, policy.maxLifetimeMs, policy.toleranceSeconds));
      return 0;
    },
  };
  return principal;
}

/**
 * The principal of a verified token, or `undefined` when it is denied or older than its user's cut-off (and
 * not the one token kept by "log out my other devices"). One store call, two for a token older than a cut-off.
 * A store answer that is not what the contract says is thrown, and so becomes a 503.
 */
export async function resolveJwt(store: SessionStore, claims: JwtClaims, policy: JwtRevocationPolicy): Promise<JwtPrincipal | undefined> {
  const denyKey = jwtDenyKey(claims);
  const revocation: unknown = await (store as JwtStore).jwtRevocation(claims.sub, denyKey);
  if (!isJwtRevocation(revocation)) throw new Error("jwtRevocation answered a malformed value");
  if (revocation.denied) return undefined;
  const cutoff = revocation.issuedBefore ?? undefined;
  if (cutoff !== undefined && issuedAtMs(claims.iat) < cutoff) {
    // Only a token older than its user's cut-off pays this second call: was it the one kept by "log out others"?
    const kept: unknown = await (store as JwtStore).isClaimed(keptKey(claims.sub, cutoff, denyKey));
    if (typeof kept !== "boolean") throw new Error("isClaimed answered a malformed value");
    if (!kept) return undefined;
  }
  return jwtPrincipal(claims, denyKey, policy);
}

