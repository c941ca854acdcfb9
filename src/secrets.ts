import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** Bytes of randomness in a session token: 256 bits, well above the 128 the library promises. */
const TOKEN_BYTES = 32;

/** A new bearer secret: 256 bits from the crypto RNG, base64url (43 characters), with an optional prefix. */
export function generateToken(prefix = ""): string {
  return prefix + randomBytes(TOKEN_BYTES).toString("base64url");
}

/**
 * The at-rest form of a bearer secret (session token, API-key secret): base64url SHA-256. Tokens are random
 * and long, so a fast hash is enough; a password needs a slow hash and is the host's business.
 */
export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("base64url");
}

/** Compares two strings in time that depends only on their lengths' hashes, never on where they differ. */
export function constantTimeEqual(a: string, b: string): boolean {
  // Hashing both sides first gives equal-length buffers, so a wrong-length input is just a mismatch.
  const ha = createHash("sha256").update(a, "utf8").digest();
  const hb = createHash("sha256").update(b, "utf8").digest();
  return timingSafeEqual(ha, hb);
}

/** Whether `secret` matches a stored `hashSecret` value, in constant time. */
export function verifySecret(secret: string, storedHash: string): boolean {
  return constantTimeEqual(hashSecret(secret), storedHash);
}

/** HMAC-SHA256 of `message`, base64url. Used for tokens derived from a session (the logout token). */
export function hmac(secret: string, message: string): string {
  return createHmac("sha256", secret).update(message, "utf8").digest("base64url");
}
