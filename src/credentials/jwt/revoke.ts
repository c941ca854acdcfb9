import { checkKnownOptions, optionNames, SetupError } from "../../options/index.js";
import { assertSessionStore, assertStoreCapabilities } from "../../store/capabilities.js";
import type { EpochMs, JwtRevocationStore, SessionStore } from "../../types.js";
import { checkLifetime, checkTolerance, isClaimString, isRecord, isTime, type JwtClaims } from "./claims.js";
import { cutOff, deniedUntil, jwtDenyKey } from "./revocation.js";

/** Options of `revokeJwt` and `revokeUserJwts`. */
export interface JwtRevocationOptions {
  /**
   * The verifier's `clockToleranceSeconds`.
   * @defaultValue 5
   */
  readonly clockToleranceSeconds?: number;
  /**
   * The verifier's `maxTokenLifetimeMs`.
   * @defaultValue 24 hours
   */
  readonly maxTokenLifetimeMs?: number;
}

const REVOCATION_OPTIONS = optionNames<JwtRevocationOptions>({ clockToleranceSeconds: true, maxTokenLifetimeMs: true });

/**
 * Denies one token by its claims until it expires (an admin tool that knows a token's `sub`, `jti`, `exp` and
 * `iss`). To revoke a token string, use the source's `revoke(store, token)`: it verifies the token first.
 */
export async function revokeJwt(
  store: SessionStore & JwtRevocationStore,
  claims: Pick<JwtClaims, "sub" | "jti" | "exp" | "iss">,
  options: Readonly<JwtRevocationOptions> = {},
): Promise<void> {
  assertSessionStore(store);
  checkKnownOptions("revokeJwt", options, REVOCATION_OPTIONS);
  assertStoreCapabilities(store, ["jwt-revocation"], "revokeJwt");
  const tolerance = checkTolerance("revokeJwt", options.clockToleranceSeconds);
  if (!isRecord(claims) || !isClaimString(claims.sub) || !isClaimString(claims.jti) || !isTime(claims.exp) || (claims.iss !== undefined && typeof claims.iss !== "string")) {
    throw new SetupError("option-invalid", "revokeJwt needs the token's claims `sub`, `jti` and `exp` (and `iss` when it has one).");
  }
  await store.denyJwt(claims.sub, jwtDenyKey(claims), deniedUntil(claims, tolerance));
}

/**
 * Refuses every token of the user issued up to now, on every instance sharing the store (logout everywhere).
 * Answers the cut-off: tokens issued before it are refused.
 */
export async function revokeUserJwts(store: SessionStore & JwtRevocationStore, userId: string, options: Readonly<JwtRevocationOptions> = {}): Promise<EpochMs> {
  assertSessionStore(store);
  checkKnownOptions("revokeUserJwts", options, REVOCATION_OPTIONS);
  assertStoreCapabilities(store, ["jwt-revocation"], "revokeUserJwts");
  const tolerance = checkTolerance("revokeUserJwts", options.clockToleranceSeconds);
  const maxLifetimeMs = checkLifetime("revokeUserJwts", options.maxTokenLifetimeMs);
  if (!isClaimString(userId)) throw new SetupError("option-invalid", "revokeUserJwts needs the user id (a token's `sub`).");
  return cutOff(store, userId, { toleranceSeconds: tolerance, maxLifetimeMs });
}