/**
 * The memory store's sessions of each user, so ending all of a user's k sessions costs O(k). Most users hold
 * one session or a handful, and this index is paid by every session: one session is held as the bare id, a
 * few as an array of exactly their number, and only a user with many gets a Set (a Set costs about 80 bytes
 * even for one entry, a quarter of what the rest of a session costs).
 */
const SMALL = 16;

type Sessions = string | readonly string[] | Set<string>;

export class UserSessionIndex {
  readonly #byUser = new Map<string, Sessions>();

  add(userId: string, id: string): void {
    const held = this.#byUser.get(userId);
    if (held === undefined) this.#byUser.set(userId, id);
    else if (typeof held === "string") {
      if (held !== id) this.#byUser.set(userId, [held, id]);
    } else if (held instanceof Set) held.add(id);
    else if (held.includes(id)) return;
    // `concat` makes an array of exactly the new length; one grown by push or spread keeps room for more,
    // which at four sessions a user cost more than the ids themselves.
    else this.#byUser.set(userId, held.length < SMALL ? held.concat(id) : new Set([...held, id]));
  }

  remove(userId: string, id: string): void {
    const held = this.#byUser.get(userId);
    if (held === undefined) return;
    if (typeof held === "string") {
      if (held === id) this.#byUser.delete(userId);
    } else if (held instanceof Set) {
      held.delete(id);
      if (held.size === 0) this.#byUser.delete(userId);
    } else {
      const rest = held.filter((held) => held !== id);
      if (rest.length === 0) this.#byUser.delete(userId);
      else this.#byUser.set(userId, rest.length === 1 ? (rest[0] as string) : rest);
    }
  }

  /** The ids of the user's sessions: a copy, so the caller may change the index while walking it. */
  sessionIds(userId: string): readonly string[] {
    const held = this.#byUser.get(userId);
    if (held === undefined) return [];
    if (typeof held === "string") return [held];
    return [...held];
  }

  clear(): void {
    this.#byUser.clear();
  }
}
