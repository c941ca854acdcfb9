import { constants, createHmac, timingSafeEqual, verify as verifyWithKey, type KeyObject } from "node:crypto";
import type { JwtAlgorithm } from "./keys.js";

const HASHES: Readonly<Record<string, string>> = { "256": "sha256", "384": "sha384", "512": "sha512" };

/**
 * Whether `signature` is `alg`'s signature of the JWS signing input (`header.payload`, RFC 7515 §5.2) under
 * `key`, with Node's own crypto: HMAC compared in constant time for HS*, PKCS #1 v1.5 for RS*, PSS with a
 * salt as long as the hash for PS*, and ECDSA in the JOSE form (r ‖ s, RFC 7518 §3.4) for ES*. The key was
 * checked against `alg` before (`keyProblem`), so a public key is never used as an HMAC secret.
 *
 * Verifying here rather than through jsonwebtoken runs once per request for every JWT: it skips a second
 * decoding of the token (already decoded and checked by the verifier) and its per-call option handling.
 */
export function verifySignature(alg: JwtAlgorithm, key: KeyObject, signingInput: string, signature: Buffer): boolean {
  const hash = HASHES[alg.slice(2)];
  if (hash === undefined) return false;
  const family = alg.slice(0, 2);
  if (family === "HS") {
    const expected = createHmac(hash, key).update(signingInput, "latin1").digest();
    return expected.length === signature.length && timingSafeEqual(expected, signature);
  }
  const data = Buffer.from(signingInput, "latin1");
  try {
    if (family === "RS") return verifyWithKey(hash, data, key, signature);
    if (family === "PS") return verifyWithKey(hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }, signature);
    if (family === "ES") return verifyWithKey(hash, data, { key, dsaEncoding: "ieee-p1363" }, signature);
  } catch {
    // A signature of the wrong size for the curve, or a key the algorithm cannot use: not a valid signature.
    return false;
  }
  return false;
}
