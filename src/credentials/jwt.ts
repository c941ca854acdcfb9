import { KeyObject, createPrivateKey, createPublicKey, createSecretKey, randomUUID } from "node:crypto";
import type { Request } from "express";
import jsonwebtoken from "jsonwebtoken";
import { LogoutError } from "../errors.js";
import { closest } from "../handlers/options.js";
import { getAuthentication } from "../handlers/runtime.js";
import { assertSessionStore } from "../store/contract.js";
import type { CredentialSource, EpochMs, PresentedCredential, ResolvedPrincipal, SessionRecord, SessionStore, Shape } from "../types.js";
import { MAX_TOKEN_LENGTH, bearerToken, cookieToken } from "./index.js";

/** The signature algorithms jsonwebtoken 9 implements. `none` is not one of them here, on purpose. */
export type JwtAlgorithm =
  | "HS256"
  | "HS384"
  | "HS512"
  | "RS256"
  | "RS384"
  | "RS512"
  | "PS256"
  | "PS384"
  | "PS512"
  | "ES256"
  | "ES384"
  | "ES512";

const jwtAlgorithms: readonly JwtAlgorithm[] = ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"];

/** RFC 7518 §3.2: an HMAC key must be at least as long as the hash output. */
const hmacKeyBytes: Readonly<Partial<Record<JwtAlgorithm, number>>> = { HS256: 32, HS384: 48, HS512: 64 };
const ecCurves: Readonly<Partial<Record<JwtAlgorithm, string>>> = { ES256: "prime256v1", ES384: "secp384r1", ES512: "secp521r1" };
const MIN_RSA_BITS = 2048;

/** Key material: a `KeyObject` (best: parsed once), a PEM string or Buffer, or, for HS*, the secret itself. */
export type JwtKeyMaterial = KeyObject | string | Buffer;

/** What a key resolver is told about a token: only its algorithm and `kid`, nothing that names a URL or a key. */
export interface JwtKeyRequest {
  /** Already checked against `algorithms`. */
  readonly alg: JwtAlgorithm;
  /** The token's `kid` header, untrusted: a map key, never a path, a URL or a query. */
  readonly kid: string | undefined;
}

/**
 * The host's key lookup, for key rotation: picks one of the keys it already holds by `kid`. It is synchronous,
 * so it cannot fetch or read anything per request. Answer `undefined` for an unknown `kid` (a throw counts the
 * same: the token is refused).
 */
export type JwtKeyResolver = (header: JwtKeyRequest) => JwtKeyMaterial | undefined;

/** Where the token travels. */
export type JwtLocation = "authorization" | { readonly cookie: string; readonly signed?: boolean };

export interface JwtBearerOptions {
  /**
   * The algorithms a token may be signed with. Required, no default: jsonwebtoken would otherwise pick them
   * from the key (CVE-2022-23540 and CVE-2022-23541). `none` is refused, and so is mixing HS* with RS/PS/ES.
   */
  readonly algorithms: readonly JwtAlgorithm[];
  /** The shared secret for HS* (at least as many bytes as the hash: 32 for HS256). */
  readonly secret?: JwtKeyMaterial;
  /** The public key for RS*, PS* or ES* (PEM, DER Buffer or KeyObject). Never the private key. */
  readonly publicKey?: JwtKeyMaterial;
  /** Instead of `secret`/`publicKey`: the host's synchronous lookup by `kid` (key rotation). */
  readonly key?: JwtKeyResolver;
  /** Accepted `iss` value(s). Default: any issuer (set it whenever tokens come from an identity provider). */
  readonly issuer?: string | readonly string[];
  /** Accepted `aud` value(s). Default: any audience. */
  readonly audience?: string | readonly string[];
  /** Seconds of clock skew allowed on `exp`, `nbf` and `iat`. Default 5; at most 300. */
  readonly clockToleranceSeconds?: number;
  /**
   * The longest lifetime (`exp - iat`) a token may have, in ms; longer tokens are refused. A logout-everywhere
   * cut-off is kept this long, so it outlives every token it ends. Default 24 hours.
   */
  readonly maxTokenLifetimeMs?: number;
  /** Where the token is read. Default `"authorization"` (`Authorization: Bearer <jwt>`); or `{ cookie: name }`. */
  readonly from?: JwtLocation;
  /**
   * When the value found is not shaped like a JWT, leave it to the next credential source (an opaque session
   * token) instead of refusing it. Default `false`.
   */
  readonly fallThrough?: boolean;
}

/** The claims of a verified token. `sub`, `jti`, `iat` and `exp` are always present. */
export interface JwtClaims {
  readonly sub: string;
  readonly jti: string;
  /** Seconds since the epoch; may carry a fraction (milliseconds) when `issueJwt` made the token. */
  readonly iat: number;
  readonly exp: number;
  readonly iss?: string;
  readonly aud?: string | readonly string[];
  readonly nbf?: number;
  readonly [claim: string]: unknown;
}

