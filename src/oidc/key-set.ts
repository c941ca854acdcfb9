import { SetupError } from "../options/index.js";
import { createLocalJWKSet, createRemoteJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from "jose";

/**
 * The keys a logout token may be signed with:
 * - the provider's JWKS URL (`"https://op.example/jwks"` or a `URL`): fetched once, cached, fetched again when a
 *   token names a `kid` the cache lacks (at most once per `cooldownMs`) and when the cache is older than
 *   `maxAgeMs`; never an HTTP call per request for a known key;
 * - `{ jwksUri, cooldownMs, maxAgeMs }`: the same, with its timings;
 * - a static JWK set `{ keys: [...] }` (public keys only);
 * - a jose key resolver (`createRemoteJWKSet(...)` of your own, for example).
 */
export type LogoutTokenKeys =
  | string
  | URL
  | {
      /** The provider's `jwks_uri`. */
      readonly jwksUri: string | URL;
      /**
       * How long after a fetch an unknown `kid` may fetch again, in ms.
       * @defaultValue 30 000 (`DEFAULT_JWKS_COOLDOWN_MS`)
       */
      readonly cooldownMs?: number;
      /**
       * How long the fetched key set is kept, in ms.
       * @defaultValue 10 minutes (`DEFAULT_JWKS_MAX_AGE_MS`)
       */
      readonly maxAgeMs?: number;
    }
  | JSONWebKeySet
  | JWTVerifyGetKey;

/** Default wait before an unknown `kid` may fetch the JWKS again: 30 s (jose's default). */
export const DEFAULT_JWKS_COOLDOWN_MS = 30_000;
/** Default age after which the cached JWKS is fetched again: 10 minutes (jose's default). */
export const DEFAULT_JWKS_MAX_AGE_MS = 600_000;

/**
 * The provider's keys could not be fetched and the cache does not hold the token's key: the token can be neither
 * accepted nor called invalid. The handler answers 503, never a success.
 */
export class KeysUnavailableError extends Error {
  /** Always `"KeysUnavailableError"`. */
  override readonly name = "KeysUnavailableError";
}

function fail(message: string): never {
  throw new SetupError(message.startsWith("needs") ? "option-required" : "option-invalid", `backchannelLogout ${message}`);
}

function parseUrl(value: string | URL): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    fail(`\`keys\` ${JSON.stringify(String(value))} is not a URL; pass the provider's \`jwks_uri\` (from its /.well-known/openid-configuration) or a JWK set \`{ keys: [...] }\`.`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") fail("`keys` must be an http(s) JWKS URL.");
  return url;
}

function duration(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) fail(`\`keys.${name}\` must be a whole number of milliseconds >= 0.`);
  return value;
}

/** Whether an error of a remote key set means "the JWKS could not be fetched", as opposed to "no such key". */
function isFetchFailure(error: unknown): boolean {
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys || error instanceof errors.JOSENotSupported) return false;
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) return true;
  // jose answers a non-200 or non-JSON JWKS with a plain JOSEError; a network failure is fetch's TypeError.
  return error instanceof TypeError || (error instanceof errors.JOSEError && error.code === "ERR_JOSE_GENERIC") || !(error instanceof errors.JOSEError);
}

/**
 * A remote JWKS that keeps serving the keys it last fetched while the provider's JWKS endpoint is down: a known
 * key keeps verifying, an unknown `kid` cannot be looked up and is refused (`KeysUnavailableError`).
 */
function resilientRemoteKeySet(url: URL, cooldownMs: number, maxAgeMs: number, timeoutMs: number): JWTVerifyGetKey {
  const remote = createRemoteJWKSet(url, { cooldownDuration: cooldownMs, cacheMaxAge: maxAgeMs, timeoutDuration: Math.ceil(timeoutMs) });
  return async function logoutTokenKey(header, token) {
    try {
      return await remote(header, token);
    } catch (error) {
      if (!isFetchFailure(error)) throw error;
      const last = remote.jwks();
      if (last === undefined) throw new KeysUnavailableError(`the provider's JWKS at ${url.href} could not be fetched`, { cause: error });
      try {
        return await createLocalJWKSet(last)(header, token);
      } catch (cause) {
        if (cause instanceof errors.JWKSNoMatchingKey) throw new KeysUnavailableError(`the token's key is not among the cached ones and the JWKS at ${url.href} could not be fetched`, { cause });
        throw cause;
      }
    }
  };
}

/** Turns the `keys` option into a jose key resolver, once, at setup. */
export function resolveLogoutTokenKeys(keys: unknown, timeoutMs: number): JWTVerifyGetKey {
  if (keys === undefined) fail("needs `keys`: the provider's `jwks_uri` (e.g. \"https://op.example.com/jwks\") or a JWK set `{ keys: [...] }`.");
  if (typeof keys === "function") return keys as JWTVerifyGetKey;
  if (typeof keys === "string" || keys instanceof URL) return resilientRemoteKeySet(parseUrl(keys), DEFAULT_JWKS_COOLDOWN_MS, DEFAULT_JWKS_MAX_AGE_MS, timeoutMs);
  if (typeof keys !== "object" || keys === null) fail("`keys` must be a JWKS URL, `{ jwksUri }`, a JWK set `{ keys: [...] }` or a key resolver.");
  const o = keys as Record<string, unknown>;
  if ("jwksUri" in o) {
    for (const name of Object.keys(o)) if (!["jwksUri", "cooldownMs", "maxAgeMs"].includes(name)) fail(`\`keys\` has an unsupported option \`${name}\` (known: jwksUri, cooldownMs, maxAgeMs).`);
    const uri = o.jwksUri;
    if (typeof uri !== "string" && !(uri instanceof URL)) fail("`keys.jwksUri` must be the provider's JWKS URL.");
    return resilientRemoteKeySet(parseUrl(uri), duration(o.cooldownMs, "cooldownMs", DEFAULT_JWKS_COOLDOWN_MS), duration(o.maxAgeMs, "maxAgeMs", DEFAULT_JWKS_MAX_AGE_MS), timeoutMs);
  }
  if (!Array.isArray(o.keys) || o.keys.length === 0) fail("`keys` as a JWK set must be `{ keys: [ ...public JWKs ] }` with at least one key.");
  for (const [i, jwk] of (o.keys as unknown[]).entries()) {
    if (typeof jwk !== "object" || jwk === null) fail(`\`keys.keys[${i}]\` is not a JWK.`);
    const k = jwk as Record<string, unknown>;
    if (k.kty === "oct") fail(`\`keys.keys[${i}]\` is a symmetric key: logout tokens must be signed with the provider's asymmetric keys.`);
    if (k.d !== undefined) fail(`\`keys.keys[${i}]\` holds a private key: pass the public JWK only (the provider's jwks_uri serves them).`);
  }
  return createLocalJWKSet(keys as JSONWebKeySet);
}
