import { RedisSessionStore } from "../../../src/index.js";
import { connectRedis, deletePrefix } from "../redis.js";
import type { StoreEntry } from "../types.js";

/** `RedisSessionStore` on the official `redis` v5 client, offline queue off, under the run's own prefix. */
export const redisStore: StoreEntry = {
  id: "redis",
  title: "RedisSessionStore",
  needsRedis: true,
  async open(ctx) {
    const client = await connectRedis(ctx.redisUrl);
    const prefix = `${ctx.redisPrefix}lib:`;
    const store = new RedisSessionStore({ sendCommand: (args) => client.sendCommand(args), prefix, isReady: () => client.isReady });
    return {
      store,
      close: async () => {
        await deletePrefix(client, prefix);
        client.destroy();
      },
    };
  },
};