/** The principal a verified, not revoked JWT resolves to. */
export interface JwtPrincipal extends ResolvedPrincipal {
  readonly claims: JwtClaims;
}

/** A credential source for JWTs, with the token operations that must agree with its verification. */
export interface JwtCredentialSource extends CredentialSource {
  /** The name of the source this one stands in for in a shape's list: `"bearer"` or `"cookie:<name>"`. */
  readonly replaces: string;
  readonly fallThrough: boolean;
  /** The claims of a token that verifies (signature, algorithm, `iss`, `aud`, `exp`, `nbf`, required claims), or `undefined`. No store call. */
  verify(token: string): JwtClaims | undefined;
  /** Refuses this token (by its `jti`) everywhere until it expires. Answers `false` for a token that does not verify. */
  revoke(store: SessionStore, token: string): Promise<boolean>;
  /** Refuses every token of the user issued up to now (logout everywhere, from an admin tool). */
  revokeUser(store: SessionStore, userId: string): Promise<void>;
}

/** Default `clockToleranceSeconds`. */
export const DEFAULT_JWT_CLOCK_TOLERANCE_SECONDS = 5;
/** Default `maxTokenLifetimeMs`: 24 hours. */
export const DEFAULT_MAX_JWT_LIFETIME_MS = 24 * 60 * 60 * 1000;
const MAX_CLOCK_TOLERANCE_SECONDS = 300;
/** Longest `sub` and `jti` accepted (OpenID Connect caps `sub` at 255 ASCII characters); they become store keys. */
const MAX_CLAIM_LENGTH = 255;
const MAX_KID_LENGTH = 256;

/** Three base64url parts, the signature not empty: the only JWS form accepted. No padding, no whitespace. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * Headers that name a key or a place to fetch one (RFC 7515 §4.1), and `crit`. The library never follows them;
 * a token that tries to choose its own key is refused outright. jsonwebtoken ignores `crit`, and RFC 7515 §4.1.11
 * says a token with extensions the recipient does not understand must be refused, so it is.
 */
const refusedHeaders = ["jku", "jwk", "x5u", "x5c", "crit"] as const;

const bearerOptionNames = [
  "algorithms",
  "secret",
  "publicKey",
  "key",
  "issuer",
  "audience",
  "clockToleranceSeconds",
  "maxTokenLifetimeMs",
  "from",
  "fallThrough",
];

type Family = "hmac" | "asymmetric";

function familyOf(alg: JwtAlgorithm): Family {
  return alg.startsWith("HS") ? "hmac" : "asymmetric";
}

type KeyResult = { readonly key: KeyObject; readonly problem?: undefined } | { readonly key?: undefined; readonly problem: string };

/**
 * Turns key material into a KeyObject of the family the algorithms need. The family is fixed per source, so a
 * public key can never be used as an HMAC secret (CVE-2022-23541) whatever a token's header says.
 */
function toKeyObject(material: unknown, family: Family, role: "verify" | "sign"): KeyResult {
  if (material instanceof KeyObject) return { key: material };
  if (typeof material !== "string" && !Buffer.isBuffer(material)) return { problem: "must be a KeyObject, a string or a Buffer" };
  if (family === "hmac") {
    const text = typeof material === "string" ? material : material.toString("latin1");
    if (text.includes("-----BEGIN")) {
      return { problem: "is a PEM key, but HS* algorithms take a shared secret (random bytes); use RS256/ES256 with the key pair instead" };
    }
    try {
      return { key: createSecretKey(typeof material === "string" ? Buffer.from(material, "utf8") : material) };
    } catch {
      return { problem: "is not usable as an HMAC secret" };
    }
  }
  if (role === "verify") {
    // createPublicKey would quietly derive the public half of a private key; a verifier has no business holding one.
    if (parseAsymmetric(material, "private") !== undefined) {
      return { problem: "is a private key; a verifier needs only the public key (keep the private key where tokens are issued)" };
    }
    const key = parseAsymmetric(material, "public");
    return key === undefined ? { problem: "is not a public key (PEM, DER or a KeyObject)" } : { key };
  }
  const key = parseAsymmetric(material, "private");
  return key === undefined ? { problem: "is not a private key (PEM, DER or a KeyObject)" } : { key };
}

