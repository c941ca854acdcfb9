import { MemorySessionStore, RedisSessionStore, type CompleteSessionStore } from "../../src/index.js";
import { connectRedisV5, deleteKeys, testPrefix, type RedisV5Client } from "./redis.js";
import { needService, portOpen } from "./services.js";

/** One kind of store a suite runs against. */
export interface StoreFactory {
  readonly name: string;
  /** Whether the store shares the process clock, so fake timers move its TTLs too (memory: yes, Redis: no). */
  readonly followsFakeTimers: boolean;
  create(): CompleteSessionStore | Promise<CompleteSessionStore>;
  close(store: CompleteSessionStore): void | Promise<void>;
}

const redisAvailable = await needService("Redis on 127.0.0.1:6379", () => portOpen(6379));

/** Each Redis store of a suite gets its own prefix and its own connection, removed on close. */
const redisClients = new Map<CompleteSessionStore, { client: RedisV5Client; prefix: string }>();

/**
 * Every store the store-level suites run against: use with `describe.each(storeFactories)`. Redis is included
 * when it is reachable (and required under CI, through `needService`).
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
  ...(redisAvailable
    ? [
        {
          name: "RedisSessionStore",
          followsFakeTimers: false,
          async create() {
            const client = await connectRedisV5("redis://127.0.0.1:6379");
            const prefix = testPrefix("jwt");
            const store = new RedisSessionStore({ sendCommand: (args) => client.sendCommand(args), prefix, isReady: () => client.isReady });
            redisClients.set(store, { client, prefix });
            return store;
          },
          async close(store: CompleteSessionStore) {
            const entry = redisClients.get(store);
            if (entry === undefined) return;
            redisClients.delete(store);
            await deleteKeys(entry.client, entry.prefix);
            await entry.client.close();
          },
        } satisfies StoreFactory,
      ]
    : []),
];
