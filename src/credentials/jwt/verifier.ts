import type { KeyObject } from "node:crypto";
import { MAX_TOKEN_LENGTH } from "../index.js";
import { SetupError } from "../../options/index.js";
import {
  COMPACT_JWS,
  MAX_KID_LENGTH,
  checkLifetime,
  checkStrings,
  checkTolerance,
  canonicalPart,
  isClaimString,
  isTime,
  issuedAtMs,
  parseObject,
  refusedHeaders,
  type JwtClaims,
} from "./claims.js";
import { verifySignature } from "./signature.js";
import { checkAlgorithm, familyOf, keyProblem, toKeyObject, type JwtAlgorithm, type JwtKeyMaterial, type JwtKeyRequest, type JwtKeyResolver, type KeyResult } from "./keys.js";
import type { JwtRevocationPolicy } from "./revocation.js";
import type { EpochMs } from "../../types.js";

/** What verifies a token: algorithms, key, issuer, audience, clock tolerance and longest lifetime. */
export interface JwtVerifierOptions {
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
  /**
   * Accepted `iss` value(s).
   * @defaultValue any issuer (set it whenever tokens come from an identity provider)
   */
  readonly issuer?: string | readonly string[];
  /**
   * Accepted `aud` value(s).
   * @defaultValue any audience
   */
  readonly audience?: string | readonly string[];
  /**
   * Seconds of clock skew allowed on `exp`, `nbf` and `iat`.
   * @defaultValue 5; at most 300
   */
  readonly clockToleranceSeconds?: number;
  /**
   * The longest lifetime (`exp - iat`) a token may have, in ms; longer tokens are refused. A logout-everywhere
   * cut-off is kept this long, so it outlives every token it ends.
   * @defaultValue 24 hours
   */
  readonly maxTokenLifetimeMs?: number;
}

/** A verifier built once from its options: `verify` is synchronous and does no I/O. */
export interface JwtVerifier {
  readonly verify: (token: string) => JwtClaims | undefined;
  readonly policy: JwtRevocationPolicy;
}