/** A PEM string or Buffer, or a DER Buffer in any of the usual encodings, as a KeyObject; `undefined` if none fits. */
function parseAsymmetric(material: string | Buffer, kind: "public" | "private"): KeyObject | undefined {
  const attempts: (() => KeyObject)[] = [];
  if (kind === "public") {
    attempts.push(() => createPublicKey(material));
    if (Buffer.isBuffer(material)) {
      for (const type of ["spki", "pkcs1"] as const) attempts.push(() => createPublicKey({ key: material, format: "der", type }));
    }
  } else {
    attempts.push(() => createPrivateKey(material));
    if (Buffer.isBuffer(material)) {
      for (const type of ["pkcs8", "pkcs1", "sec1"] as const) attempts.push(() => createPrivateKey({ key: material, format: "der", type }));
    }
  }
  for (const attempt of attempts) {
    try {
      return attempt();
    } catch {
      // Not this encoding: try the next.
    }
  }
  return undefined;
}

/** Why `key` cannot serve `alg`, or `undefined` when it can. */
function keyProblem(key: KeyObject, alg: JwtAlgorithm, role: "verify" | "sign"): string | undefined {
  const minBytes = hmacKeyBytes[alg];
  if (minBytes !== undefined) {
    if (key.type !== "secret") return `${alg} needs a shared secret, not a ${key.type} key`;
    const size = key.symmetricKeySize ?? 0;
    if (size < minBytes) return `a ${alg} secret must hold at least ${minBytes} bytes (RFC 7518 §3.2), this one holds ${size}`;
    return undefined;
  }
  const wanted = role === "verify" ? "public" : "private";
  if (key.type !== wanted) return `${alg} needs a ${wanted} key, not a ${key.type} key`;
  const type = key.asymmetricKeyType;
  const curve = ecCurves[alg];
  if (curve !== undefined) {
    if (type !== "ec" || key.asymmetricKeyDetails?.namedCurve !== curve) return `${alg} needs an EC key on curve ${curve}`;
    return undefined;
  }
  if (alg.startsWith("RS") && type !== "rsa") return `${alg} needs an RSA key`;
  if (alg.startsWith("PS") && type !== "rsa" && type !== "rsa-pss") return `${alg} needs an RSA or RSA-PSS key`;
  if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) return `RSA keys must have at least ${MIN_RSA_BITS} bits`;
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isClaimString(value: unknown): value is string {
  return typeof value === "string" && value.length > 0 && value.length <= MAX_CLAIM_LENGTH;
}

function isTime(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0;
}

/** Every part must be canonical base64url: no second spelling of the same bytes reaches the verifier. */
function canonical(token: string): boolean {
  for (const part of token.split(".")) {
    if (Buffer.from(part, "base64url").toString("base64url") !== part) return false;
  }
  return true;
}

function decodeHeader(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, "base64url").toString("utf8"));
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** `iat` in ms. Integer `iat` is the start of its second; a fractional one (from `issueJwt`) is exact to the ms. */
export function issuedAtMs(iat: number): EpochMs {
  return Math.round(iat * 1000);
}

/**
 * The deny-list key of a token: its issuer and `jti` (the store adds the user). Keyed by claims, never by the
 * token's bytes, so a re-encoded or re-signed copy of a revoked token is refused too (OWASP JWT cheat sheet).
 */
export function jwtDenyKey(claims: Pick<JwtClaims, "jti" | "iss">): string {
  return JSON.stringify([claims.iss ?? null, claims.jti]);
}

/** The one-time marker of the logout that ended a token. */
function endedKey(userId: string, denyKey: string): string {
  return `jwt-ended:${JSON.stringify([userId, denyKey])}`;
}

/** The marker that keeps one token alive across its own "log out my other devices" cut-off. */
function keptKey(userId: string, cutoff: EpochMs, denyKey: string): string {
  return `jwt-kept:${JSON.stringify([userId, cutoff, denyKey])}`;
}

/**
 * A logout-everywhere cut-off taken now: every token issued up to and including this millisecond is refused
 * (a token issued in the same millisecond cannot be ordered, so it counts as older). See docs/jwt.md.
 */
function cutoffNow(): EpochMs {
  return Date.now() + 1;
}

/** How long a cut-off must be kept: until every token issued before it has expired, tolerance included. */
function cutoffKeptUntil(cutoff: EpochMs, maxLifetimeMs: number, toleranceSeconds: number): EpochMs {
  return cutoff + maxLifetimeMs + Math.ceil(toleranceSeconds * 1000);
}

function deniedUntil(claims: Pick<JwtClaims, "exp">, toleranceSeconds: number): EpochMs {
  // A token is accepted up to `exp + clockTolerance`: the denial must last as long.
  return Math.ceil((claims.exp + toleranceSeconds) * 1000);
}

/** Principals made here, so `getJwtClaims` can tell them from other resolved credentials. */
const jwtPrincipals = new WeakMap<ResolvedPrincipal, JwtClaims>();

