import { createHmac, generateKeyPairSync, randomBytes, randomUUID, sign, type KeyObject } from "node:crypto";

/** base64url of a JSON value (or of a string as is). */
export function b64(value: unknown): string {
  return Buffer.from(typeof value === "string" ? value : JSON.stringify(value), "utf8").toString("base64url");
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** Valid claims for `sub`, ten minutes to live; pass `undefined` for a claim to leave it out. */
export function claimsFor(sub: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = nowSeconds();
  const claims: Record<string, unknown> = { sub, jti: randomUUID(), iat: now, exp: now + 600, ...overrides };
  return Object.fromEntries(Object.entries(claims).filter(([, value]) => value !== undefined));
}

/** A JWS signed with HMAC by hand, whatever the key is (the key-confusion forgery needs this). */
export function hmacJws(alg: "HS256" | "HS384" | "HS512", key: string | Buffer, header: Record<string, unknown>, payload: unknown): string {
  const input = `${b64({ alg, typ: "JWT", ...header })}.${b64(payload)}`;
  const digest = createHmac(`sha${alg.slice(2)}`, key).update(input).digest("base64url");
  return `${input}.${digest}`;
}

/** A JWS signed with an asymmetric private key by hand, with any header (jku, x5u, jwk, ...). */
export function asymmetricJws(alg: "RS256" | "ES256", key: KeyObject, header: Record<string, unknown>, payload: unknown): string {
  const input = `${b64({ alg, typ: "JWT", ...header })}.${b64(payload)}`;
  const signature = sign("sha256", Buffer.from(input), alg === "ES256" ? { key, dsaEncoding: "ieee-p1363" } : key);
  return `${input}.${signature.toString("base64url")}`;
}

/** The order of the P-256 group. */
const P256_N = BigInt("0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");

/**
 * The same ES256 token with its signature malleated: (r, s) becomes (r, n - s), which verifies as well. The
 * bytes differ, the claims do not: a deny-list keyed by the token's bytes would miss it.
 */
export function malleateEs256(token: string): string {
  const [header, payload, signature] = token.split(".") as [string, string, string];
  const raw = Buffer.from(signature, "base64url");
  const r = raw.subarray(0, 32);
  const s = BigInt(`0x${raw.subarray(32).toString("hex")}`);
  const flipped = Buffer.from((P256_N - s).toString(16).padStart(64, "0"), "hex");
  return `${header}.${payload}.${Buffer.concat([r, flipped]).toString("base64url")}`;
}

/**
 * Spells the signature differently without changing its bytes: base64url's last character carries unused low
 * bits that a lenient decoder ignores. Answers `undefined` when the signature has no unused bits.
 */
export function respellSignature(token: string): string | undefined {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const cut = token.lastIndexOf(".");
  const signature = token.slice(cut + 1);
  const bytes = Buffer.from(signature, "base64url");
  for (const c of alphabet) {
    const candidate = signature.slice(0, -1) + c;
    if (candidate !== signature && Buffer.from(candidate, "base64url").equals(bytes)) return `${token.slice(0, cut + 1)}${candidate}`;
  }
  return undefined;
}

export interface KeyPairs {
  readonly rsa: { readonly publicKey: KeyObject; readonly privateKey: KeyObject; readonly publicPem: string; readonly privatePem: string };
  readonly attackerRsa: { readonly publicKey: KeyObject; readonly privateKey: KeyObject };
  readonly ec: { readonly publicKey: KeyObject; readonly privateKey: KeyObject };
}

let cached: KeyPairs | undefined;

/** RSA 2048 and P-256 pairs, made once per test file (RSA generation is slow). */
export function keyPairs(): KeyPairs {
  if (cached !== undefined) return cached;
  const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const attacker = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const ec = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  cached = {
    rsa: {
      ...rsa,
      publicPem: rsa.publicKey.export({ type: "spki", format: "pem" }).toString(),
      privatePem: rsa.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    },
    attackerRsa: attacker,
    ec,
  };
  return cached;
}

/** A fresh 32-byte HS256 secret. */
export const hmacSecret = (bytes = 32): Buffer => randomBytes(bytes);
