import { MemorySessionStore } from "#bench/library";
import type { StoreEntry } from "../types.js";

/** The embedded `MemorySessionStore`. */
export const memoryStore: StoreEntry = {
  id: "memory",
  title: "MemorySessionStore",
  needsRedis: false,
  open() {
    const store = new MemorySessionStore();
    return Promise.resolve({
      store,
      liveSessions: () => Promise.resolve(store.size),
      close: () => {
        store.close();
        return Promise.resolve();
      },
    });
  },
};
