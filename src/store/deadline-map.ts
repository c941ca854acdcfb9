/**
 * A Map whose values carry their own deadline (`deadlineOf(value)`), expiring without a scan on any read or
 * write. Reads check the value's deadline (lazy expiry); a sweep on a timer drops whole time buckets, so its cost
 * follows the number of expired entries, never the number of live ones.
 *
 * The deadline is read from the value rather than kept beside it, so an entry costs the map entry and its place
 * in one bucket, nothing more: the memory store's sessions already hold when they end, and a wrapper object
 * with a copy of that time cost about 30 bytes a session. A value is filed under its deadline when it is `set`;
 * one whose deadline moved in place keeps its old place until `set` again (a replaced value) or until the sweep
 * reaches that place and files it anew. Reads check the deadline the value holds now either way.
 */
export class DeadlineMap<V> {
  readonly #entries = new Map<string, V>();
  /** bucket start (ms, rounded down to `bucketMs`) → keys whose deadline falls in it. */
  readonly #buckets = new Map<number, Set<string>>();
  readonly #bucketMs: number;
  readonly #deadlineOf: (value: V) => number;
  readonly #onExpire: ((key: string, value: V) => void) | undefined;

  constructor(bucketMs: number, deadlineOf: (value: V) => number, onExpire?: (key: string, value: V) => void) {
    this.#bucketMs = bucketMs;
    this.#deadlineOf = deadlineOf;
    this.#onExpire = onExpire;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The live value, or `undefined`; an expired entry found here is removed on the spot. */
  get(key: string, now = Date.now()): V | undefined {
    const value = this.#entries.get(key);
    if (value === undefined) return undefined;
    if (this.#deadlineOf(value) <= now) {
      this.#expire(key, value);
      return undefined;
    }
    return value;
  }

  /** Stores `value`, filed under its own deadline (moving the entry only when that lands in another bucket). */
  set(key: string, value: V): void {
    const bucket = this.#bucketOf(this.#deadlineOf(value));
    const previous = this.#entries.get(key);
    this.#entries.set(key, value);
    if (previous !== undefined) {
      const was = this.#bucketOf(this.#deadlineOf(previous));
      if (was === bucket) return;
      this.#unbucket(key, was);
    }
    this.#file(key, bucket);
  }

  /**
   * Stores `value` only when no live entry holds `key` (an expired one is replaced), in one lookup: a claim of a
   * one-time marker. Answers whether it stored it.
   */
  setIfAbsent(key: string, value: V, now = Date.now()): boolean {
    const previous = this.#entries.get(key);
    if (previous !== undefined) {
      if (this.#deadlineOf(previous) > now) return false;
      this.#expire(key, previous);
    }
    this.#entries.set(key, value);
    this.#file(key, this.#bucketOf(this.#deadlineOf(value)));
    return true;
  }

  delete(key: string): V | undefined {
    const value = this.#entries.get(key);
    if (value === undefined) return undefined;
    this.#entries.delete(key);
    this.#unbucket(key, this.#bucketOf(this.#deadlineOf(value)));
    return value;
  }

  /** Expires what is due in every bucket whose whole span lies in the past. */
  sweep(now = Date.now()): void {
    for (const [bucket, keys] of this.#buckets) {
      if (bucket + this.#bucketMs > now) continue;
      this.#buckets.delete(bucket);
      for (const key of keys) {
        const value = this.#entries.get(key);
        if (value === undefined) continue;
        // A key still here with a later deadline was refiled without its old place being known: file it again.
        if (this.#deadlineOf(value) <= now) this.#expire(key, value, false);
        else this.#file(key, this.#bucketOf(this.#deadlineOf(value)));
      }
    }
  }

  clear(): void {
    this.#entries.clear();
    this.#buckets.clear();
  }

  #bucketOf(deadline: number): number {
    return deadline - (deadline % this.#bucketMs);
  }

  #file(key: string, bucket: number): void {
    let keys = this.#buckets.get(bucket);
    if (keys === undefined) {
      keys = new Set();
      this.#buckets.set(bucket, keys);
    }
    keys.add(key);
  }

  #unbucket(key: string, bucket: number): void {
    const keys = this.#buckets.get(bucket);
    if (keys === undefined) return;
    keys.delete(key);
    if (keys.size === 0) this.#buckets.delete(bucket);
  }

  #expire(key: string, value: V, unbucket = true): void {
    this.#entries.delete(key);
    if (unbucket) this.#unbucket(key, this.#bucketOf(this.#deadlineOf(value)));
    this.#onExpire?.(key, value);
  }
}
