import { describe, expect, it } from "vitest";
import { rfc3339 } from "../src/shapes/common.js";

/** What `rfc3339` must write: the Date formatter's text, without a zero fraction. */
function reference(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith(".000Z") ? `${iso.slice(0, -5)}Z` : iso;
}

describe("rfc3339", () => {
  it("writes what the Date formatter writes, without a zero fraction, at the edges of days, years and the range", () => {
    const edges = [
      0,
      1,
      999,
      1_000,
      86_399_999,
      86_400_000,
      Date.parse("2024-02-29T23:59:59.999Z"),
      Date.parse("2024-03-01T00:00:00Z"),
      Date.parse("2025-06-01T12:00:00.123Z"),
      Date.parse("2025-06-01T12:00:00.100Z"),
      Date.parse("2025-06-01T12:00:00.010Z"),
      Date.parse("9999-12-31T23:59:59.999Z"),
    ];
    for (const ms of edges) expect(rfc3339(ms)).toBe(reference(ms));
    expect(rfc3339(0)).toBe("1970-01-01T00:00:00Z");
    expect(rfc3339(Date.parse("2025-06-01T12:00:00.010Z"))).toBe("2025-06-01T12:00:00.010Z");
  });

  it("agrees with the Date formatter on many instants across many days (more than it keeps)", () => {
    let seed = 7;
    const random = () => (seed = (seed * 48_271) % 2_147_483_647) / 2_147_483_647;
    for (let i = 0; i < 5_000; i++) {
      const ms = Math.floor(random() * 4_102_444_800_000);
      expect(rfc3339(ms)).toBe(reference(ms));
    }
  });

  it("leaves what it cannot write as a day and a time to the Date formatter: before 1970, year 10000 on, fractions", () => {
    for (const ms of [-1, -86_400_001, Date.parse("-000001-01-01T00:00:00Z"), 253_402_300_800_000, 1.5]) expect(rfc3339(ms)).toBe(reference(ms));
    expect(() => rfc3339(Number.NaN)).toThrow(RangeError);
  });
});