/** Checks the verification options once and answers the verifier. Every mistake is a `SetupError`. */
export function jwtVerifier(factory: string, options: Readonly<JwtVerifierOptions>): JwtVerifier {
  const rawAlgorithms: unknown = options.algorithms;
  if (!Array.isArray(rawAlgorithms) || rawAlgorithms.length === 0) {
    throw new SetupError(
      "option-invalid",
      `${factory} \`algorithms\` is required: list the algorithms your tokens are signed with, e.g. \`algorithms: ["HS256"]\` or \`["RS256"]\`. There is no default, so a token can never choose its own.`,
    );
  }
  const algorithms = [...new Set((rawAlgorithms as unknown[]).map((alg) => checkAlgorithm(factory, "algorithms", alg)))];
  const families = new Set(algorithms.map(familyOf));
  if (families.size > 1) {
    throw new SetupError(
      "option-invalid",
      `${factory} \`algorithms\` mixes HS* with RS/PS/ES (${algorithms.join(", ")}). One source verifies with one kind of key: mixing them is how a public key gets used as an HMAC secret (CVE-2022-23541). Use two sources if you truly need both.`,
    );
  }
  const family = familyOf(algorithms[0] as JwtAlgorithm);
  const given = (["secret", "publicKey", "key"] as const).filter((name) => options[name] !== undefined);
  if (given.length !== 1) {
    const want = family === "hmac" ? "`secret`" : "`publicKey`";
    throw new SetupError(
      "option-invalid",
      `${factory} needs exactly one of ${want} or \`key\` (a resolver by kid)${given.length > 1 ? `, received ${given.map((g) => `\`${g}\``).join(" and ")}` : ""}.`,
    );
  }
  if (given[0] === "secret" && family !== "hmac") {
    throw new SetupError("option-invalid", `${factory} \`secret\` is for HS* algorithms; ${algorithms.join(", ")} verify with \`publicKey\`.`);
  }
  if (given[0] === "publicKey" && family !== "asymmetric") {
    throw new SetupError("option-invalid", `${factory} \`publicKey\` is for RS/PS/ES algorithms; ${algorithms.join(", ")} verify with \`secret\`.`);
  }
  let fixedKey: KeyObject | undefined;
  let resolver: JwtKeyResolver | undefined;
  if (given[0] === "key") {
    if (typeof options.key !== "function") throw new SetupError("option-invalid", `${factory} \`key\` must be a function \`({ alg, kid }) => key | undefined\`.`);
    resolver = options.key;
  } else {
    const name = given[0] as "secret" | "publicKey";
    const result = toKeyObject(options[name], family, "verify");
    if (result.key === undefined) throw new SetupError("option-invalid", `${factory} \`${name}\` ${result.problem}.`);
    for (const alg of algorithms) {
      const problem = keyProblem(result.key, alg, "verify");
      if (problem !== undefined) throw new SetupError("option-invalid", `${factory} \`${name}\` cannot verify ${alg}: ${problem}.`);
    }
    fixedKey = result.key;
  }
  const issuer = checkStrings(factory, "issuer", options.issuer);
  const audience = checkStrings(factory, "audience", options.audience);
  const tolerance = checkTolerance(factory, options.clockToleranceSeconds);
  const maxLifetimeMs = checkLifetime(factory, options.maxTokenLifetimeMs);
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

  /**
   * What a token's header allows, decided from its base64url text alone: the algorithm and `kid` it names, or
   * `undefined` (not canonical, not an object, an algorithm not listed, a header that picks its own key).
   */
  function readHeader(part: string): JwtKeyRequest | undefined {
    const bytes = canonicalPart(part);
    const header = bytes === undefined ? undefined : parseObject(bytes);
    if (header === undefined) return undefined;
    const alg = header.alg;
    if (typeof alg !== "string" || !(algorithms as readonly string[]).includes(alg)) return undefined;
    if (refusedHeaders.some((h) => Object.hasOwn(header, h))) return undefined;
    const kid = header.kid;
    if (kid !== undefined && (typeof kid !== "string" || kid.length > MAX_KID_LENGTH)) return undefined;
    return { alg: alg as JwtAlgorithm, kid };
  }

  // The tokens of one issuer share one header text, so its reading (a base64url decode, a check that it is
  // canonical, a JSON parse) is kept: it is a function of that text alone. Bounded like the keys above, so a
  // flood of made-up headers costs what it costs without the cache, and memory stays fixed.
  const headers = new Map<string, JwtKeyRequest | null>();

  function headerOf(part: string): JwtKeyRequest | undefined {
    let request = headers.get(part);
    if (request === undefined) {
      request = readHeader(part) ?? null;
      if (headers.size >= 64) headers.clear();
      headers.set(part, request);
    }
    return request ?? undefined;
  }

  function verify(token: string): JwtClaims | undefined {
    if (typeof token !== "string" || token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(token)) return undefined;
    const first = token.indexOf(".");
    const last = token.lastIndexOf(".");
    const request = headerOf(token.slice(0, first));
    if (request === undefined) return undefined;
    const payloadBytes = canonicalPart(token.slice(first + 1, last));
    const signature = canonicalPart(token.slice(last + 1));
    if (payloadBytes === undefined || signature === undefined) return undefined;
    const key = keyFor(request);
    if (key === undefined) return undefined;
    if (!verifySignature(request.alg, key, token.slice(0, last), signature)) return undefined;
    const payload = parseObject(payloadBytes);
    // One reading of the clock for every time claim of the token.
    const now = Date.now();
    if (payload === undefined || !registeredClaimsHold(payload, now)) return undefined;
    return checkClaims(payload, now);
  }

  /**
   * `exp`, `nbf`, `iss` and `aud` with the clock tolerance, as RFC 7519 §4.1 reads them: expired at `exp`, not
   * before `nbf`, an issuer among `issuer`, an audience shared with `audience`. Seconds, like the claims.
   */
  function registeredClaimsHold(payload: Record<string, unknown>, nowMs: EpochMs): boolean {
    const now = Math.floor(nowMs / 1000);
    const { exp, nbf, iss, aud } = payload;
    if (exp !== undefined && (typeof exp !== "number" || now >= exp + tolerance)) return false;
    if (nbf !== undefined && (typeof nbf !== "number" || nbf > now + tolerance)) return false;
    if (issuer !== undefined && (typeof iss !== "string" || !issuer.includes(iss))) return false;
    if (audience !== undefined) {
      const presented: unknown[] = Array.isArray(aud) ? aud : [aud];
      if (!presented.some((a) => typeof a === "string" && audience.includes(a))) return false;
    }
    return true;
  }

  function checkClaims(payload: Record<string, unknown>, now: EpochMs): JwtClaims | undefined {
    const { sub, jti, iat, exp, iss } = payload;
    if (!isClaimString(sub) || !isClaimString(jti) || !isTime(iat) || !isTime(exp)) return undefined;
    if (iss !== undefined && typeof iss !== "string") return undefined;
    const iatMs = issuedAtMs(iat);
    // A token from the future would outlive every cut-off; one that lives longer than the cut-off is kept would
    // come back to life when the cut-off expires.
    if (iatMs > now + tolerance * 1000) return undefined;
    if (exp <= iat || exp * 1000 - iatMs > maxLifetimeMs) return undefined;
    // The payload is this call's own parse: frozen as it is, nothing else holds it.
    return Object.freeze(payload) as JwtClaims;
  }

  return { verify, policy: { toleranceSeconds: tolerance, maxLifetimeMs } };
}
