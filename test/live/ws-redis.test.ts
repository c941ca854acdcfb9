import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisSessionStore, issueSession } from "../../src/index.js";
import { connectRedisV5, connectV5Subscriber, deleteKeys, testPrefix, type RedisV5Client } from "../helpers/redis.js";
import { needService, portOpen } from "../helpers/services.js";
import { bearer, echoes, openSocket, startLiveInstance, type LiveInstance } from "../helpers/live.js";

const REDIS_URL = "redis://127.0.0.1:6379";
const redis = await needService("Redis on 127.0.0.1:6379", () => portOpen(6379));

describe.skipIf(!redis)("acceptWebSockets across two instances sharing Redis", () => {
  const prefix = testPrefix("live-ws");
  const clients: RedisV5Client[] = [];
  const closers: (() => Promise<void>)[] = [];
  let a: LiveInstance;
  let b: LiveInstance;
  let storeA: RedisSessionStore;
  let storeB: RedisSessionStore;

  async function openStore(): Promise<RedisSessionStore> {
    const client = await connectRedisV5(REDIS_URL);
    clients.push(client);
    const { subscriber, close } = await connectV5Subscriber(REDIS_URL);
    closers.push(close);
    return new RedisSessionStore({ sendCommand: (args) => client.sendCommand(args), prefix, isReady: () => client.isReady, subscriber });
  }

  beforeAll(async () => {
    storeA = await openStore();
    storeB = await openStore();
    a = await startLiveInstance(storeA);
    b = await startLiveInstance(storeB);
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    for (const close of closers) await close();
    await deleteKeys(clients[0]!, prefix);
    for (const c of clients) await c.close();
  });

  const post = (instance: LiveInstance, path: string, token: string) => fetch(`${instance.url}${path}`, { method: "POST", headers: bearer(token) });

  it("closes a socket on instance B within 250 ms of a logout answered by instance A, and keeps the other sessions' sockets", async () => {
    const mine = await issueSession(storeA, { userId: "redis-alice", ttlMs: 60_000 });
    const other = await issueSession(storeA, { userId: "redis-alice", ttlMs: 60_000 });
    const onB = await openSocket(b.wsUrl, bearer(mine.token));
    const onA = await openSocket(a.wsUrl, bearer(mine.token));
    const otherOnB = await openSocket(b.wsUrl, bearer(other.token));
    expect(await echoes(onB.socket)).toBe(true);
    expect((await post(a, "/logout", mine.token)).status).toBe(200);
    const answeredAt = performance.now();
    const [closedB, closedA] = await Promise.all([onB.closed, onA.closed]);
    expect(closedB).toMatchObject({ code: 4401, reason: "session ended" });
    expect(closedB.at - answeredAt).toBeLessThan(250);
    expect(closedA.at - answeredAt).toBeLessThan(100);
    expect(await echoes(otherOnB.socket)).toBe(true);
    otherOnB.socket.close();
  });

  it("closes every socket of the user on both instances on \"log out everywhere\"", async () => {
    const sessions = await Promise.all([1, 2, 3].map(() => issueSession(storeB, { userId: "redis-bob", ttlMs: 60_000 })));
    const stranger = await issueSession(storeB, { userId: "redis-carol", ttlMs: 60_000 });
    const sockets = await Promise.all(sessions.flatMap((s) => [openSocket(a.wsUrl, bearer(s.token)), openSocket(b.wsUrl, bearer(s.token))]));
    const strangers = await Promise.all([openSocket(a.wsUrl, bearer(stranger.token)), openSocket(b.wsUrl, bearer(stranger.token))]);
    expect((await post(a, "/logout/all", sessions[0]!.token)).status).toBe(200);
    const answeredAt = performance.now();
    for (const s of sockets) {
      const closed = await s.closed;
      expect(closed.code).toBe(4401);
      expect(closed.at - answeredAt).toBeLessThan(250);
    }
    for (const s of strangers) expect(await echoes(s.socket)).toBe(true);
    for (const s of strangers) s.socket.close();
  });

  it("refuses an upgrade on B for a session A already ended, and a socket whose session expires closes on its own", async () => {
    const s = await issueSession(storeA, { userId: "redis-dave", ttlMs: 600 });
    const open = await openSocket(b.wsUrl, bearer(s.token));
    const closed = await open.closed;
    expect(closed).toMatchObject({ code: 4401, reason: "session expired" });
    const ended = await issueSession(storeA, { userId: "redis-dave", ttlMs: 60_000 });
    await post(a, "/logout", ended.token);
    const refusal = await openSocket(b.wsUrl, bearer(ended.token)).then(() => undefined, (error: unknown) => error as { status?: number });
    expect(refusal?.status).toBe(401);
  });

  it("unsubscribes from a user's feed channel when the user's last socket closes", async () => {
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(a.watcher.stats).toEqual({ connections: 0, sessions: 0, users: 0 });
    expect(b.watcher.stats).toEqual({ connections: 0, sessions: 0, users: 0 });
    expect(storeA.feedSubscriptions).toBe(0);
    expect(storeB.feedSubscriptions).toBe(0);
  });
});
