import { RedisSessionStore } from "#bench/library";
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
    // Each sendCommand is one round trip: counted here, at the client, where a script's inner commands do not show.
    let sent = 0;
    const store = new RedisSessionStore({
      sendCommand: (args) => {
        sent += 1;
        return client.sendCommand(args);
      },
      prefix,
      isReady: () => client.isReady,
    });
    return {
      store,
      commandsSent: () => sent,
      redisClient: client,
      close: async () => {
        await deletePrefix(client, prefix);
        client.destroy();
      },
    };
  },
};
