import { describe, expect, it } from "vitest";
import { keyPart } from "../src/store/redis.js";

// The key format stores already hold: every stored key must keep its bytes whatever the implementation. This is
// the rule as first written (a regular expression's replace), kept here as the specification.
function specified(value: string): string {
  if (value === "") return "%";
  return value.replace(/[%{}:\uD800-\uDFFF]/g, (c) => {
    const code = c.charCodeAt(0);
    return code > 0xff ? `%u${code.toString(16).padStart(4, "0")}` : `%${code.toString(16).padStart(2, "0")}`;
  });
}

/** A small deterministic generator, so a failure names a string that can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const UNITS = ["a", "Z", "0", "-", "_", ".", "%", ":", "{", "}", "/", "=", "é", "日", "\u{1F600}", "\uD800", "\uDFFF", "\uDBFF", "\uDC00", " ", "\u0000", "\u00ff", "\u0100"];

describe("keyPart", () => {
  it.each([
    ["", "%"],
    ["alice-01", "alice-01"],
    ["%", "%25"],
    ["a:b{c}%d", "a%3ab%7bc%7d%25d"],
    ["logout:revoked:abc", "logout%3arevoked%3aabc"],
    [":::", "%3a%3a%3a"],
    ["user-\u{1F600}", "user-%ud83d%ude00"],
    ["\uD800x", "%ud800x"],
    ["jörg-日本", "jörg-日本"],
  ])("escapes %j as %j", (value, key) => {
    expect(keyPart(value)).toBe(key);
    expect(specified(value)).toBe(key);
  });

  it("writes the bytes of the specified rule for thousands of generated parts", () => {
    const next = random(20261202);
    for (let n = 0; n < 5000; n++) {
      const length = Math.floor(next() * 40);
      let value = "";
      for (let i = 0; i < length; i++) value += UNITS[Math.floor(next() * UNITS.length)] ?? "";
      expect(keyPart(value), JSON.stringify(value)).toBe(specified(value));
    }
  });

  it("never gives two different parts the same key", () => {
    const next = random(7);
    const seen = new Map<string, string>();
    for (let n = 0; n < 5000; n++) {
      let value = "";
      for (let i = Math.floor(next() * 6); i > 0; i--) value += UNITS[Math.floor(next() * UNITS.length)] ?? "";
      const key = keyPart(value);
      const earlier = seen.get(key);
      if (earlier !== undefined) expect(earlier).toBe(value);
      seen.set(key, value);
    }
    expect(seen.size).toBeGreaterThan(1000);
  });
});
