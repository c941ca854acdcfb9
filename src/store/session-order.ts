/**
 * The memory store's index of every session by creation time, for `listAllSessions`: sessions sorted by
 * `(createdAt, id)`, so a page is a binary search and a walk of the page, O(log n + page), never a scan.
 *
 * The sorted sequence is cut into blocks of at most `BLOCK` entries, each block two parallel arrays (creation
 * times as unboxed doubles, ids as references): about 15 bytes a session, which every session of the store
 * pays whether or not anyone lists them. Blocks keep every change local: a login made now is a push onto the
 * last block; one created in the past (adopted, migrated, or one of many logins in the same millisecond, whose
 * random ids fall anywhere in it) and a logout each splice one block, never the whole sequence. A single sorted
 * array made a million-session store pay a million-element splice for such a login, and marking ended entries
 * instead of removing them made a logout's lookup walk every entry of its millisecond.
 */

/** Largest block; a full block is split in two halves. Small enough that a splice stays cheap (128 measured faster than 64 or 512 for logins of one millisecond), large enough that the list of blocks stays short. */
const BLOCK = 128;

interface Block {
  createdAt: number[];
  ids: string[];
}

/** The order of `(aCreated, aId)` against `(bCreated, bId)`: negative, zero or positive. */
function compare(aCreated: number, aId: string, bCreated: number, bId: string): number {
  if (aCreated !== bCreated) return aCreated < bCreated ? -1 : 1;
  return aId < bId ? -1 : aId > bId ? 1 : 0;
}

/** The index of the first entry of `block` at or after `(createdAt, id)`. */
function firstAtOrAfter(block: Block, createdAt: number, id: string): number {
  let lo = 0;
  let hi = block.ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compare(block.createdAt[mid] as number, block.ids[mid] as string, createdAt, id) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class SessionOrder {
  #blocks: Block[] = [];
  #size = 0;

  /** Entries held. */
  get size(): number {
    return this.#size;
  }

  add(id: string, createdAt: number): void {
    const blocks = this.#blocks;
    const lastBlock = blocks[blocks.length - 1];
    if (lastBlock === undefined) {
      blocks.push({ createdAt: [createdAt], ids: [id] });
      this.#size = 1;
      return;
    }
    const end = lastBlock.ids.length - 1;
    const order = compare(lastBlock.createdAt[end] as number, lastBlock.ids[end] as string, createdAt, id);
    if (order === 0) return;
    if (order < 0 && lastBlock.ids.length >= BLOCK) {
      blocks.push({ createdAt: [createdAt], ids: [id] });
    } else if (order < 0) {
      lastBlock.createdAt.push(createdAt);
      lastBlock.ids.push(id);
    } else {
      const b = this.#blockFor(createdAt, id);
      const block = blocks[b] as Block;
      const at = firstAtOrAfter(block, createdAt, id);
      if (at < block.ids.length && block.createdAt[at] === createdAt && block.ids[at] === id) return;
      block.createdAt.splice(at, 0, createdAt);
      block.ids.splice(at, 0, id);
      if (block.ids.length > BLOCK) this.#split(b);
    }
    this.#size += 1;
  }

  /** Drops the entry of session `id` created at `createdAt` (the store knows both); an unknown one is ignored. */
  remove(id: string, createdAt: number): void {
    if (this.#blocks.length === 0) return;
    const b = this.#blockFor(createdAt, id);
    const block = this.#blocks[b] as Block;
    const at = firstAtOrAfter(block, createdAt, id);
    if (at >= block.ids.length || block.createdAt[at] !== createdAt || block.ids[at] !== id) return;
    block.createdAt.splice(at, 1);
    block.ids.splice(at, 1);
    if (block.ids.length === 0) this.#blocks.splice(b, 1);
    this.#size -= 1;
  }

  clear(): void {
    this.#blocks = [];
    this.#size = 0;
  }

  /**
   * Up to `limit` ids, newest first, strictly after the position `(createdAt, id)` in that order (from the newest
   * when `after` is undefined). `accept` may still refuse an id (an entry that expired but was not yet swept);
   * refused ones are skipped.
   */
  page(after: readonly [number, string] | undefined, limit: number, accept: (id: string) => boolean): { ids: string[]; more: boolean } {
    const blocks = this.#blocks;
    let b = blocks.length - 1;
    let i = b < 0 ? -1 : (blocks[b] as Block).ids.length - 1;
    if (after !== undefined && b >= 0) {
      b = this.#blockFor(after[0], after[1]);
      // Newest first means walking down from the cursor; its own position is excluded.
      i = firstAtOrAfter(blocks[b] as Block, after[0], after[1]) - 1;
    }
    const ids: string[] = [];
    for (; b >= 0; b--, i = b >= 0 ? (blocks[b] as Block).ids.length - 1 : -1) {
      const block = blocks[b] as Block;
      for (; i >= 0; i--) {
        const id = block.ids[i] as string;
        if (!accept(id)) continue;
        if (ids.length === limit) return { ids, more: true };
        ids.push(id);
      }
    }
    return { ids, more: false };
  }

  /** The block `(createdAt, id)` belongs in: the first whose last entry is at or after it, else the last one. */
  #blockFor(createdAt: number, id: string): number {
    const blocks = this.#blocks;
    let lo = 0;
    let hi = blocks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const block = blocks[mid] as Block;
      const end = block.ids.length - 1;
      if (compare(block.createdAt[end] as number, block.ids[end] as string, createdAt, id) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  #split(b: number): void {
    const block = this.#blocks[b] as Block;
    const half = block.ids.length >>> 1;
    const upper: Block = { createdAt: block.createdAt.slice(half), ids: block.ids.slice(half) };
    block.createdAt = block.createdAt.slice(0, half);
    block.ids = block.ids.slice(0, half);
    this.#blocks.splice(b + 1, 0, upper);
  }
}
