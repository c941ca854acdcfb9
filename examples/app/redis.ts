import { createClient } from "redis";
import { RedisSessionStore } from "../../src/index.js";

export interface OpenedRedisStore {
  readonly store: RedisSessionStore;
  readonly label: string;
  readonly close: () => Promise<void>;
}

/** The URL without its password, for logs. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparseable REDIS_URL)";
  }
}

/**
 * The example app's Redis wiring, with the official `redis` v5 client configured the way docs/redis.md
 * asks: a command issued while the connection is down fails at once (the request answers 503) instead of
 * waiting in the offline queue and running after the response was sent.
 */
export async function openRedisStore(url: string, prefix: string, log: (line: string) => void = console.log): Promise<OpenedRedisStore> {
  let connectedOnce = false;
  let lastError = "";
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: 2_000,
      // At start-up, give up after a few tries so a wrong REDIS_URL fails loudly; later, keep reconnecting.
      reconnectStrategy: (retries, cause) => (!connectedOnce && retries >= 4 ? cause : Math.min(100 * 2 ** retries, 2_000)),
    },
  });
  // Without an 'error' listener a lost connection would crash the process; log each distinct error once.
  client.on("error", (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    if (message === lastError) return;
    lastError = message;
    log(`redis: ${message} (requests answer 503 until it reconnects)`);
  });
  client.on("ready", () => {
    if (connectedOnce && lastError !== "") log("redis: connected again");
    connectedOnce = true;
    lastError = "";
  });
  await client.connect();
  const store = new RedisSessionStore({
    sendCommand: (args) => client.sendCommand(args),
    prefix,
    // While the client reconnects, fail at once rather than wait for a queue that is switched off anyway.
    isReady: () => client.isReady,
    // The admin routes and the admin page list every session a page at a time.
    indexAllSessions: true,
  });
  await store.loadScripts();
  return {
    store,
    label: `redis (RedisSessionStore on ${redact(url)}, key prefix "${prefix}")`,
    close: async () => {
      await client.close();
    },
  };
}
