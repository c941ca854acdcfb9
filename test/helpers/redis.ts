import { randomUUID } from "node:crypto";
import { createClient } from "redis";
import { createClient as createClientV6 } from "redis6";
import type { Redis } from "ioredis";
import { RedisSessionStore, type RedisSendCommand, type RedisSessionStoreOptions, type RedisSubscriber } from "../../src/index.js";

export type RedisV5Client = ReturnType<typeof createClient>;
export type RedisV6Client = Awaited<ReturnType<typeof connectRedisV6>>;

/** A unique key prefix for one test run, so suites sharing the server on 6379 never see each other's keys. */
export function testPrefix(name: string): string {
  return `express-logout:test:${name}:${randomUUID()}:`;
}

/** A `redis` v5 client configured as docs/redis.md tells hosts to: no offline queue, quick reconnects. */
export async function connectRedisV5(url: string): Promise<RedisV5Client> {
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: { connectTimeout: 1_000, reconnectStrategy: (retries) => Math.min(50 + retries * 50, 300) },
  });
  client.on("error", () => undefined);
  await client.connect();
  return client;
}

/** A `redis` v6 client (installed here as `redis6`), configured the same way as the v5 one. */
export async function connectRedisV6(url: string) {
  const client = createClientV6({
    url,
    disableOfflineQueue: true,
    socket: { connectTimeout: 1_000, reconnectStrategy: (retries) => Math.min(50 + retries * 50, 300) },
  });
  client.on("error", () => undefined);
  await client.connect();
  return client;
}

/** Escapes the glob characters of a prefix for `SCAN MATCH`. */
export function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/** Every key under `prefix`, by SCAN (tests only: the store itself never scans). */
export async function scanKeys(client: RedisV5Client, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const reply = await client.scan(cursor, { MATCH: `${globEscape(prefix)}*`, COUNT: 1000 });
    cursor = reply.cursor;
    keys.push(...reply.keys);
  } while (cursor !== "0");
  return keys.sort();
}

/** Deletes every key under `prefix` (test clean-up). */
export async function deleteKeys(client: RedisV5Client, prefix: string): Promise<void> {
  for (const key of await scanKeys(client, prefix)) await client.del(key);
}

/** A store on a v5 client whose commands are counted (and can be inspected) by the test. */
export function countingStore(client: RedisV5Client, options: Omit<RedisSessionStoreOptions, "sendCommand">): { store: RedisSessionStore; commands: string[][] } {
  const commands: string[][] = [];
  const sendCommand: RedisSendCommand = (args) => {
    commands.push(args);
    return client.sendCommand(args);
  };
  return { store: new RedisSessionStore({ ...options, sendCommand }), commands };
}

/** A revocation-feed subscriber on its own `redis` v5 connection, wired as docs/live-connections.md shows. */
export async function connectV5Subscriber(url: string, mode: "sharded" | "classic" = "sharded"): Promise<{ subscriber: RedisSubscriber; client: RedisV5Client; close: () => Promise<void> }> {
  const client = await connectRedisV5(url);
  const subscriber: RedisSubscriber = mode === "sharded"
    ? {
        subscribe: (channel, onMessage) => client.sSubscribe(channel, onMessage),
        unsubscribe: (channel) => client.sUnsubscribe(channel),
        onReconnect: (callback) => { client.on("ready", callback); },
      }
    : {
        subscribe: (channel, onMessage) => client.subscribe(channel, onMessage),
        unsubscribe: (channel) => client.unsubscribe(channel),
        onReconnect: (callback) => { client.on("ready", callback); },
      };
  return { subscriber, client, close: async () => { await client.close().catch(() => undefined); } };
}

/** The same on a `redis` v6 connection (sharded feed). */
export async function connectV6Subscriber(url: string): Promise<{ subscriber: RedisSubscriber; close: () => Promise<void> }> {
  const client = await connectRedisV6(url);
  const subscriber: RedisSubscriber = {
    subscribe: (channel, onMessage) => client.sSubscribe(channel, onMessage),
    unsubscribe: (channel) => client.sUnsubscribe(channel),
    onReconnect: (callback) => { client.on("ready", callback); },
  };
  return { subscriber, close: async () => { await client.close().catch(() => undefined); } };
}

/** The same with `ioredis`, whose subscriber connection has one `message` event for every channel. */
export function ioredisSubscriber(client: Redis, mode: "sharded" | "classic"): RedisSubscriber {
  const handlers = new Map<string, (message: string) => void>();
  client.on(mode === "sharded" ? "smessage" : "message", (channel: string, message: string) => handlers.get(channel)?.(message));
  return {
    subscribe: async (channel, onMessage) => {
      handlers.set(channel, onMessage);
      await (mode === "sharded" ? client.ssubscribe(channel) : client.subscribe(channel));
    },
    unsubscribe: async (channel) => {
      handlers.delete(channel);
      await (mode === "sharded" ? client.sunsubscribe(channel) : client.unsubscribe(channel));
    },
    onReconnect: (callback) => { client.on("ready", callback); },
  };
}
