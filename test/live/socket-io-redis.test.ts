import { createAdapter } from "@socket.io/redis-adapter";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisSessionStore, issueSession } from "../../src/index.js";
import { bearer } from "../helpers/live.js";
import { connectRedisV5, connectV5Subscriber, deleteKeys, testPrefix, type RedisV5Client } from "../helpers/redis.js";
import { needService, portOpen } from "../helpers/services.js";
import { answers, connectSocketIo, startSocketIoInstance, type SocketIoInstance } from "../helpers/socket-io.js";

const REDIS_URL = "redis://127.0.0.1:6379";
const redis = await needService("Redis on 127.0.0.1:6379", () => portOpen(6379));

describe.skipIf(!redis)("socketIoSessions on two Socket.IO nodes joined by @socket.io/redis-adapter", () => {
  const prefix = testPrefix("live-io");
  const clients: RedisV5Client[] = [];
  const closers: (() => Promise<void>)[] = [];
  let a: SocketIoInstance;
  let b: SocketIoInstance;
  let storeA: RedisSessionStore;

  async function openNode(): Promise<{ node: SocketIoInstance; store: RedisSessionStore }> {
    const client = await connectRedisV5(REDIS_URL);
    const { subscriber, close } = await connectV5Subscriber(REDIS_URL);
    // The adapter's own pair of connections, as its README sets them up.
    const pub = await connectRedisV5(REDIS_URL);
    const sub = pub.duplicate();
    sub.on("error", () => undefined);
    await sub.connect();
    clients.push(client, pub, sub);
    closers.push(close);
    const store = new RedisSessionStore({ sendCommand: (args) => client.sendCommand(args), prefix, isReady: () => client.isReady, subscriber });
    const node = await startSocketIoInstance(store, { adapter: createAdapter(pub, sub, { key: `${prefix}socket.io` }) });
    return { node, store };
  }

  beforeAll(async () => {
    ({ node: a, store: storeA } = await openNode());
    ({ node: b } = await openNode());
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    for (const close of closers) await close();
    await deleteKeys(clients[0]!, prefix);
    for (const c of clients) await c.close().catch(() => undefined);
  });

  it("disconnects a client of node B with session.ended within 250 ms of a logout answered by node A; the adapter still carries broadcasts", async () => {
    const mine = await issueSession(storeA, { userId: "io-redis-alice", ttlMs: 60_000 });
    const other = await issueSession(storeA, { userId: "io-redis-alice", ttlMs: 60_000 });
    const onB = await connectSocketIo(b.url, { headers: bearer(mine.token) });
    const otherOnB = await connectSocketIo(b.url, { headers: bearer(other.token) });
    expect(await answers(onB.socket)).toBe("io-redis-alice");
    // A broadcast from node A reaches node B's clients: the adapter is in place.
    const news = new Promise<string>((resolve) => otherOnB.socket.once("news", resolve));
    a.io.emit("news", "hello from A");
    expect(await news).toBe("hello from A");

    const res = await fetch(`${a.url}/logout`, { method: "POST", headers: bearer(mine.token) });
    const answeredAt = performance.now();
    expect(res.status).toBe(200);
    const [ended, disconnected] = await Promise.all([onB.ended, onB.disconnected]);
    expect(ended.reason).toBe("session-ended");
    expect(disconnected.reason).toBe("io server disconnect");
    expect(disconnected.at - answeredAt).toBeLessThan(250);
    expect(await answers(otherOnB.socket)).toBe("io-redis-alice");
    // Across the adapter, node A sees node B's remaining socket and not the one that was disconnected.
    const remote = await a.io.fetchSockets();
    expect(remote.map((s) => s.id)).toEqual([otherOnB.socket.id]);
    otherOnB.socket.close();
  });
});
