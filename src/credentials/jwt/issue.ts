import { randomUUID } from "node:crypto";
import jsonwebtoken from "jsonwebtoken";
import { checkKnownOptions, optionNames, SetupError } from "../../options/index.js";
import type { SessionRecord } from "../../types.js";
import { MAX_CLAIM_LENGTH, MAX_KID_LENGTH, checkLifetime, checkStrings, isClaimString, isRecord, issuedAtMs, type JwtClaims } from "./claims.js";
import { checkAlgorithm, familyOf, keyProblem, toKeyObject, type JwtAlgorithm, type JwtKeyMaterial } from "./keys.js";

/** How `issueJwt` signs a token: the algorithm, the key and the registered claims. */
export interface IssueJwtOptions {
  /** The signing algorithm (`"HS256"`, `"RS256"`, `"ES256"`, ...). Required. */
  readonly algorithm: JwtAlgorithm;
  /** The shared secret, for HS*. */
  readonly secret?: JwtKeyMaterial;
  /** The private key, for RS*, PS* or ES*. */
  readonly privateKey?: JwtKeyMaterial;
  /** Lifetime: a whole number of seconds, or a string such as `"15m"` (units s, m, h, d). Required. */
  readonly expiresIn: number | string;
  /** The `iss` claim. */
  readonly issuer?: string;
  /** The `aud` claim. */
  readonly audience?: string | readonly string[];
  /** The `kid` header, for a verifier that picks its key by `kid`. */
  readonly keyId?: string;
  /**
   * The verifier's `maxTokenLifetimeMs`; a longer `expiresIn` is refused here rather than at every request.
   * @defaultValue 24 hours
   */
  readonly maxTokenLifetimeMs?: number;
  /**
   * Write `iat` as whole seconds, for verifiers elsewhere that refuse a fractional NumericDate. Such a token,
   * issued in the same second as a logout-everywhere but after it, is refused too (see docs/jwt.md).
   * @defaultValue `false`: `iat` carries milliseconds as a fraction (RFC 7519 allows it)
   */
  readonly wholeSecondIat?: boolean;
}

/** A token `issueJwt` made, with the session it stands for. */
export interface IssuedJwt {
  /** The compact JWS to hand to the client. */
  readonly token: string;
  /** The token's claims, as signed. */
  readonly claims: JwtClaims;
  /** The session the token stands for: id = `jti`, userId = `sub`, `createdAt` = `iat`, `expiresAt` = `exp`. */
  readonly session: SessionRecord;
}

const ISSUE_JWT_OPTIONS = optionNames<IssueJwtOptions>({
  algorithm: true,
  secret: true,
  privateKey: true,
  expiresIn: true,
  issuer: true,
  audience: true,
  keyId: true,
  maxTokenLifetimeMs: true,
  wholeSecondIat: true,
});
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
  checkKnownOptions(factory, options, ISSUE_JWT_OPTIONS);
  if (!isRecord(claims) || !isClaimString(claims.sub)) {
    throw new SetupError("option-invalid", `${factory} needs claims with \`sub\` (the user id, 1 to ${MAX_CLAIM_LENGTH} characters).`);
  }
  for (const name of reservedClaims) {
    if (Object.hasOwn(claims, name)) {
      throw new SetupError(
      "option-invalid",
        `${factory} sets \`${name}\` itself; ${name === "iss" || name === "aud" ? `pass \`${name === "iss" ? "issuer" : "audience"}\` in the options instead` : "remove it from the claims"}.`,
      );
    }
  }
  const algorithm = checkAlgorithm(factory, "algorithm", options.algorithm);
  const family = familyOf(algorithm);
  const keyName = family === "hmac" ? "secret" : "privateKey";
  const otherName = family === "hmac" ? "privateKey" : "secret";
  if (options[otherName] !== undefined) {
    throw new SetupError("option-invalid", `${factory} \`${otherName}\` does not go with ${algorithm}; pass \`${keyName}\`.`);
  }
  const result = toKeyObject(options[keyName], family, "sign");
  if (result.key === undefined) throw new SetupError("option-invalid", `${factory} \`${keyName}\` ${result.problem}.`);
  const problem = keyProblem(result.key, algorithm, "sign");
  if (problem !== undefined) throw new SetupError("option-invalid", `${factory} \`${keyName}\` cannot sign ${algorithm}: ${problem}.`);
  const lifetime = lifetimeSeconds(options.expiresIn);
  if (lifetime === undefined) {
    throw new SetupError("option-invalid", `${factory} \`expiresIn\` is required: a whole number of seconds, or a string such as "15m", "12h" or "7d".`);
  }
  const maxLifetimeMs = checkLifetime(factory, options.maxTokenLifetimeMs);
  if (lifetime * 1000 > maxLifetimeMs) {
    throw new SetupError(
      "option-invalid",
      `${factory} \`expiresIn\` (${lifetime} s) is longer than \`maxTokenLifetimeMs\` (${maxLifetimeMs} ms). jwtBearer refuses such tokens, because a logout-everywhere cut-off could expire before them; raise \`maxTokenLifetimeMs\` on both.`,
    );
  }
  const issuer = options.issuer;
  if (issuer !== undefined && (typeof issuer !== "string" || issuer === "")) throw new SetupError("option-invalid", `${factory} \`issuer\` must be a non-empty string.`);
  const audience = checkStrings(factory, "audience", options.audience);
  const keyId = options.keyId;
  if (keyId !== undefined && (typeof keyId !== "string" || keyId === "" || keyId.length > MAX_KID_LENGTH)) {
    throw new SetupError("option-invalid", `${factory} \`keyId\` must be a non-empty string of at most ${MAX_KID_LENGTH} characters.`);
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
