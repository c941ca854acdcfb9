import { KeyObject, createPrivateKey, createPublicKey, createSecretKey } from "node:crypto";
import { SetupError } from "../../options/index.js";

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

export const jwtAlgorithms: readonly JwtAlgorithm[] = ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"];

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

export type Family = "hmac" | "asymmetric";

export function familyOf(alg: JwtAlgorithm): Family {
  return alg.startsWith("HS") ? "hmac" : "asymmetric";
}

export type KeyResult = { readonly key: KeyObject; readonly problem?: undefined } | { readonly key?: undefined; readonly problem: string };

/**
 * Turns key material into a KeyObject of the family the algorithms need. The family is fixed per source, so a
 * public key can never be used as an HMAC secret (CVE-2022-23541) whatever a token's header says.
 */
export function toKeyObject(material: unknown, family: Family, role: "verify" | "sign"): KeyResult {
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
export function keyProblem(key: KeyObject, alg: JwtAlgorithm, role: "verify" | "sign"): string | undefined {
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

/** An algorithm name as an option gives it: one of `jwtAlgorithms`, never `none`. */
export function checkAlgorithm(factory: string, name: string, value: unknown): JwtAlgorithm {
  if (value === "none" || (typeof value === "string" && value.toLowerCase() === "none")) {
    throw new SetupError("option-invalid", `${factory} \`${name}\` must not be "none": an unsigned token proves nothing (CVE-2022-23540).`);
  }
  if (typeof value !== "string" || !(jwtAlgorithms as readonly string[]).includes(value)) {
    throw new SetupError("option-invalid", `${factory} \`${name}\` has an unknown algorithm ${JSON.stringify(value)}; use one of ${jwtAlgorithms.join(", ")}.`);
  }
  return value as JwtAlgorithm;
}
