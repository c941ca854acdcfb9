import { MemorySessionStore, type SessionStore } from "../../src/index.js";

/** One kind of store a suite runs against. */
export interface StoreFactory {
  readonly name: string;
  /** Whether the store shares the process clock, so fake timers move its TTLs too (memory: yes, Redis: no). */
  readonly followsFakeTimers: boolean;
  create(): SessionStore | Promise<SessionStore>;
  close(store: SessionStore): void | Promise<void>;
}

/**
 * Every store the store-level suites run against: use with `describe.each(storeFactories)`. A store added to the
 * library (Redis, ...) adds its entry here, guarded by `needService`, and every such suite covers it.
 */
export const storeFactories: StoreFactory[] = [
  {
    name: "MemorySessionStore",
    followsFakeTimers: true,
    create: () => new MemorySessionStore({ sweepIntervalMs: 1_000 }),
    close: (store) => {
      if (store instanceof MemorySessionStore) store.close();
    },
  },
];
