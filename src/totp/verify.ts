import { createHmac, timingSafeEqual } from "node:crypto";

/** The HMAC of RFC 6238 §1.2: SHA-1 is the default of every authenticator app. */
export type TotpAlgorithm = "sha1" | "sha256" | "sha512";

export interface TotpCheck {
  /** The key bytes (the decoded base32 secret). */
  readonly key: Uint8Array;
  /** The code as the caller typed it: exactly `digits` ASCII digits (checked by the caller). */
  readonly code: string;
  readonly algorithm: TotpAlgorithm;
  readonly digits: 6 | 7 | 8;
  /** Length of a time step in ms. */
  readonly periodMs: number;
  /** Steps accepted either side of the current one. */
  readonly window: number;
  /** The server's clock, ms since the epoch. */
  readonly now: number;
}

const POWERS = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000] as const;

/** The HOTP value of RFC 4226 §5.3 for one counter, as `digits` ASCII digits. */
export function hotp(key: Uint8Array, counter: number, algorithm: TotpAlgorithm, digits: 6 | 7 | 8): string {
  const message = Buffer.alloc(8);
  // Counters beyond 2^32 (T = 20000000000 in RFC 6238 Appendix B) need both halves.
  message.writeUInt32BE(Math.floor(counter / 0x1_0000_0000), 0);
  message.writeUInt32BE(counter >>> 0, 4);
  const mac = createHmac(algorithm, key).update(message).digest();
  const offset = (mac[mac.length - 1] ?? 0) & 0x0f;
  const binary = (mac.readUInt32BE(offset) & 0x7fff_ffff) % POWERS[digits];
  return String(binary).padStart(digits, "0");
}

/**
 * The time step whose code equals `check.code`, within `window` steps of the current one, or `undefined`.
 * Uses Node's own HMAC (a pure-JS hash costs tens of µs a request). Candidates are tried nearest first (the
 * current step, then one step either side, ...) and each is compared in constant time. A wrong code is
 * compared with every candidate, so its answer takes the same time whatever it is; a right code stops at its
 * step, which tells the caller only what the answer says anyway. The right code of the current step, the
 * common case, costs one HMAC instead of `2 × window + 1`.
 */
export function matchingTotpStep(check: Readonly<TotpCheck>): number | undefined {
  const current = Math.floor(check.now / check.periodMs);
  const typed = Buffer.from(check.code, "latin1");
  for (let distance = 0; distance <= check.window; distance++) {
    for (const step of distance === 0 ? [current] : [current - distance, current + distance]) {
      if (step < 0) continue;
      const expected = Buffer.from(hotp(check.key, step, check.algorithm, check.digits), "latin1");
      // Equal lengths by construction (the caller checked `digits` digits); timingSafeEqual needs them.
      if (expected.length === typed.length && timingSafeEqual(expected, typed)) return step;
    }
  }
  return undefined;
}
