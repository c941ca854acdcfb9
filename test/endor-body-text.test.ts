import { describe, expect, it } from "vitest";
import { endorAuthenticationResponse } from "../src/index.js";
import { endorAuthenticationResponseText } from "../src/shapes/endor.js";
import type { UserRecord } from "../src/types.js";

/** A small deterministic generator, so a failure names the same case on every run. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

// Characters JSON escapes, or that are easy to escape wrongly: quotes, backslashes, controls, the two line
// separators JavaScript once refused, a lone surrogate of each kind, a pair, and plain text.
const PIECES = ['"', "\\", "\n", "\u0000", "\u001f", "\u007f", "\u2028", "\u2029", "\ud800", "\udfff", "😀", "é", "a", "user-1", "</script>", " "];

function text(next: () => number): string {
  let out = "";
  const length = Math.floor(next() * 6);
  for (let i = 0; i < length; i++) out += PIECES[Math.floor(next() * PIECES.length)] ?? "";
  return out;
}

/** A time a record may hold: none, an ordinary one, one with zero milliseconds, one before 1970. */
function time(next: () => number): number | undefined {
  const pick = Math.floor(next() * 4);
  if (pick === 0) return undefined;
  if (pick === 1) return 1_700_000_000_000 + Math.floor(next() * 1e10);
  if (pick === 2) return 1_700_000_000_000;
  return -86_400_123;
}

function user(next: () => number): UserRecord | undefined {
  if (next() < 0.1) return undefined;
  const maybe = <T>(value: T): T | undefined => (next() < 0.3 ? undefined : value);
  return {
    id: text(next) || "u",
    username: maybe(text(next)),
    email: maybe(text(next)),
    firstName: maybe(text(next)),
    lastName: maybe(text(next)),
    groups: maybe(Array.from({ length: Math.floor(next() * 3) }, () => text(next))),
    tenant: maybe({ id: "t", code: text(next) }),
    createdAt: time(next),
    updatedAt: time(next),
    lastLoginAt: time(next),
  } as UserRecord;
}

describe("Endor's AuthenticationResponse written from its template", () => {
  it("is byte for byte JSON.stringify of the object, over 5 000 generated users and sources", () => {
    const next = prng(14);
    for (let i = 0; i < 5_000; i++) {
      const input = { authenticationSource: text(next), token: next() < 0.5 ? "" : text(next), expirationTime: time(next) ?? 0, user: user(next), userId: text(next) || "id" };
      expect(endorAuthenticationResponseText(input), `case ${String(i)}`).toBe(JSON.stringify(endorAuthenticationResponse(input)));
    }
  });

  it("takes the object path for a record holding values of another type, with the same bytes", () => {
    const odd: unknown[] = [
      { id: "u", username: 42 },
      { id: "u", email: null },
      { id: "u", groups: new Set(["a", "b"]) },
      { id: "u", groups: ["a", 1, null] },
      { id: "u", groups: "admins" },
      { id: "u", tenant: { code: 7 } },
      { id: 9 },
      { id: "u", firstName: { toJSON: () => "x" } },
    ];
    for (const record of odd) {
      const input = { authenticationSource: "login", token: "", expirationTime: 1_700_000_000_000, user: record as UserRecord, userId: "u" };
      expect(endorAuthenticationResponseText(input)).toBe(JSON.stringify(endorAuthenticationResponse(input)));
    }
  });
});
