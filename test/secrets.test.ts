import { describe, expect, it } from "vitest";
import { constantTimeEqual, generateToken, hashSecret, issueSession, MemorySessionStore, verifySecret } from "../src/index.js";

describe("constantTimeEqual", () => {
  it("answers true for equal strings, ASCII and not", () => {
    const hash = hashSecret(generateToken());
    expect(constantTimeEqual(hash, hash.slice(0))).toBe(true);
    expect(constantTimeEqual("naïve-ü-😀", "naïve-ü-😀")).toBe(true);
    expect(constantTimeEqual("", "")).toBe(true);
  });

  it("answers false for a difference in the first, a middle or the last character", () => {
    const hash = hashSecret(generateToken());
    const flip = (at: number) => hash.slice(0, at) + (hash[at] === "A" ? "B" : "A") + hash.slice(at + 1);
    for (const at of [0, 21, hash.length - 1]) expect(constantTimeEqual(hash, flip(at))).toBe(false);
  });

  it("answers false, without throwing, when the lengths differ in characters or only in UTF-8 bytes", () => {
    expect(constantTimeEqual("abc", "abcd")).toBe(false);
    expect(constantTimeEqual("", "a")).toBe(false);
    // Same number of characters, different number of bytes: must not reach timingSafeEqual with unequal buffers.
    expect(constantTimeEqual("ab", "aé")).toBe(false);
    expect(constantTimeEqual("é", "e")).toBe(false);
  });

  it("keeps verifySecret right for the right secret and wrong for any other", () => {
    const secret = generateToken();
    expect(verifySecret(secret, hashSecret(secret))).toBe(true);
    expect(verifySecret(`${secret}x`, hashSecret(secret))).toBe(false);
    expect(verifySecret(secret, "")).toBe(false);
  });
});

describe("issueSession ids", () => {
  it("gives every session a distinct RFC 4122 version 4 UUID", async () => {
    const store = new MemorySessionStore();
    const ids = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const { session } = await issueSession(store, { userId: "alice" });
      expect(session.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      ids.add(session.id);
      expect(await store.getSession(session.id)).toMatchObject({ id: session.id, userId: "alice" });
    }
    expect(ids.size).toBe(200);
    store.close();
  });
});
