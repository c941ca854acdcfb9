import { errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from "jose";
import { MAX_PROVIDER_CLAIM_LENGTH } from "./provider-session.js";
import { KeysUnavailableError } from "./key-set.js";

/** The member of `events` that makes a JWT a back-channel logout token. */
export const BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout";

/** The asymmetric algorithms accepted by default: every JWS algorithm of RFC 7518 and RFC 8037 with a public key. */
export const DEFAULT_LOGOUT_TOKEN_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"] as const;

/** Default clock skew allowed on `exp` and `iat`: 60 seconds. */
export const DEFAULT_LOGOUT_TOKEN_CLOCK_TOLERANCE_SECONDS = 60;
/** Default oldest `iat` accepted: 10 minutes (providers send tokens that live about 2 minutes). */
export const DEFAULT_LOGOUT_TOKEN_MAX_AGE_SECONDS = 600;
/** The longest logout token read, in characters. */
export const MAX_LOGOUT_TOKEN_LENGTH = 16 * 1024;

/** Why a logout token was refused: a stable code for events and tests, and words for the `error_description`. */
export class InvalidLogoutTokenError extends Error {
  /** Always `"InvalidLogoutTokenError"`. */
  override readonly name = "InvalidLogoutTokenError";
  /** The rule the token broke (`"signature"`, `"iss"`, `"exp"`, `"jti-replayed"`, ...), for the audit log. */
  readonly reason: string;

  constructor(reason: string, description: string, options?: { cause?: unknown }) {
    super(description, options);
    this.reason = reason;
  }
}

/** What a valid logout token says. */
export interface LogoutTokenClaims {
  /** `iss`: the provider. */
  readonly issuer: string;
  /** `sub`, when the token has one. */
  readonly subject: string | undefined;
  /** `sid`, when the token has one: the provider's session. */
  readonly sid: string | undefined;
  /** `jti`: used once. */
  readonly jti: string;
  /** `exp`, in ms. */
  readonly expiresAt: number;
  /** `iat`, in ms. */
  readonly issuedAt: number;
}

/** How `verifyLogoutToken` checks a logout token: the provider, the audience, its keys and the time limits. */
export interface LogoutTokenRules {
  /** The exact `iss` accepted. */
  readonly issuer: string;
  /** The `aud` values accepted: the client's id(s). */
  readonly audience: readonly string[];
  /** The provider's signing keys. */
  readonly keys: JWTVerifyGetKey;
  /** The accepted asymmetric signing algorithms. */
  readonly algorithms: readonly string[];
  /** Clock skew allowed on `exp` and `iat`, in seconds. */
  readonly clockToleranceSeconds: number;
  /** The oldest `iat` accepted, in seconds. */
  readonly maxAgeSeconds: number;
  /** Also accept a `typ` of `JWT` or none (providers written before explicit typing, such as Keycloak before 25). */
  readonly allowJwtTyp: boolean;
}

/** `typ` as RFC 8725 §3.11 compares it: case-insensitive, with or without `application/`. */
function normalizeTyp(value: unknown): string | undefined {
  return typeof value === "string" ? value.toLowerCase().replace(/^application\//, "") : undefined;
}

const invalid = (reason: string, description: string, cause?: unknown) => new InvalidLogoutTokenError(reason, description, cause === undefined ? undefined : { cause });

/** A jose refusal, in the words of the back-channel logout rules. */
function fromJose(error: unknown): InvalidLogoutTokenError | KeysUnavailableError {
  if (error instanceof KeysUnavailableError) return error;
  if (error instanceof errors.JOSEAlgNotAllowed) return invalid("alg", "the logout token is not signed with an allowed asymmetric algorithm", error);
  if (error instanceof errors.JWKSNoMatchingKey) return invalid("kid", "no key of the issuer matches the logout token's header", error);
  if (error instanceof errors.JWKSMultipleMatchingKeys) return invalid("kid", "several keys of the issuer match the logout token's header; it must name its kid", error);
  if (error instanceof errors.JWSSignatureVerificationFailed) return invalid("signature", "the logout token's signature does not verify", error);
  if (error instanceof errors.JWTExpired) {
    return error.claim === "iat" ? invalid("iat", "the logout token was issued too long ago", error) : invalid("exp", "the logout token has expired", error);
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case "typ":
        return invalid("typ", 'the logout token\'s typ header is not "logout+jwt"', error);
      case "iss":
        return invalid("iss", "the logout token's iss is not the expected issuer", error);
      case "aud":
        return invalid("aud", "the logout token's aud is not this client", error);
      case "iat":
        return invalid("iat", error.reason === "missing" ? "the logout token has no iat" : "the logout token's iat is in the future", error);
      case "exp":
        return invalid("exp", "the logout token has no valid exp", error);
      case "jti":
        return invalid("jti", "the logout token has no jti", error);
      case "events":
        return invalid("events", "the logout token has no events claim", error);
      default:
        return invalid("claims", `the logout token's ${error.claim} claim is invalid`, error);
    }
  }
  if (error instanceof errors.JOSENotSupported) return invalid("alg", "the logout token uses an unsupported algorithm or key", error);
  if (error instanceof errors.JOSEError) return invalid("malformed", "the logout token is not a valid signed JWT", error);
  throw error;
}

function optionalClaim(payload: JWTPayload, name: "sub" | "sid"): string | undefined {
  const value = payload[name];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value === "" || value.length > MAX_PROVIDER_CLAIM_LENGTH) throw invalid(name, `the logout token's ${name} is not a non-empty string`);
  return value;
}

