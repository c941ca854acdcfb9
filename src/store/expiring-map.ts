/**
 * A Map whose entries expire at a given time, without a scan on any read or write. Reads check the entry's own
 * deadline (lazy expiry); a sweep that runs on a timer drops whole time buckets, so its cost follows the number
 * of expired entries, never the number of live ones.
 */
export class ExpiringMap<V> {
  readonly #entries = new Map<string, { value: V; expiresAt: number }>();
  /** bucket start (ms, rounded down to `bucketMs`) → keys that expire in it. */
  readonly #buckets = new Map<number, Set<string>>();
  readonly #bucketMs: number;
  readonly #onExpire: ((key: string, value: V) => void) | undefined;

  constructor(bucketMs: number, onExpire?: (key: string, value: V) => void) {
    this.#bucketMs = bucketMs;
    this.#onExpire = onExpire;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The live value, or `undefined`; an expired entry found here is removed on the spot. */
  get(key: string, now = Date.now()): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now) {
      this.#expire(key, entry.value, entry.expiresAt);
      return undefined;
    }
    return entry.value;
  }

  expiresAt(key: string): number | undefined {
    return this.#entries.get(key)?.expiresAt;
  }

  set(key: string, value: V, expiresAt: number): void {
    const previous = this.#entries.get(key);
    if (previous !== undefined) this.#unbucket(key, previous.expiresAt);
    this.#entries.set(key, { value, expiresAt });
    const bucket = this.#bucketOf(expiresAt);
    let keys = this.#buckets.get(bucket);
    if (keys === undefined) {
      keys = new Set();
      this.#buckets.set(bucket, keys);
    }
    keys.add(key);
  }

  /** Replaces the value of a live entry, keeping its deadline. */
  update(key: string, value: V): void {
    const entry = this.#entries.get(key);
    if (entry !== undefined) entry.value = value;
  }

  delete(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    this.#unbucket(key, entry.expiresAt);
    return entry.value;
  }

  /** Drops every bucket whose whole span lies in the past. */
  sweep(now = Date.now()): void {
    for (const [bucket, keys] of this.#buckets) {
      if (bucket + this.#bucketMs > now) continue;
      for (const key of keys) {
        const entry = this.#entries.get(key);
        if (entry !== undefined && entry.expiresAt <= now) this.#expire(key, entry.value, entry.expiresAt);
      }
      if (keys.size === 0) this.#buckets.delete(bucket);
    }
  }

  clear(): void {
    this.#entries.clear();
    this.#buckets.clear();
  }

  #bucketOf(expiresAt: number): number {
    return expiresAt - (expiresAt % this.#bucketMs);
  }

  #unbucket(key: string, expiresAt: number): void {
    const bucket = this.#bucketOf(expiresAt);
    const keys = this.#buckets.get(bucket);
    if (keys === undefined) return;
    keys.delete(key);
    if (keys.size === 0) this.#buckets.delete(bucket);
  }

  #expire(key: string, value: V, expiresAt: number): void {
    this.#entries.delete(key);
    this.#unbucket(key, expiresAt);
    this.#onExpire?.(key, value);
  }
}
