import { createClient } from "redis";

export type BenchRedisClient = ReturnType<typeof createClient>;

/** A connected `redis` v5 client that fails at once instead of queueing while offline. */
export async function connectRedis(url: string): Promise<BenchRedisClient> {
  const client = createClient({ url, disableOfflineQueue: true, socket: { connectTimeout: 2_000, reconnectStrategy: false } });
  client.on("error", () => undefined);
  await client.connect();
  return client;
}

/** Whether a Redis server answers at `url`. */
export async function redisAvailable(url: string): Promise<boolean> {
  try {
    const client = await connectRedis(url);
    await client.ping();
    client.destroy();
    return true;
  } catch {
    return false;
  }
}

/**
 * Deletes every key under `prefix` with SCAN + UNLINK. Bounded: at most `maxRounds` SCAN calls, so a
 * mistake can never loop for ever. Answers how many keys it deleted.
 */
export async function deletePrefix(client: BenchRedisClient, prefix: string, maxRounds = 100_000): Promise<number> {
  if (prefix.length < 8) throw new Error(`refusing to delete the short Redis prefix ${JSON.stringify(prefix)}`);
  let cursor = "0";
  let deleted = 0;
  for (let round = 0; round < maxRounds; round++) {
    const reply = await client.scan(cursor, { MATCH: `${prefix}*`, COUNT: 1000 });
    if (reply.keys.length > 0) deleted += await client.unlink(reply.keys);
    cursor = reply.cursor;
    if (cursor === "0") break;
  }
  return deleted;
}

/** Counts the keys under `prefix` (SCAN, bounded like `deletePrefix`). Untimed bookkeeping only. */
export async function countPrefix(client: BenchRedisClient, prefix: string, maxRounds = 100_000): Promise<number> {
  let cursor = "0";
  let count = 0;
  for (let round = 0; round < maxRounds; round++) {
    const reply = await client.scan(cursor, { MATCH: `${prefix}*`, COUNT: 1000 });
    count += reply.keys.length;
    cursor = reply.cursor;
    if (cursor === "0") break;
  }
  return count;
}

/** Where every benchmark run keeps its keys: `express-logout-bench:<pid>-<start ms>:`. */
export const BENCH_PREFIX_ROOT = "express-logout-bench:";

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Deletes the keys of earlier runs whose process is gone: a run stopped from outside (a killed terminal, a
 * timeout) never reached its own clean-up, and its keys would slow every later run and test sharing the Redis.
 * A run still going (its pid alive on this machine) is left alone. Answers how many keys it deleted.
 */
export async function sweepStaleRuns(client: BenchRedisClient, maxRounds = 100_000): Promise<number> {
  const stale = new Set<string>();
  let cursor = "0";
  for (let round = 0; round < maxRounds; round++) {
    const reply = await client.scan(cursor, { MATCH: `${BENCH_PREFIX_ROOT}*`, COUNT: 1000 });
    for (const key of reply.keys) {
      const run = /^express-logout-bench:(\d+)-\d+:/.exec(key);
      if (run?.[1] !== undefined && !processAlive(Number(run[1]))) stale.add(run[0]);
    }
    cursor = reply.cursor;
    if (cursor === "0") break;
  }
  let deleted = 0;
  for (const prefix of stale) deleted += await deletePrefix(client, prefix, maxRounds);
  return deleted;
}