/** The claims of the JWT that authenticated this request (after `requireSession` or any factory), or `undefined`. */
export function getJwtClaims(req: Request): JwtClaims | undefined {
  const principal = getAuthentication(req)?.principal;
  return principal === undefined ? undefined : jwtPrincipals.get(principal);
}

function checkKnownOptions(factory: string, options: unknown, known: readonly string[]): asserts options is Record<string, unknown> {
  if (!isRecord(options)) throw new TypeError(`express-logout: ${factory} needs an options object.`);
  for (const name of Object.keys(options)) {
    if (known.includes(name)) continue;
    const suggestion = closest(name, known);
    throw new TypeError(`express-logout: ${factory} received an unsupported option \`${name}\`.${suggestion === undefined ? "" : ` Did you mean \`${suggestion}\`?`}`);
  }
}

function checkTolerance(factory: string, value: unknown): number {
  const seconds = value ?? DEFAULT_JWT_CLOCK_TOLERANCE_SECONDS;
  if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 0 || seconds > MAX_CLOCK_TOLERANCE_SECONDS) {
    throw new TypeError(`express-logout: ${factory} \`clockToleranceSeconds\` must be a number of seconds from 0 to ${MAX_CLOCK_TOLERANCE_SECONDS}, received ${String(value)}.`);
  }
  return seconds;
}

function checkLifetime(factory: string, value: unknown): number {
  const ms = value ?? DEFAULT_MAX_JWT_LIFETIME_MS;
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms <= 0) {
    throw new TypeError(`express-logout: ${factory} \`maxTokenLifetimeMs\` must be a positive number of milliseconds, received ${String(value)}.`);
  }
  return ms;
}

function checkStrings(factory: string, name: string, value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  const list: unknown[] = typeof value === "string" ? [value] : Array.isArray(value) ? (value as unknown[]) : [];
  if (list.length === 0 || !list.every((v) => typeof v === "string" && v !== "")) {
    throw new TypeError(`express-logout: ${factory} \`${name}\` must be a non-empty string or a non-empty array of them.`);
  }
  return list as string[];
}

function checkAlgorithm(factory: string, name: string, value: unknown): JwtAlgorithm {
  if (value === "none" || (typeof value === "string" && value.toLowerCase() === "none")) {
    throw new TypeError(`express-logout: ${factory} \`${name}\` must not be "none": an unsigned token proves nothing (CVE-2022-23540).`);
  }
  if (typeof value !== "string" || !(jwtAlgorithms as readonly string[]).includes(value)) {
    throw new TypeError(`express-logout: ${factory} \`${name}\` has an unknown algorithm ${JSON.stringify(value)}; use one of ${jwtAlgorithms.join(", ")}.`);
  }
  return value as JwtAlgorithm;
}

/**
 * A credential source for JWTs issued by the host (with `issueJwt` or jsonwebtoken 9). Logout really ends a
 * token: its `jti` is denied in the store until it expires, and "log out everywhere" sets a per-user cut-off.
 *
 * Per request: a synchronous verification (no I/O), then one store call (`jwtRevocation`) for a token that
 * verifies; a token that does not verify costs no store call at all. Pass it to the factories in `credentials`,
 * for example `credentials: credentialsWithJwt(shapes.endor, jwt)`.
 *
 * A token is refused unless it carries `sub`, `jti`, `iat` and `exp`, its `iat` is not in the future, and
 * `exp - iat` is at most `maxTokenLifetimeMs`.
 */
