import { DeadlineMap } from "./deadline-map.js";

interface Entry<V> {
  value: V;
  readonly expiresAt: number;
}

function entryDeadline(entry: Entry<unknown>): number {
  return entry.expiresAt;
}

/**
 * A Map whose entries expire at a time given with each, without a scan on any read or write: a `DeadlineMap`
 * of the value and its deadline, for values that do not carry one of their own (markers, counters, deny-list
 * entries).
 */
export class ExpiringMap<V> {
  readonly #entries: DeadlineMap<Entry<V>>;

  constructor(bucketMs: number) {
    this.#entries = new DeadlineMap<Entry<V>>(bucketMs, entryDeadline);
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The live value, or `undefined`; an expired entry found here is removed on the spot. */
  get(key: string, now = Date.now()): V | undefined {
    return this.#entries.get(key, now)?.value;
  }

  /** When a live entry expires (`undefined` for none). */
  expiresAt(key: string): number | undefined {
    return this.#entries.get(key)?.expiresAt;
  }

  set(key: string, value: V, expiresAt: number): void {
    this.#entries.set(key, { value, expiresAt });
  }

  /** Sets a live entry only when there is none (see `DeadlineMap.setIfAbsent`); answers whether it did. */
  setIfAbsent(key: string, value: V, expiresAt: number, now = Date.now()): boolean {
    return this.#entries.setIfAbsent(key, { value, expiresAt }, now);
  }

  /** Replaces the value of a live entry, keeping its deadline. */
  update(key: string, value: V): void {
    const entry = this.#entries.get(key);
    if (entry !== undefined) entry.value = value;
  }

  delete(key: string): V | undefined {
    return this.#entries.delete(key)?.value;
  }

  /** Drops every expired entry of the buckets whose whole span lies in the past. */
  sweep(now = Date.now()): void {
    this.#entries.sweep(now);
  }

  clear(): void {
    this.#entries.clear();
  }
}
