import { createCluster } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisSessionStore } from "../src/index.js";
import { assertSessionDirectory } from "../src/store/session-directory.js";
import { describeSessionStoreConformance, sampleSession } from "../src/testing/index.js";
import { connectRedisV5, countingStore, deleteKeys, scanKeys, testPrefix, type RedisV5Client } from "./helpers/redis.js";
import { startRedisCluster, type RedisCluster } from "./helpers/redis-server.js";
import { hasExecutable, needService, portOpen } from "./helpers/services.js";

const REDIS_URL = "redis://127.0.0.1:6379";
const redis = await needService("Redis on 127.0.0.1:6379", () => portOpen(6379));
const tools = await needService("redis-server and redis-cli on the PATH (to start a Redis Cluster)", () => hasExecutable("redis-server") && hasExecutable("redis-cli"));

describe("RedisSessionStore indexAllSessions option", () => {
  const sendCommand = () => Promise.resolve(null);

  it("is off by default, and a store without it is refused at setup by what needs it, saying what to pass", () => {
    const store = new RedisSessionStore({ sendCommand });
    expect(store.indexesAllSessions).toBe(false);
    expect(() => {
      assertSessionDirectory(store, "adminListSessions");
    }).toThrow(/indexAllSessions: true/);
    expect(() => {
      assertSessionDirectory(new RedisSessionStore({ sendCommand, indexAllSessions: true }), "adminListSessions");
    }).not.toThrow();
  });

  it("must be a boolean", () => {
    expect(() => new RedisSessionStore({ sendCommand, indexAllSessions: "yes" as unknown as boolean })).toThrow(/`indexAllSessions` must be true or false/);
  });
});

describe.skipIf(!redis)("RedisSessionStore with indexAllSessions on one Redis server", () => {
  let v5: RedisV5Client;
  const prefix = testPrefix("directory");
  const layoutPrefix = testPrefix("directory-layout");

  beforeAll(async () => {
    v5 = await connectRedisV5(REDIS_URL);
  });
  afterAll(async () => {
    await deleteKeys(v5, prefix);
    await deleteKeys(v5, layoutPrefix);
    await v5.close();
  });

  describeSessionStoreConformance("RedisSessionStore (redis v5, indexAllSessions)", {
    createStore: () => new RedisSessionStore({ sendCommand: (args) => v5.sendCommand(args), prefix, isReady: () => v5.isReady, indexAllSessions: true }),
    sharedBackend: true,
  });

  it("keeps the index in two keys of one slot, each with a TTL, and sends its login command alongside the login's own", async () => {
    const { store, commands } = countingStore(v5, { prefix: layoutPrefix, indexAllSessions: true });
    const session = sampleSession("u-layout");
    await store.createSession(session);
    const indexKeys = (await scanKeys(v5, layoutPrefix)).filter((k) => k.includes("all-sessions"));
    expect(indexKeys).toEqual([`${layoutPrefix}all-sessions:{all-sessions}:by-created`, `${layoutPrefix}all-sessions:{all-sessions}:by-expiry`]);
    for (const key of indexKeys) expect(await v5.pTTL(key)).toBeGreaterThan(0);
    // Two route claims, then the session script and the index script together: still two round trips.
    expect(commands).toHaveLength(4);
    expect(await v5.zCard(indexKeys[0] ?? "")).toBe(1);
    commands.length = 0;
    expect(await store.revokeSession(session.id)).toBe(true);
    expect(await v5.zCard(indexKeys[0] ?? "")).toBe(0);
    expect(await v5.zCard(indexKeys[1] ?? "")).toBe(0);
  });

  it("forgets every session a revoke-all ended, so the count is exact at once", async () => {
    const store = new RedisSessionStore({ sendCommand: (args) => v5.sendCommand(args), prefix: layoutPrefix, indexAllSessions: true });
    const before = await store.countAllSessions();
    const sessions = [sampleSession("u-all"), sampleSession("u-all"), sampleSession("u-all")];
    for (const s of sessions) await store.createSession(s);
    expect(await store.countAllSessions()).toBe(before + 3);
    expect(await store.revokeUserSessions("u-all", { exceptSessionId: sessions[0]?.id ?? "" })).toBe(2);
    expect(await store.countAllSessions()).toBe(before + 1);
  });

  it("skips and drops an index member whose record is gone, still filling the page", async () => {
    const store = new RedisSessionStore({ sendCommand: (args) => v5.sendCommand(args), prefix: layoutPrefix, indexAllSessions: true });
    const base = Date.now() + 20 * 365 * 24 * 3600 * 1000;
    const sessions = [0, 1, 2].map((i) => sampleSession(`u-gone-${String(i)}`, { createdAt: base - i }));
    for (const s of sessions) await store.createSession(s);
    // A record deleted behind the store's back (an operator's DEL, a failover that lost it).
    await v5.del(`${layoutPrefix}user:{u-gone-0}:session:${sessions[0]?.id ?? ""}`);
    const page = await store.listAllSessions({ limit: 2 });
    expect(page.sessions.map((s) => s.id)).toEqual([sessions[1]?.id, sessions[2]?.id]);
    expect(await v5.zScore(`${layoutPrefix}all-sessions:{all-sessions}:by-created`, sessions[0]?.id ?? "")).toBeNull();
  });
});

describe.skipIf(!tools)("RedisSessionStore with indexAllSessions on a 3-node Redis Cluster", () => {
  let cluster: RedisCluster;
  let client: ReturnType<typeof createCluster>;
  const prefix = testPrefix("directory-cluster");

  beforeAll(async () => {
    cluster = await startRedisCluster(3);
    client = createCluster({ rootNodes: cluster.rootNodes.map((n) => ({ url: n.url })), defaults: { disableOfflineQueue: true, socket: { connectTimeout: 1_000 } } });
    client.on("error", () => undefined);
    await client.connect();
  });
  afterAll(async () => {
    await client.close();
    await cluster.stop();
  });

  describeSessionStoreConformance("RedisSessionStore (redis v5 cluster, indexAllSessions)", {
    createStore: () => new RedisSessionStore({ sendCommand: (args, { key }) => client.sendCommand(key, false, args), prefix, indexAllSessions: true }),
    sharedBackend: true,
  });
});