export function jwtBearer(options: Readonly<JwtBearerOptions>): JwtCredentialSource {
  const factory = "jwtBearer";
  checkKnownOptions(factory, options, bearerOptionNames);
  const rawAlgorithms: unknown = options.algorithms;
  if (!Array.isArray(rawAlgorithms) || rawAlgorithms.length === 0) {
    throw new TypeError(
      `express-logout: ${factory} \`algorithms\` is required: list the algorithms your tokens are signed with, e.g. \`algorithms: ["HS256"]\` or \`["RS256"]\`. There is no default, so a token can never choose its own.`,
    );
  }
  const algorithms = [...new Set((rawAlgorithms as unknown[]).map((alg) => checkAlgorithm(factory, "algorithms", alg)))];
  const families = new Set(algorithms.map(familyOf));
  if (families.size > 1) {
    throw new TypeError(
      `express-logout: ${factory} \`algorithms\` mixes HS* with RS/PS/ES (${algorithms.join(", ")}). One source verifies with one kind of key: mixing them is how a public key gets used as an HMAC secret (CVE-2022-23541). Use two sources if you truly need both.`,
    );
  }
  const family = familyOf(algorithms[0] as JwtAlgorithm);
  const given = (["secret", "publicKey", "key"] as const).filter((name) => options[name] !== undefined);
  if (given.length !== 1) {
    const want = family === "hmac" ? "`secret`" : "`publicKey`";
    throw new TypeError(
      `express-logout: ${factory} needs exactly one of ${want} or \`key\` (a resolver by kid)${given.length > 1 ? `, received ${given.map((g) => `\`${g}\``).join(" and ")}` : ""}.`,
    );
  }
  if (given[0] === "secret" && family !== "hmac") {
    throw new TypeError(`express-logout: ${factory} \`secret\` is for HS* algorithms; ${algorithms.join(", ")} verify with \`publicKey\`.`);
  }
  if (given[0] === "publicKey" && family !== "asymmetric") {
    throw new TypeError(`express-logout: ${factory} \`publicKey\` is for RS/PS/ES algorithms; ${algorithms.join(", ")} verify with \`secret\`.`);
  }
  let fixedKey: KeyObject | undefined;
  let resolver: JwtKeyResolver | undefined;
  if (given[0] === "key") {
    if (typeof options.key !== "function") throw new TypeError(`express-logout: ${factory} \`key\` must be a function \`({ alg, kid }) => key | undefined\`.`);
    resolver = options.key;
  } else {
    const name = given[0] as "secret" | "publicKey";
    const result = toKeyObject(options[name], family, "verify");
    if (result.key === undefined) throw new TypeError(`express-logout: ${factory} \`${name}\` ${result.problem}.`);
    for (const alg of algorithms) {
      const problem = keyProblem(result.key, alg, "verify");
      if (problem !== undefined) throw new TypeError(`express-logout: ${factory} \`${name}\` cannot verify ${alg}: ${problem}.`);
    }
    fixedKey = result.key;
  }
  const issuer = checkStrings(factory, "issuer", options.issuer);
  const audience = checkStrings(factory, "audience", options.audience);
  const tolerance = checkTolerance(factory, options.clockToleranceSeconds);
  const maxLifetimeMs = checkLifetime(factory, options.maxTokenLifetimeMs);
  const fallThrough = options.fallThrough ?? false;
  if (typeof fallThrough !== "boolean") throw new TypeError(`express-logout: ${factory} \`fallThrough\` must be a boolean.`);
  const from = options.from ?? "authorization";
  let inner: CredentialSource;
  if (from === "authorization") {
    inner = bearerToken();
  } else if (isRecord(from) && typeof from.cookie === "string" && /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(from.cookie)) {
    inner = cookieToken(from.cookie, { signed: from.signed === true });
  } else {
    throw new TypeError(`express-logout: ${factory} \`from\` must be "authorization" or \`{ cookie: "<cookie name>" }\`.`);
  }
  const name = `jwt:${inner.name}`;
  const verifyOptions = {
    algorithms: [...algorithms],
    clockTolerance: tolerance,
    complete: true as const,
    ...(issuer === undefined ? {} : { issuer: issuer as [string, ...string[]] }),
    ...(audience === undefined ? {} : { audience: audience as [string, ...string[]] }),
  };
  // A resolver usually answers with one of a few PEM strings; parse each once.
  const parsed = new Map<string, KeyResult>();

  function keyFor(request: JwtKeyRequest): KeyObject | undefined {
    if (fixedKey !== undefined) return fixedKey;
    let material: JwtKeyMaterial | undefined;
    try {
      material = resolver?.(Object.freeze({ ...request }));
    } catch {
      return undefined;
    }
    if (material === undefined) return undefined;
    let result = typeof material === "string" ? parsed.get(material) : undefined;
    if (result === undefined) {
      result = toKeyObject(material, family, "verify");
      if (typeof material === "string") {
        if (parsed.size >= 64) parsed.clear();
        parsed.set(material, result);
      }
    }
    if (result.key === undefined || keyProblem(result.key, request.alg, "verify") !== undefined) return undefined;
    return result.key;
  }

  function verify(token: string): JwtClaims | undefined {
    if (typeof token !== "string" || token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(token) || !canonical(token)) return undefined;
    const header = decodeHeader(token.slice(0, token.indexOf(".")));
    if (header === undefined) return undefined;
    const alg = header.alg;
    if (typeof alg !== "string" || !(algorithms as readonly string[]).includes(alg)) return undefined;
    if (refusedHeaders.some((h) => Object.hasOwn(header, h))) return undefined;
    const kid = header.kid;
    if (kid !== undefined && (typeof kid !== "string" || kid.length > MAX_KID_LENGTH)) return undefined;
    const key = keyFor({ alg: alg as JwtAlgorithm, kid });
    if (key === undefined) return undefined;
    let payload: unknown;
    try {
      payload = jsonwebtoken.verify(token, key, verifyOptions).payload;
    } catch {
      return undefined;
    }
    return checkClaims(payload);
  }

  function checkClaims(payload: unknown): JwtClaims | undefined {
    if (!isRecord(payload)) return undefined;
    const { sub, jti, iat, exp, iss } = payload;
    if (!isClaimString(sub) || !isClaimString(jti) || !isTime(iat) || !isTime(exp)) return undefined;
    if (iss !== undefined && typeof iss !== "string") return undefined;
    const now = Date.now();
    const iatMs = issuedAtMs(iat);
    // A token from the future would outlive every cut-off; one that lives longer than the cut-off is kept would
    // come back to life when the cut-off expires.
    if (iatMs > now + tolerance * 1000) return undefined;
    if (exp <= iat || exp * 1000 - iatMs > maxLifetimeMs) return undefined;
    return Object.freeze({ ...payload }) as JwtClaims;
  }

  async function cutOff(store: SessionStore, userId: string): Promise<void> {
    const cutoff = cutoffNow();
    await store.revokeJwtsIssuedBefore(userId, cutoff, cutoffKeptUntil(cutoff, maxLifetimeMs, tolerance));
  }

  function principalOf(claims: JwtClaims, denyKey: string): JwtPrincipal {
    const session: SessionRecord = {
      id: claims.jti,
      userId: claims.sub,
      tokenHash: "",
      createdAt: issuedAtMs(claims.iat),
      expiresAt: Math.round(claims.exp * 1000),
    };
    const until = deniedUntil(claims, tolerance);
    const principal: JwtPrincipal = {
      session,
      claims,
      async end(store) {
        // Deny first: whatever happens next, the token is ended. Then a one-time marker tells concurrent logouts
        // of the same token apart, so exactly one reports that it ended it (as `revokeSession` does).
        await store.denyJwt(claims.sub, denyKey, until);
        return store.claim(endedKey(claims.sub, denyKey), Math.max(1, until - Date.now()));
      },
      async endAll(store) {
        await cutOff(store, claims.sub);
        return 1;
      },
      async endOthers(store) {
        // Mark this token as kept for the new cut-off first, so it never sees a moment of refusal. The marker is
        // bound to the cut-off's exact value: a later logout-everywhere moves the cut-off and voids it.
        const cutoff = cutoffNow();
        await store.incrementCounter(keptKey(claims.sub, cutoff, denyKey), Math.max(1, until - Date.now()));
        await store.revokeJwtsIssuedBefore(claims.sub, cutoff, cutoffKeptUntil(cutoff, maxLifetimeMs, tolerance));
        return 0;
      },
    };
    jwtPrincipals.set(principal, claims);
    return principal;
  }

  async function resolveToken(token: string, store: SessionStore): Promise<JwtPrincipal | undefined> {
    const claims = verify(token);
    if (claims === undefined) return undefined;
    const denyKey = jwtDenyKey(claims);
    const revocation = await store.jwtRevocation(claims.sub, denyKey);
    if (revocation.denied) return undefined;
    const cutoff = revocation.issuedBefore;
    if (cutoff !== undefined && issuedAtMs(claims.iat) < cutoff) {
      // Only a token older than its user's cut-off pays this second call: was it the one kept by "log out others"?
      const kept = await store.readCounter(keptKey(claims.sub, cutoff, denyKey));
      if (kept <= 0) return undefined;
    }
    return principalOf(claims, denyKey);
  }

  const refusal = (): PresentedCredential => ({ kind: "invalid", source: name, error: new LogoutError("unauthenticated", "malformed token") });

  return {
    name,
    replaces: inner.name,
    fallThrough,
    read(req) {
      const found = inner.read(req);
      if (found === undefined || found.kind === "invalid") return found;
      if (found.kind !== "session-token") return undefined;
      const token = found.token;
      if (!COMPACT_JWS.test(token)) return fallThrough ? undefined : refusal();
      return { kind: "resolved", source: name, resolve: (store) => resolveToken(token, store) };
    },
    verify,
    async revoke(store, token) {
      assertSessionStore(store);
      const claims = verify(token);
      if (claims === undefined) return false;
      await store.denyJwt(claims.sub, jwtDenyKey(claims), deniedUntil(claims, tolerance));
      return true;
    },
    async revokeUser(store, userId) {
      assertSessionStore(store);
      if (!isClaimString(userId)) throw new TypeError("express-logout: revokeUser needs the user id (a token's `sub`).");
      await cutOff(store, userId);
    },
  };
}

