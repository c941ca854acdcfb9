import { createHmac, hash, randomBytes, timingSafeEqual } from "node:crypto";

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
  // One-shot: no Hash object (a native handle the garbage collector must track) per authenticated request.
  return hash("sha256", secret, "base64url");
}

/**
 * Compares two strings in time that depends only on their lengths, never on where they differ. Runs on every
 * authenticated request, so it compares the UTF-8 bytes directly (a fraction of a microsecond) instead of
 * hashing both sides first (two SHA-256 contexts, several microseconds). A length mismatch still runs one
 * comparison, of `a` with itself, before it answers `false`.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const ba = Buffer.from(a, "utf8");
  const bb = Buffer.from(b, "utf8");
  if (ba.length !== bb.length) {
    timingSafeEqual(ba, ba);
    return false;
  }
  return timingSafeEqual(ba, bb);
}

/** Whether `secret` matches a stored `hashSecret` value, in constant time. */
export function verifySecret(secret: string, storedHash: string): boolean {
  return constantTimeEqual(hashSecret(secret), storedHash);
}

/** HMAC-SHA256 of `message`, base64url. Used for tokens derived from a session (the logout token). */
export function hmac(secret: string, message: string): string {
  return createHmac("sha256", secret).update(message, "utf8").digest("base64url");
}
