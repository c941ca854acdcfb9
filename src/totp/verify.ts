import { createHmac } from "node:crypto";

/** The HMAC of RFC 6238 §1.2: SHA-1 is the default of every authenticator app. */
export type TotpAlgorithm = "sha1" | "sha256" | "sha512";

export interface TotpCheck {
  /** The key bytes (the decoded base32 secret). */
  readonly key: Uint8Array;
  /** The code as the caller typed it: exactly `digits` ASCII digits, or it matches no step. */
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

/**
 * The 8-byte counter every HMAC of this module is taken over, written in place before each: `update` copies it
 * at once, so one buffer serves every call, where one per code would be an allocation for each step tried.
 */
const counterBytes = Buffer.alloc(8);

/** The HOTP value of RFC 4226 §5.3 for one counter, as a number below `10 ** digits`. */
function hotpValue(key: Uint8Array, counter: number, algorithm: TotpAlgorithm, digits: 6 | 7 | 8): number {
  // Counters beyond 2^32 (T = 20000000000 in RFC 6238 Appendix B) need both halves.
  counterBytes.writeUInt32BE(Math.floor(counter / 0x1_0000_0000), 0);
  counterBytes.writeUInt32BE(counter >>> 0, 4);
  const mac = createHmac(algorithm, key).update(counterBytes).digest();
  const offset = (mac[mac.length - 1] ?? 0) & 0x0f;
  return (mac.readUInt32BE(offset) & 0x7fff_ffff) % POWERS[digits];
}

/** The HOTP value of RFC 4226 §5.3 for one counter, as `digits` ASCII digits. */
export function hotp(key: Uint8Array, counter: number, algorithm: TotpAlgorithm, digits: 6 | 7 | 8): string {
  return String(hotpValue(key, counter, algorithm, digits)).padStart(digits, "0");
}

const ASCII_DIGITS = /^[0-9]+$/;

/**
 * The time step whose code equals `check.code`, within `window` steps of the current one, or `undefined`.
 * Uses Node's own HMAC (a pure-JS hash costs tens of µs a request). Candidates are tried nearest first (the
 * current step, then one step either side, ...) and each is compared in constant time: the typed code and the
 * step's are numbers below `10 ** digits`, and their XOR is one integer operation whatever bits differ. A wrong
 * code is compared with every candidate, so its answer takes the same time whatever it is; a right code stops
 * at its step, which tells the caller only what the answer says anyway. The right code of the current step, the
 * common case, costs one HMAC instead of `2 × window + 1`.
 */
export function matchingTotpStep(check: Readonly<TotpCheck>): number | undefined {
  // Exactly `digits` ASCII digits, checked here too: anything else read as a number (NaN, which XORs as 0, or
  // "1e5") could equal a step's code.
  if (check.code.length !== check.digits || !ASCII_DIGITS.test(check.code)) return undefined;
  const typed = Number(check.code);
  const current = Math.floor(check.now / check.periodMs);
  for (let distance = 0; distance <= check.window; distance++) {
    for (const step of distance === 0 ? [current] : [current - distance, current + distance]) {
      if (step < 0) continue;
      if ((hotpValue(check.key, step, check.algorithm, check.digits) ^ typed) === 0) return step;
    }
  }
  return undefined;
}