/**
 * A shape's credential list with the JWT source in place of the one it stands in for (the bearer header, or the
 * cookie of the same name); with `fallThrough`, the JWT source goes just before it instead. A shape without
 * such a source gets the JWT source first. Nothing here depends on which shape it is.
 */
export function credentialsWithJwt(shape: Shape | readonly CredentialSource[], jwt: JwtCredentialSource): CredentialSource[] {
  const list: readonly CredentialSource[] = "ended" in shape ? shape.credentials : shape;
  const index = list.findIndex((source) => source.name === jwt.replaces);
  if (index === -1) return [jwt, ...list];
  return [...list.slice(0, index), jwt, ...list.slice(jwt.fallThrough ? index : index + 1)];
}

export interface JwtRevocationOptions {
  /** The verifier's `clockToleranceSeconds`. Default 5. */
  readonly clockToleranceSeconds?: number;
  /** The verifier's `maxTokenLifetimeMs`. Default 24 hours. */
  readonly maxTokenLifetimeMs?: number;
}

/**
 * Denies one token by its claims until it expires (an admin tool that knows a token's `sub`, `jti`, `exp` and
 * `iss`). To revoke a token string, use the source's `revoke(store, token)`: it verifies the token first.
 */
export async function revokeJwt(
  store: SessionStore,
  claims: Pick<JwtClaims, "sub" | "jti" | "exp" | "iss">,
  options: Readonly<JwtRevocationOptions> = {},
): Promise<void> {
  assertSessionStore(store);
  checkKnownOptions("revokeJwt", options, ["clockToleranceSeconds", "maxTokenLifetimeMs"]);
  const tolerance = checkTolerance("revokeJwt", options.clockToleranceSeconds);
  if (!isRecord(claims) || !isClaimString(claims.sub) || !isClaimString(claims.jti) || !isTime(claims.exp) || (claims.iss !== undefined && typeof claims.iss !== "string")) {
    throw new TypeError("express-logout: revokeJwt needs the token's claims `sub`, `jti` and `exp` (and `iss` when it has one).");
  }
  await store.denyJwt(claims.sub, jwtDenyKey(claims), deniedUntil(claims, tolerance));
}

