import { randomUUID } from "node:crypto";
import { expect, it } from "vitest";
import type { MarkerStore, SessionStore } from "../types.js";
import { sleep, type StoreInstance } from "./instance.js";

/**
 * The `MarkerStore` contract: a claim won by exactly one of many concurrent callers, on one instance and across
 * instances; `isClaimed` reads without writing; exact counters; expiry; and markers, counters and sessions of
 * the same key string kept apart.
 */
export function markerStoreTests(instance: StoreInstance<SessionStore & MarkerStore>): void {
  const store = instance.store;

  it("answers 0 and false for counters and markers it never saw", async () => {
    expect(await store().readCounter(`c-${randomUUID()}`)).toBe(0);
    expect(await store().isClaimed(`m-${randomUUID()}`)).toBe(false);
  });

  it("gives a claim to exactly one of many concurrent callers, and again after it expires", async () => {
    // Atomicity with a long-lived marker, so a slow backend cannot let it expire mid-test.
    const key = `claim-${randomUUID()}`;
    const results = await Promise.all(Array.from({ length: 25 }, () => store().claim(key, 60_000)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await store().claim(key, 60_000)).toBe(false);
    // Expiry on a short-lived one.
    const shortKey = `claim-${randomUUID()}`;
    expect(await store().claim(shortKey, instance.ttlMs)).toBe(true);
    await sleep(instance.ttlMs * 2 + 20);
    expect(await store().claim(shortKey, instance.ttlMs)).toBe(true);
  });

  it("counts concurrent increments exactly and resets the counter after its window", async () => {
    const key = `counter-${randomUUID()}`;
    const counts = await Promise.all(Array.from({ length: 10 }, () => store().incrementCounter(key, 60_000)));
    expect([...counts].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(await store().readCounter(key)).toBe(10);
    const shortKey = `counter-${randomUUID()}`;
    expect(await store().incrementCounter(shortKey, instance.ttlMs * 4)).toBe(1);
    await sleep(instance.ttlMs * 4 + 50);
    expect(await store().readCounter(shortKey)).toBe(0);
    expect(await store().incrementCounter(shortKey, instance.ttlMs * 4)).toBe(1);
  });

  it("keeps claims, counters and sessions of the same key string apart", async () => {
    const key = `shared-${randomUUID()}`;
    expect(await store().claim(key, 60_000)).toBe(true);
    expect(await store().readCounter(key)).toBe(0);
    expect(await store().incrementCounter(key, 60_000)).toBe(1);
    expect(await store().claim(key, 60_000)).toBe(false);
    expect(await store().getSession(key)).toBeUndefined();
    expect(await store().listSessions(key)).toEqual([]);
  });

  it("tells whether a marker is set without setting one", async () => {
    const key = `marker-${randomUUID()}`;
    expect(await store().isClaimed(key)).toBe(false);
    expect(await store().isClaimed(key)).toBe(false);
    expect(await store().claim(key, 60_000)).toBe(true);
    expect(await store().isClaimed(key)).toBe(true);
    expect(await store().readCounter(key)).toBe(0);
    const shortKey = `marker-${randomUUID()}`;
    expect(await store().claim(shortKey, instance.ttlMs)).toBe(true);
    await sleep(instance.ttlMs * 2 + 20);
    expect(await store().isClaimed(shortKey)).toBe(false);
  });

  it.skipIf(!instance.sharedBackend)("gives a claim to exactly one caller across instances", async () => {
    const other = await instance.another();
    const key = `claim-${randomUUID()}`;
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? store() : other).claim(key, 60_000)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });
}
