/**
 * The memory store's index of every session by creation time, for `listAllSessions`: a page is a binary search
 * and a walk of the page, O(log n + page), never a scan of the store.
 *
 * Entries sit in an array sorted by `(createdAt, id)` ascending. Logins arrive in time order, so adding one is
 * almost always a push. Ending a session only marks its entry dead (O(1)); the array is compacted once the dead
 * outnumber the live, so a walk skips at most as many dead entries as there are live ones, and compaction costs
 * O(1) amortised per ended session.
 */
interface Entry {
  readonly createdAt: number;
  readonly id: string;
  live: boolean;
}

/** The order of two entries, or of an entry and a cursor position. */
function compare(aCreated: number, aId: string, bCreated: number, bId: string): number {
  if (aCreated !== bCreated) return aCreated < bCreated ? -1 : 1;
  return aId < bId ? -1 : aId > bId ? 1 : 0;
}

export class SessionOrder {
  #entries: Entry[] = [];
  readonly #byId = new Map<string, Entry>();
  #dead = 0;

  /** Live entries. */
  get size(): number {
    return this.#byId.size;
  }

  add(id: string, createdAt: number): void {
    this.remove(id);
    const entry: Entry = { createdAt, id, live: true };
    const entries = this.#entries;
    const last = entries[entries.length - 1];
    if (last === undefined || compare(last.createdAt, last.id, createdAt, id) < 0) entries.push(entry);
    else entries.splice(this.#firstAfter(createdAt, id), 0, entry);
    this.#byId.set(id, entry);
  }

  remove(id: string): void {
    const entry = this.#byId.get(id);
    if (entry === undefined) return;
    entry.live = false;
    this.#byId.delete(id);
    this.#dead += 1;
    if (this.#dead > 1024 && this.#dead > this.#byId.size) this.#compact();
  }

  clear(): void {
    this.#entries = [];
    this.#byId.clear();
    this.#dead = 0;
  }

  /**
   * Up to `limit` live ids, newest first, strictly after the cursor position `(createdAt, id)` in that order
   * (from the newest when `after` is undefined). `accept` may still refuse an id (an entry that expired but
   * was not yet swept); refused ones are skipped.
   */
  page(after: readonly [number, string] | undefined, limit: number, accept: (id: string) => boolean): { ids: string[]; more: boolean } {
    const entries = this.#entries;
    // Newest first means walking down from the top; the cursor's own position is excluded.
    let i = after === undefined ? entries.length - 1 : this.#firstAtOrAfter(after[0], after[1]) - 1;
    const ids: string[] = [];
    for (; i >= 0; i--) {
      const entry = entries[i];
      if (entry === undefined || !entry.live || !accept(entry.id)) continue;
      if (ids.length === limit) return { ids, more: true };
      ids.push(entry.id);
    }
    return { ids, more: false };
  }

  /** The index of the first entry ordered after `(createdAt, id)`. */
  #firstAfter(createdAt: number, id: string): number {
    let lo = 0;
    let hi = this.#entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const e = this.#entries[mid] as Entry;
      if (compare(e.createdAt, e.id, createdAt, id) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The index of the first entry at or after `(createdAt, id)`. */
  #firstAtOrAfter(createdAt: number, id: string): number {
    let lo = 0;
    let hi = this.#entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const e = this.#entries[mid] as Entry;
      if (compare(e.createdAt, e.id, createdAt, id) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  #compact(): void {
    this.#entries = this.#entries.filter((entry) => entry.live);
    this.#dead = 0;
  }
}