/**
 * Refuses every token of the user issued up to now, on every instance sharing the store (logout everywhere).
 * Answers the cut-off: tokens issued before it are refused.
 */
export async function revokeUserJwts(store: SessionStore, userId: string, options: Readonly<JwtRevocationOptions> = {}): Promise<EpochMs> {
  assertSessionStore(store);
  checkKnownOptions("revokeUserJwts", options, ["clockToleranceSeconds", "maxTokenLifetimeMs"]);
  const tolerance = checkTolerance("revokeUserJwts", options.clockToleranceSeconds);
  const maxLifetimeMs = checkLifetime("revokeUserJwts", options.maxTokenLifetimeMs);
  if (!isClaimString(userId)) throw new TypeError("express-logout: revokeUserJwts needs the user id (a token's `sub`).");
  const cutoff = cutoffNow();
  await store.revokeJwtsIssuedBefore(userId, cutoff, cutoffKeptUntil(cutoff, maxLifetimeMs, tolerance));
  return cutoff;
}

export interface IssueJwtOptions {
  readonly algorithm: JwtAlgorithm;
  /** The shared secret, for HS*. */
  readonly secret?: JwtKeyMaterial;
  /** The private key, for RS*, PS* or ES*. */
  readonly privateKey?: JwtKeyMaterial;
  /** Lifetime: a whole number of seconds, or a string such as `"15m"` (units s, m, h, d). Required. */
  readonly expiresIn: number | string;
  readonly issuer?: string;
  readonly audience?: string | readonly string[];
  /** The `kid` header, for a verifier that picks its key by `kid`. */
  readonly keyId?: string;
  /** The verifier's `maxTokenLifetimeMs`; a longer `expiresIn` is refused here rather than at every request. Default 24 hours. */
  readonly maxTokenLifetimeMs?: number;
  /**
   * Write `iat` as whole seconds, for verifiers elsewhere that refuse a fractional NumericDate. Such a token,
   * issued in the same second as a logout-everywhere but after it, is refused too (see docs/jwt.md). Default
   * `false`: `iat` carries milliseconds as a fraction (RFC 7519 allows it).
   */
  readonly wholeSecondIat?: boolean;
}

/** A token `issueJwt` made, with the session it stands for. */
export interface IssuedJwt {
  /** The compact JWS to hand to the client. */
  readonly token: string;
  readonly claims: JwtClaims;
  /** The session the token stands for: id = `jti`, userId = `sub`, `createdAt` = `iat`, `expiresAt` = `exp`. */
  readonly session: SessionRecord;
}

const issueOptionNames = ["algorithm", "secret", "privateKey", "expiresIn", "issuer", "audience", "keyId", "maxTokenLifetimeMs", "wholeSecondIat"];
const reservedClaims = ["jti", "iat", "exp", "nbf", "iss", "aud"];
const units: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400 };

