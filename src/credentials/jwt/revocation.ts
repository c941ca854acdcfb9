import type { Request } from "express";
import { getAuthentication } from "../../request-state.js";
import { isJwtRevocation } from "../../store/answers.js";
import type { EpochMs, JwtRevocationStore, MarkerStore, ResolvedPrincipal, SessionRecord, SessionStore } from "../../types.js";
import { jsonText, stringLiteral } from "../../json-literal.js";
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
  // `JSON.stringify([iss ?? null, jti])`, the key every store already holds, written without the array and the
  // call on every JWT request; a claim of another type than the verifier lets through takes the call itself.
  const rawIss: unknown = claims.iss;
  const iss = rawIss === undefined || rawIss === null ? "null" : stringLiteral(rawIss);
  const jti = stringLiteral(claims.jti);
  return jsonText`[${iss},${jti}]` ?? JSON.stringify([claims.iss ?? null, claims.jti]);
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

/**
 * The principal of a verified token: its session view, and how logout ends it, all of its user's, or the others.
 * A class, so the three endings are methods shared by every principal rather than closures made per request.
 * The factories checked at setup that the store has both capabilities (the source's `needs`).
 */
class VerifiedJwt implements JwtPrincipal {
  readonly [JWT_PRINCIPAL] = true;
  readonly session: SessionRecord;
  readonly claims: JwtClaims;
  readonly #denyKey: string;
  readonly #policy: JwtRevocationPolicy;
  /** Until when a denial of this token must last. */
  readonly #until: EpochMs;

  constructor(claims: JwtClaims, denyKey: string, policy: JwtRevocationPolicy) {
    this.claims = claims;
    this.session = { id: claims.jti, userId: claims.sub, tokenHash: "", createdAt: issuedAtMs(claims.iat), expiresAt: Math.round(claims.exp * 1000) };
    this.#denyKey = denyKey;
    this.#policy = policy;
    this.#until = deniedUntil(claims, policy.toleranceSeconds);
  }

  async end(store: SessionStore): Promise<boolean> {
    // Deny first: whatever happens next, the token is ended. Then a one-time marker tells concurrent logouts
    // of the same token apart, so exactly one reports that it ended it (as `revokeSession` does).
    const { sub } = this.claims;
    await (store as JwtStore).denyJwt(sub, this.#denyKey, this.#until);
    return (store as JwtStore).claim(endedKey(sub, this.#denyKey), Math.max(1, this.#until - Date.now()));
  }

  async endAll(store: SessionStore): Promise<number> {
    await cutOff(store as JwtStore, this.claims.sub, this.#policy);
    return 1;
  }

  async endOthers(store: SessionStore): Promise<number> {
    // Mark this token as kept for the new cut-off first, so it never sees a moment of refusal. The marker is
    // bound to the cut-off's exact value: a later logout-everywhere moves the cut-off and voids it.
    const { sub } = this.claims;
    const { maxLifetimeMs, toleranceSeconds } = this.#policy;
    const cutoff = cutoffNow();
    await (store as JwtStore).claim(keptKey(sub, cutoff, this.#denyKey), Math.max(1, this.#until - Date.now()));
    await (store as JwtStore).revokeJwtsIssuedBefore(sub, cutoff, cutoffKeptUntil(cutoff, maxLifetimeMs, toleranceSeconds));
    return 0;
  }
}

/** The principal of a verified token (see `VerifiedJwt`). */
export function jwtPrincipal(claims: JwtClaims, denyKey: string, policy: JwtRevocationPolicy): JwtPrincipal {
  return new VerifiedJwt(claims, denyKey, policy);
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

