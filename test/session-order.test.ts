import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SessionOrder } from "../src/store/session-order.js";

/** The same index done the obvious way: a sorted array of every entry. */
class SortedArray {
  entries: [number, string][] = [];
  add(id: string, createdAt: number): void {
    if (this.entries.some(([c, i]) => c === createdAt && i === id)) return;
    this.entries.push([createdAt, id]);
    this.entries.sort(([ca, ia], [cb, ib]) => ca - cb || (ia < ib ? -1 : ia > ib ? 1 : 0));
  }
  remove(id: string, createdAt: number): void {
    this.entries = this.entries.filter(([c, i]) => !(c === createdAt && i === id));
  }
  page(after: readonly [number, string] | undefined, limit: number): { ids: string[]; more: boolean } {
    const newestFirst = [...this.entries].reverse();
    const rest = after === undefined ? newestFirst : newestFirst.filter(([c, i]) => c < after[0] || (c === after[0] && i < after[1]));
    return { ids: rest.slice(0, limit).map(([, i]) => i), more: rest.length > limit };
  }
}

const operation = fc.oneof(
  fc.record({ kind: fc.constant("add" as const), id: fc.integer({ min: 0, max: 3000 }), createdAt: fc.integer({ min: 0, max: 40 }) }),
  fc.record({ kind: fc.constant("remove" as const), pick: fc.nat() }),
);

describe("SessionOrder (the memory store's index of every session by creation time)", () => {
  it("pages exactly as a sorted array of the same entries, across block splits and removals", () => {
    fc.assert(
      fc.property(fc.array(operation, { minLength: 1, maxLength: 2500 }), fc.integer({ min: 1, max: 700 }), (ops, limit) => {
        const order = new SessionOrder();
        const model = new SortedArray();
        for (const op of ops) {
          if (op.kind === "add") {
            order.add(`s${String(op.id).padStart(4, "0")}`, op.createdAt);
            model.add(`s${String(op.id).padStart(4, "0")}`, op.createdAt);
          } else if (model.entries.length > 0) {
            const [createdAt, id] = model.entries[op.pick % model.entries.length]!;
            order.remove(id, createdAt);
            model.remove(id, createdAt);
          }
        }
        expect(order.size).toBe(model.entries.length);
        // Walk every page from the newest to the oldest, as an administrator's client does.
        let after: [number, string] | undefined;
        const seen: string[] = [];
        for (;;) {
          const got = order.page(after, limit, () => true);
          const want = model.page(after, limit);
          expect(got).toEqual(want);
          seen.push(...got.ids);
          if (!got.more) break;
          const last = model.entries.find(([, i]) => i === got.ids.at(-1))!;
          after = [last[0], last[1]];
        }
        expect(seen).toEqual([...model.entries].reverse().map(([, i]) => i));
      }),
      { numRuns: 60, seed: 20261201 },
    );
  });

  it("orders many logins of one millisecond by id, whatever order they arrive and end in", () => {
    const order = new SessionOrder();
    const ids = Array.from({ length: 50_000 }, (_, i) => `id-${((i * 7919) % 50_000).toString().padStart(5, "0")}`);
    for (const id of ids) order.add(id, 1_000);
    for (const id of ids.slice(0, 25_000)) order.remove(id, 1_000);
    expect(order.size).toBe(25_000);
    const { ids: first, more } = order.page(undefined, 3, () => true);
    expect(more).toBe(true);
    const rest = [...ids.slice(25_000)].sort().reverse();
    expect(first).toEqual(rest.slice(0, 3));
  });

  it("skips the ids the store refuses (expired, not yet swept) without ending the page early", () => {
    const order = new SessionOrder();
    for (let i = 0; i < 10; i++) order.add(`s${i}`, i);
    const { ids, more } = order.page(undefined, 3, (id) => id !== "s8" && id !== "s7");
    expect(ids).toEqual(["s9", "s6", "s5"]);
    expect(more).toBe(true);
  });
});
