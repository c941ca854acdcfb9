import { describe, expect, it } from "vitest";
import { hotp, matchingTotpStep } from "../src/totp/verify.js";

const ascii = (text: string) => new Uint8Array(Buffer.from(text, "ascii"));
const SHA1_KEY = ascii("12345678901234567890");

describe("hotp (RFC 4226 Appendix D)", () => {
  const expected = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"];
  it.each(expected.map((code, counter) => [counter, code] as const))("counter %i gives %s", (counter, code) => {
    expect(hotp(SHA1_KEY, counter, "sha1", 6)).toBe(code);
  });
});

describe("matchingTotpStep (RFC 6238 Appendix B)", () => {
  const vectors = [
    [59, "94287082", "94287082", "46119246", "90693936"],
    [1111111109, "07081804", "07081804", "68084774", "25091201"],
    [1111111111, "14050471", "14050471", "67062674", "99943326"],
    [1234567890, "89005924", "89005924", "91819424", "93441116"],
    [2000000000, "69279037", "69279037", "90698825", "38618901"],
    [20000000000, "65353130", "65353130", "77737706", "47863826"],
  ] as const;
  const keys = {
    sha1: SHA1_KEY,
    sha256: ascii("12345678901234567890123456789012"),
    sha512: ascii("1234567890123456789012345678901234567890123456789012345678901234"),
  } as const;

  it.each(vectors)("T = %i: SHA-1, SHA-256 and SHA-512 codes match their step", (seconds, _label, sha1, sha256, sha512) => {
    const step = Math.floor(seconds / 30);
    for (const [algorithm, code] of [["sha1", sha1], ["sha256", sha256], ["sha512", sha512]] as const) {
      expect(matchingTotpStep({ key: keys[algorithm], code, algorithm, digits: 8, periodMs: 30_000, window: 0, now: seconds * 1000 })).toBe(step);
    }
  });

  it("finds a code of a neighbouring step inside the window and names that step", () => {
    const now = 1111111111 * 1000;
    const current = Math.floor(now / 30_000);
    const previous = hotp(SHA1_KEY, current - 1, "sha1", 6);
    const next = hotp(SHA1_KEY, current + 1, "sha1", 6);
    expect(matchingTotpStep({ key: SHA1_KEY, code: previous, algorithm: "sha1", digits: 6, periodMs: 30_000, window: 1, now })).toBe(current - 1);
    expect(matchingTotpStep({ key: SHA1_KEY, code: next, algorithm: "sha1", digits: 6, periodMs: 30_000, window: 1, now })).toBe(current + 1);
  });

  it("refuses a code two steps away with a window of one, and any code of another key", () => {
    const now = 1111111111 * 1000;
    const current = Math.floor(now / 30_000);
    const far = hotp(SHA1_KEY, current - 2, "sha1", 6);
    expect(matchingTotpStep({ key: SHA1_KEY, code: far, algorithm: "sha1", digits: 6, periodMs: 30_000, window: 1, now })).toBeUndefined();
    const own = hotp(SHA1_KEY, current, "sha1", 6);
    expect(matchingTotpStep({ key: ascii("abcdefghijklmnopqrst"), code: own, algorithm: "sha1", digits: 6, periodMs: 30_000, window: 1, now })).toBeUndefined();
  });

  it("never looks at a step before the epoch", () => {
    const code = hotp(SHA1_KEY, 0, "sha1", 6);
    expect(matchingTotpStep({ key: SHA1_KEY, code, algorithm: "sha1", digits: 6, periodMs: 30_000, window: 3, now: 10_000 })).toBe(0);
  });

  it("matches only the code written as its digits: the same number written otherwise is no code", () => {
    // A step whose code starts with 0, so that the number it stands for can be written in fewer digits.
    let step = 0;
    while (!hotp(SHA1_KEY, step, "sha1", 6).startsWith("0")) step++;
    const code = hotp(SHA1_KEY, step, "sha1", 6);
    const check = { key: SHA1_KEY, algorithm: "sha1", digits: 6, periodMs: 30_000, window: 0, now: step * 30_000 } as const;
    expect(matchingTotpStep({ ...check, code })).toBe(step);
    for (const written of [`+${code.slice(1)}`, ` ${code.slice(1)}`, code.slice(1), `${code}0`, `0x${Number(code).toString(16)}`.padStart(6, "0"), "      ", "abcdef", ""]) {
      expect(matchingTotpStep({ ...check, code: written })).toBeUndefined();
    }
  });

  it("matches no step with a code that is not a number at all, even where a step's code is 000000", () => {
    // "abcdef" read as a number is NaN, which an XOR takes as 0: it must never reach the comparison. The first
    // counter whose code is 000000 for this key (found once by trying every counter from 0).
    const step = 349_495;
    expect(hotp(SHA1_KEY, step, "sha1", 6)).toBe("000000");
    const check = { key: SHA1_KEY, algorithm: "sha1", digits: 6, periodMs: 30_000, window: 0, now: step * 30_000 } as const;
    expect(matchingTotpStep({ ...check, code: "000000" })).toBe(step);
    for (const code of ["abcdef", "------", "0.0000", "00000 "]) expect(matchingTotpStep({ ...check, code })).toBeUndefined();
  });
});