function lifetimeSeconds(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isSafeInteger(value) && value > 0 ? value : undefined;
  if (typeof value !== "string") return undefined;
  const match = /^(\d{1,9}) ?([smhd])$/.exec(value.trim());
  if (match?.[1] === undefined || match[2] === undefined) return undefined;
  const seconds = Number(match[1]) * (units[match[2]] ?? 0);
  return seconds > 0 ? seconds : undefined;
}

/**
 * Signs a token that `jwtBearer` accepts and logout can end: it always carries `sub`, a random `jti`
 * (`crypto.randomUUID()`), `iat` and `exp`. Call it from the host's login route after checking the password.
 *
 * ```ts
 * const { token } = issueJwt({ sub: user.id }, { algorithm: "HS256", secret, expiresIn: "15m" });
 * ```
 */
export function issueJwt(claims: Readonly<{ sub: string } & Record<string, unknown>>, options: Readonly<IssueJwtOptions>): IssuedJwt {
  const factory = "issueJwt";
  checkKnownOptions(factory, options, issueOptionNames);
  if (!isRecord(claims) || !isClaimString(claims.sub)) {
    throw new TypeError(`express-logout: ${factory} needs claims with \`sub\` (the user id, 1 to ${MAX_CLAIM_LENGTH} characters).`);
  }
  for (const name of reservedClaims) {
    if (Object.hasOwn(claims, name)) {
      throw new TypeError(
        `express-logout: ${factory} sets \`${name}\` itself; ${name === "iss" || name === "aud" ? `pass \`${name === "iss" ? "issuer" : "audience"}\` in the options instead` : "remove it from the claims"}.`,
      );
    }
  }
  const algorithm = checkAlgorithm(factory, "algorithm", options.algorithm);
  const family = familyOf(algorithm);
  const keyName = family === "hmac" ? "secret" : "privateKey";
  const otherName = family === "hmac" ? "privateKey" : "secret";
  if (options[otherName] !== undefined) {
    throw new TypeError(`express-logout: ${factory} \`${otherName}\` does not go with ${algorithm}; pass \`${keyName}\`.`);
  }
  const result = toKeyObject(options[keyName], family, "sign");
  if (result.key === undefined) throw new TypeError(`express-logout: ${factory} \`${keyName}\` ${result.problem}.`);
  const problem = keyProblem(result.key, algorithm, "sign");
  if (problem !== undefined) throw new TypeError(`express-logout: ${factory} \`${keyName}\` cannot sign ${algorithm}: ${problem}.`);
  const lifetime = lifetimeSeconds(options.expiresIn);
  if (lifetime === undefined) {
    throw new TypeError(`express-logout: ${factory} \`expiresIn\` is required: a whole number of seconds, or a string such as "15m", "12h" or "7d".`);
  }
  const maxLifetimeMs = checkLifetime(factory, options.maxTokenLifetimeMs);
  if (lifetime * 1000 > maxLifetimeMs) {
    throw new TypeError(
      `express-logout: ${factory} \`expiresIn\` (${lifetime} s) is longer than \`maxTokenLifetimeMs\` (${maxLifetimeMs} ms). jwtBearer refuses such tokens, because a logout-everywhere cut-off could expire before them; raise \`maxTokenLifetimeMs\` on both.`,
    );
  }
  const issuer = options.issuer;
  if (issuer !== undefined && (typeof issuer !== "string" || issuer === "")) throw new TypeError(`express-logout: ${factory} \`issuer\` must be a non-empty string.`);
  const audience = checkStrings(factory, "audience", options.audience);
  const keyId = options.keyId;
  if (keyId !== undefined && (typeof keyId !== "string" || keyId === "" || keyId.length > MAX_KID_LENGTH)) {
    throw new TypeError(`express-logout: ${factory} \`keyId\` must be a non-empty string of at most ${MAX_KID_LENGTH} characters.`);
  }
  const now = Date.now();
  const seconds = Math.floor(now / 1000);
  const payload: Record<string, unknown> = {
    ...claims,
    jti: randomUUID(),
    iat: options.wholeSecondIat === true ? seconds : now / 1000,
    exp: seconds + lifetime,
    ...(issuer === undefined ? {} : { iss: issuer }),
    ...(audience === undefined ? {} : { aud: audience.length === 1 ? audience[0] : audience }),
  };
  const token = jsonwebtoken.sign(payload, result.key, { algorithm, ...(keyId === undefined ? {} : { keyid: keyId }) });
  const issued = Object.freeze(payload) as JwtClaims;
  return {
    token,
    claims: issued,
    session: { id: issued.jti, userId: issued.sub, tokenHash: "", createdAt: issuedAtMs(issued.iat), expiresAt: issued.exp * 1000 },
  };
}
