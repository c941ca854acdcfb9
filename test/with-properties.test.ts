import { describe, expect, it } from "vitest";
import { withProperties } from "../src/with-properties.js";

// `withProperties` replaces `{ ...base, ...extra }` on hot paths: whatever it builds must be what the spread builds,
// key order included (a shape's JSON body is serialized in that order).
describe("withProperties", () => {
  const symbol = Symbol("mark");

  it("builds what the spread builds: own enumerable keys of both, extra's winning, in the spread's order", () => {
    const base = { b: 1, a: 2, [symbol]: "s", nested: { x: 1 } };
    Object.defineProperty(base, "hidden", { value: 3, enumerable: false });
    const extra = { a: 20, c: 30 };
    const copy = withProperties(base, extra);
    const spread = { ...base, ...extra };
    expect(copy).toStrictEqual(spread);
    expect(Reflect.ownKeys(copy)).toEqual(Reflect.ownKeys(spread));
    expect(JSON.stringify(copy)).toBe('{"b":1,"a":20,"nested":{"x":1},"c":30}');
    expect(copy[symbol]).toBe("s");
    expect(Object.hasOwn(copy, "hidden")).toBe(false);
    // A copy, not the original: neither input changes.
    expect(copy).not.toBe(base);
    expect(base.a).toBe(2);
    expect(Object.keys(extra)).toEqual(["a", "c"]);
    // Shallow, as the spread is.
    expect(copy.nested).toBe(base.nested);
  });

  it("keeps an own __proto__ key of parsed data as a plain property, never as the copy's prototype", () => {
    const parsed = JSON.parse('{"__proto__": {"polluted": true}, "id": "s1"}') as Record<string, unknown>;
    const copy = withProperties(parsed, { userId: "u1" }) as Record<string, unknown>;
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(copy.polluted).toBeUndefined();
    expect(Object.hasOwn(copy, "__proto__")).toBe(true);
    expect(copy).toStrictEqual({ ...parsed, userId: "u1" });

    const extra = JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
    const other = withProperties({ id: "s1" }, extra) as Record<string, unknown>;
    expect(Object.getPrototypeOf(other)).toBe(Object.prototype);
    expect(other.polluted).toBeUndefined();
  });

  it("an extra property whose value is undefined is set, as the spread sets it", () => {
    const copy = withProperties({ id: "s1", user: { id: "u1" } }, { user: undefined });
    expect(Object.hasOwn(copy, "user")).toBe(true);
    expect(copy.user).toBeUndefined();
  });
});
