import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisSessionStore, issueSession, type RedisSubscriber } from "../../src/index.js";
import { startRedisServer, type RedisServer } from "../helpers/redis-server.js";
import { connectRedisV5, connectV5Subscriber, type RedisV5Client } from "../helpers/redis.js";
import { hasExecutable, needService } from "../helpers/services.js";
import { bearer, echoes, openSocket, startLiveInstance, type LiveInstance } from "../helpers/live.js";

const tools = await needService("redis-server on the PATH (to cut and restore a private Redis)", () => hasExecutable("redis-server"));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms`);
    await sleep(20);
  }
}

describe.skipIf(!tools)("live connections when Redis or the feed's connection is cut and restored", () => {
  let redis: RedisServer;
  const clients: RedisV5Client[] = [];
  const subscriberClients: RedisV5Client[] = [];
  let a: LiveInstance;
  let b: LiveInstance;
  let storeA: RedisSessionStore;
  /** How many times B's subscriber came back after a loss (each time the watcher re-checks its sessions). */
  let reconnectsB = 0;

  async function openStore(countReconnects: boolean): Promise<RedisSessionStore> {
    const client = await connectRedisV5(redis.url);
    clients.push(client);
    const { subscriber, client: subClient } = await connectV5Subscriber(redis.url);
    subscriberClients.push(subClient);
    const counted: RedisSubscriber = countReconnects
      ? { ...subscriber, onReconnect: (callback) => { subscriber.onReconnect(() => { reconnectsB += 1; callback(); }); } }
      : subscriber;
    return new RedisSessionStore({ sendCommand: (args) => client.sendCommand(args), prefix: "live-faults:", isReady: () => client.isReady, subscriber: counted });
  }

  beforeAll(async () => {
    // Persistence on, fsync on every write: a crash loses nothing Redis acknowledged.
    redis = await startRedisServer({ args: ["--appendonly", "yes", "--appendfsync", "always"] });
    storeA = await openStore(false);
    a = await startLiveInstance(storeA);
    b = await startLiveInstance(await openStore(true));
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    for (const c of [...clients, ...subscriberClients]) await c.close().catch(() => undefined);
    await redis.stop();
  });

  const post = (path: string, token: string) => fetch(`${a.url}${path}`, { method: "POST", headers: bearer(token) });

  it("a subscriber cut off while the store stays up learns, once back, of an end it missed, and closes only that socket", async () => {
    const [missed, kept] = await Promise.all([1, 2].map(() => issueSession(storeA, { userId: "cut-alice", ttlMs: 60_000 })));
    const [onMissed, onKept] = await Promise.all([openSocket(b.wsUrl, bearer(missed!.token)), openSocket(b.wsUrl, bearer(kept!.token))]);
    const before = reconnectsB;
    // Cut every subscriber connection, then end the session at once: its notice is published to nobody.
    await clients[0]!.sendCommand(["CLIENT", "KILL", "TYPE", "pubsub"]);
    expect((await post("/logout", missed!.token)).status).toBe(200);
    const closed = await onMissed.closed;
    expect(closed).toMatchObject({ code: 4401, reason: "session ended" });
    expect(reconnectsB).toBeGreaterThan(before);
    expect(await echoes(onKept.socket)).toBe(true);
    onKept.socket.close();
  });

  it("through a Redis crash: logouts answer 503 and end nothing, sockets of live sessions stay open, upgrades are refused; after the restart ends reach the sockets again", async () => {
    const [s1, s2] = await Promise.all([1, 2].map(() => issueSession(storeA, { userId: "crash-bob", ttlMs: 60_000 })));
    const [o1, o2] = await Promise.all([openSocket(b.wsUrl, bearer(s1!.token)), openSocket(b.wsUrl, bearer(s2!.token))]);
    const before = reconnectsB;
    await redis.kill("SIGKILL");
    await until("clients notice the crash", () => clients.every((c) => !c.isReady));
    // The outage: a logout cannot end anything, so it answers 503 and the session (and its socket) lives on.
    expect((await post("/logout", s1!.token)).status).toBe(503);
    const refused = await openSocket(b.wsUrl, bearer(s1!.token)).then(() => undefined, (error: unknown) => error as { status?: number });
    expect(refused?.status).toBe(503);
    expect(await echoes(o1.socket)).toBe(true);
    expect(await echoes(o2.socket)).toBe(true);

    await redis.start();
    await until("clients reconnect", () => [...clients, ...subscriberClients].every((c) => c.isReady));
    await until("B re-checked its sessions after its feed came back", () => reconnectsB > before);
    await b.watcher.recheck();
    // Both sessions are still live, so the re-check keeps both sockets.
    expect(await echoes(o1.socket)).toBe(true);
    expect(await echoes(o2.socket)).toBe(true);
    expect((await post("/logout", s1!.token)).status).toBe(200);
    const answeredAt = performance.now();
    const closed = await o1.closed;
    expect(closed.code).toBe(4401);
    expect(closed.at - answeredAt).toBeLessThan(250);
    expect(await echoes(o2.socket)).toBe(true);
    o2.socket.close();
    await until("tracking freed", () => b.watcher.stats.connections === 0);
  });
});