/**
 * Validates a logout token as OpenID Connect Back-Channel Logout 1.0 §2.6 and ASVS 5.0 10.5.5 require: a JWS
 * (never `alg: none`, never a symmetric algorithm) by a key of the issuer, `typ` `logout+jwt`, `iss` and `aud`
 * exact, `iat` present (not in the future, not older than `maxAgeSeconds`), `exp` present and not passed (both
 * with `clockToleranceSeconds`), `jti` present, `events` holding the back-channel logout member as an object, no
 * `nonce`, and `sub` or `sid`. Throws `InvalidLogoutTokenError` (a 400) or `KeysUnavailableError` (a 503).
 * Whether the `jti` was seen before is the caller's check (it needs the store).
 */
export async function verifyLogoutToken(token: string, rules: LogoutTokenRules): Promise<LogoutTokenClaims> {
  if (token.length > MAX_LOGOUT_TOKEN_LENGTH) throw invalid("malformed", "the logout token is too long");
  let payload: JWTPayload;
  let typ: string | undefined;
  try {
    ({ payload, protectedHeader: { typ } } = await jwtVerify(token, rules.keys, {
      algorithms: [...rules.algorithms],
      issuer: rules.issuer,
      audience: [...rules.audience],
      ...(rules.allowJwtTyp ? {} : { typ: "logout+jwt" }),
      clockTolerance: rules.clockToleranceSeconds,
      maxTokenAge: rules.maxAgeSeconds,
      requiredClaims: ["iat", "exp", "jti", "events"],
    }));
  } catch (error) {
    throw fromJose(error);
  }
  if (rules.allowJwtTyp && ![undefined, "jwt", "logout+jwt"].includes(normalizeTyp(typ))) {
    throw invalid("typ", 'the logout token\'s typ header is neither "logout+jwt" nor "JWT"');
  }
  const events = payload.events;
  if (typeof events !== "object" || events === null || Array.isArray(events)) throw invalid("events", "the logout token's events claim is not an object");
  const event = (events as Record<string, unknown>)[BACKCHANNEL_LOGOUT_EVENT];
  if (typeof event !== "object" || event === null || Array.isArray(event)) {
    throw invalid("events", `the logout token's events claim has no "${BACKCHANNEL_LOGOUT_EVENT}" object`);
  }
  // A nonce makes the token usable as an ID token in a forged authentication response: prohibited.
  if ("nonce" in payload) throw invalid("nonce", "the logout token carries a nonce, which is prohibited");
  const jti = payload.jti;
  if (typeof jti !== "string" || jti === "" || jti.length > MAX_PROVIDER_CLAIM_LENGTH) throw invalid("jti", "the logout token's jti is not a non-empty string");
  const subject = optionalClaim(payload, "sub");
  const sid = optionalClaim(payload, "sid");
  if (subject === undefined && sid === undefined) throw invalid("sub-or-sid", "the logout token has neither sub nor sid");
  return {
    issuer: rules.issuer,
    subject,
    sid,
    jti,
    expiresAt: (payload.exp ?? 0) * 1000,
    issuedAt: (payload.iat ?? 0) * 1000,
  };
}
