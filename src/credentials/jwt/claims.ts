import type { EpochMs } from "../../types.js";
import { SetupError } from "../../options/index.js";

/** The claims of a verified token. `sub`, `jti`, `iat` and `exp` are always present. */
export interface JwtClaims {
  /** The user id. */
  readonly sub: string;
  /** The token's id: what a logout denies. */
  readonly jti: string;
  /** Seconds since the epoch; may carry a fraction (milliseconds) when `issueJwt` made the token. */
  readonly iat: number;
  /** Seconds since the epoch after which the token is refused. */
  readonly exp: number;
  /** The issuer. */
  readonly iss?: string;
  /** The audience(s). */
  readonly aud?: string | readonly string[];
  /** Seconds since the epoch before which the token is refused. */
  readonly nbf?: number;
  readonly [claim: string]: unknown;
}

/** Default `clockToleranceSeconds`. */
export const DEFAULT_JWT_CLOCK_TOLERANCE_SECONDS = 5;
/** Default `maxTokenLifetimeMs`: 24 hours. */
export const DEFAULT_MAX_JWT_LIFETIME_MS = 24 * 60 * 60 * 1000;
export const MAX_CLOCK_TOLERANCE_SECONDS = 300;
/** Longest `sub` and `jti` accepted (OpenID Connect caps `sub` at 255 ASCII characters); they become store keys. */
export const MAX_CLAIM_LENGTH = 255;
export const MAX_KID_LENGTH = 256;

/** Three base64url parts, the signature not empty: the only JWS form accepted. No padding, no whitespace. */
export const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * Headers that name a key or a place to fetch one (RFC 7515 §4.1), and `crit`. The library never follows them;
 * a token that tries to choose its own key is refused outright. jsonwebtoken ignores `crit`, and RFC 7515 §4.1.11
 * says a token with extensions the recipient does not understand must be refused, so it is.
 */
export const refusedHeaders = ["jku", "jwk", "x5u", "x5c", "crit"] as const;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function isClaimString(value: unknown): value is string {
  return typeof value === "string" && value.length > 0 && value.length <= MAX_CLAIM_LENGTH;
}

export function isTime(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0;
}

/**
 * The bytes of one base64url part of a token that matched `COMPACT_JWS`, only when it is canonical (it encodes
 * back to itself), so no second spelling of the same bytes reaches the verifier.
 */
export function canonicalPart(part: string): Buffer | undefined {
  const bytes = Buffer.from(part, "base64url");
  return bytes.toString("base64url") === part ? bytes : undefined;
}

/** A JSON object from UTF-8 bytes, or `undefined` for anything else (bad JSON, an array, a string). */
export function parseObject(bytes: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(bytes.toString("utf8"));
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** `iat` in ms. Integer `iat` is the start of its second; a fractional one (from `issueJwt`) is exact to the ms. */
export function issuedAtMs(iat: number): EpochMs {
  return Math.round(iat * 1000);
}

export function checkTolerance(factory: string, value: unknown): number {
  const seconds = value ?? DEFAULT_JWT_CLOCK_TOLERANCE_SECONDS;
  if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 0 || seconds > MAX_CLOCK_TOLERANCE_SECONDS) {
    throw new SetupError("option-invalid", `${factory} \`clockToleranceSeconds\` must be a number of seconds from 0 to ${MAX_CLOCK_TOLERANCE_SECONDS}, received ${String(value)}.`);
  }
  return seconds;
}

export function checkLifetime(factory: string, value: unknown): number {
  const ms = value ?? DEFAULT_MAX_JWT_LIFETIME_MS;
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms <= 0) {
    throw new SetupError("option-invalid", `${factory} \`maxTokenLifetimeMs\` must be a positive number of milliseconds, received ${String(value)}.`);
  }
  return ms;
}

export function checkStrings(factory: string, name: string, value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  const list: unknown[] = typeof value === "string" ? [value] : Array.isArray(value) ? (value as unknown[]) : [];
  if (list.length === 0 || !list.every((v) => typeof v === "string" && v !== "")) {
    throw new SetupError("option-invalid", `${factory} \`${name}\` must be a non-empty string or a non-empty array of them.`);
  }
  return list as string[];
}
