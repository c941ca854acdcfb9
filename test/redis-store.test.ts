import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisSessionStore } from "../src/index.js";
import { describeSessionStoreConformance, nilAsUndefined, sampleSession } from "../src/testing/index.js";
import { needService, portOpen } from "./helpers/services.js";
import { startRedisServer } from "./helpers/redis-server.js";
import { connectRedisV5, connectRedisV6, connectV5Subscriber, connectV6Subscriber, countingStore, deleteKeys, ioredisSubscriber, scanKeys, testPrefix, type RedisV5Client, type RedisV6Client } from "./helpers/redis.js";

const REDIS_URL = "redis://127.0.0.1:6379";
const redis = await needService("Redis on 127.0.0.1:6379", () => portOpen(6379));

describe.skipIf(!redis)("RedisSessionStore on one Redis server", () => {
  let v5: RedisV5Client;
  let v6: RedisV6Client;
  let io: Redis;
  const v5Prefix = testPrefix("v5");
  const v6Prefix = testPrefix("v6");
  const ioPrefix = testPrefix("ioredis");
  const layoutPrefix = testPrefix("layout");
  const nilPrefix = testPrefix("nil-as-undefined");

  beforeAll(async () => {
    v5 = await connectRedisV5(REDIS_URL);
    v6 = await connectRedisV6(REDIS_URL);
    // ioredis as docs/redis.md configures it: fail at once while offline, never queue for later.
    io = new Redis(REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true });
    io.on("error", () => undefined);
    await io.connect();
  });

  afterAll(async () => {
    for (const prefix of [v5Prefix, v6Prefix, ioPrefix, layoutPrefix, nilPrefix]) await deleteKeys(v5, prefix);
    await v5.close();
    await v6.close();
    io.disconnect();
  });

  // Each store instance gets its own subscriber connection, as each app instance would.
  const subscribers: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const close of subscribers) await close();
  });

  describe("with the official redis v5 client (sharded revocation feed)", () => {
    describeSessionStoreConformance("RedisSessionStore (redis v5)", {
      createStore: async () => {
        const { subscriber, close } = await connectV5Subscriber(REDIS_URL);
        subscribers.push(close);
        return new RedisSessionStore({ sendCommand: (args) => v5.sendCommand(args), prefix: v5Prefix, isReady: () => v5.isReady, subscriber });
      },
      sharedBackend: true,
      capabilities: ["touch", "end-by-token", "end-by-id", "totp-attempt", "markers", "jwt-revocation", "step-up", "session-limit", "provider-links"],
    });
  });

  describe("with a client wrapper that answers undefined for nil", () => {
    describeSessionStoreConformance("RedisSessionStore (nil as undefined)", {
      createStore: () => new RedisSessionStore({ sendCommand: nilAsUndefined((args) => v5.sendCommand(args)), prefix: nilPrefix, isReady: () => v5.isReady }),
      sharedBackend: true,
    });
  });

  describe("with the official redis v6 client (RESP3 by default, sharded revocation feed)", () => {
    describeSessionStoreConformance("RedisSessionStore (redis v6)", {
      createStore: async () => {
        const { subscriber, close } = await connectV6Subscriber(REDIS_URL);
        subscribers.push(close);
        return new RedisSessionStore({ sendCommand: (args) => v6.sendCommand(args), prefix: v6Prefix, isReady: () => v6.isReady, subscriber });
      },
      sharedBackend: true,
      capabilities: ["touch", "end-by-token", "end-by-id", "totp-attempt", "markers", "jwt-revocation", "step-up", "session-limit", "provider-links"],
    });
  });

  describe("with ioredis and no route cache (classic revocation feed)", () => {
    describeSessionStoreConformance("RedisSessionStore (ioredis, routeCacheSize 0)", {
      createStore: async () => {
        const sub = new Redis(REDIS_URL, { lazyConnect: true });
        sub.on("error", () => undefined);
        await sub.connect();
        subscribers.push(() => { sub.disconnect(); return Promise.resolve(); });
        return new RedisSessionStore({
          sendCommand: (args) => io.call(args[0]!, ...args.slice(1)),
          prefix: ioPrefix,
          isReady: () => io.status === "ready",
          routeCacheSize: 0,
          revocationFeed: "classic",
          subscriber: ioredisSubscriber(sub, "classic"),
        });
      },
      sharedBackend: true,
      capabilities: ["touch", "end-by-token", "end-by-id", "totp-attempt", "markers", "jwt-revocation", "step-up", "session-limit", "provider-links"],
    });
  });

  describe("key layout", () => {
    const p = layoutPrefix;

    async function pttls(keys: readonly string[]): Promise<number[]> {
      return Promise.all(keys.map((k) => v5.pTTL(k)));
    }

    it("writes a session as record, token index and user index under the user's tag, plus two routes, each with a TTL", async () => {
      const { store } = countingStore(v5, { prefix: p });
      const session = sampleSession("alice:1", { id: "s{1}", apiKeyId: "k1" });
      await store.createSession(session);
      const keys = await scanKeys(v5, p);
      const mine = keys.filter((k) => k.includes("alice%3a1") || k.includes("s%7b1%7d") || k.includes(session.tokenHash));
      expect(mine.sort()).toEqual([
        `${p}route:session:{s%7b1%7d}`,
        `${p}route:token:{${session.tokenHash}}`,
        `${p}user:{alice%3a1}:session:s%7b1%7d`,
        `${p}user:{alice%3a1}:sessions`,
        `${p}user:{alice%3a1}:token:${session.tokenHash}`,
      ].sort());
      expect(await v5.type(`${p}user:{alice%3a1}:session:s%7b1%7d`)).toBe("hash");
      expect(await v5.type(`${p}user:{alice%3a1}:sessions`)).toBe("zset");
      expect(await v5.get(`${p}user:{alice%3a1}:token:${session.tokenHash}`)).toBe("s%7b1%7d");
      expect(await v5.get(`${p}route:session:{s%7b1%7d}`)).toBe("alice:1");
      expect(await v5.get(`${p}route:token:{${session.tokenHash}}`)).toBe("alice:1");
      expect(await v5.zScore(`${p}user:{alice%3a1}:sessions`, "s%7b1%7d")).toBe(session.expiresAt);
      for (const ttl of await pttls(mine)) {
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual(60_000);
      }
      expect(await v5.hGet(`${p}user:{alice%3a1}:session:s%7b1%7d`, "apiKeyId")).toBe("k1");

      // Ending it removes record, token index and index entry at once; the routes stay until the session would
      // have expired (they only say where to look).
      expect(await store.revokeSession(session.id)).toBe(true);
      const left = (await scanKeys(v5, p)).filter((k) => mine.includes(k));
      expect(left.sort()).toEqual([`${p}route:session:{s%7b1%7d}`, `${p}route:token:{${session.tokenHash}}`].sort());
      for (const ttl of await pttls(left)) expect(ttl).toBeGreaterThan(0);
    });

    it("gives every key it writes a TTL, whatever the operation", async () => {
      const { store } = countingStore(v5, { prefix: p });
      const u = "ttl-user";
      const sessions = [sampleSession(u), sampleSession(u, { apiKeyId: "k" }), sampleSession(u)];
      for (const s of sessions) await store.createSession(s);
      await store.touchSession(sessions[0]!.id, Date.now());
      await store.revokeUserSessions(u, { apiKeyId: "k" });
      await store.claim("totp:ttl-user:1", 30_000);
      await store.incrementCounter("fails:ttl-user", 30_000);
      await store.incrementCounter("fails:ttl-user", 30_000);
      await store.denyJwt(u, "jti-1", Date.now() + 30_000);
      await store.revokeJwtsIssuedBefore(u, Date.now(), Date.now() + 30_000);
      const keys = await scanKeys(v5, p);
      expect(keys).toEqual(expect.arrayContaining([`${p}claim:totp%3attl-user%3a1`, `${p}counter:fails%3attl-user`, `${p}user:{ttl-user}:jti:jti-1`, `${p}user:{ttl-user}:jwt-cutoff`]));
      for (const [i, ttl] of (await pttls(keys)).entries()) expect(ttl, keys[i]).toBeGreaterThan(0);
    });

    it("trims expired members from a user's index inside the scripts, with no scan", async () => {
      const { store } = countingStore(v5, { prefix: p });
      const u = "trim-user";
      const short = sampleSession(u, { expiresAt: Date.now() + 30 });
      await store.createSession(short);
      await new Promise((r) => setTimeout(r, 80));
      await store.createSession(sampleSession(u));
      expect(await v5.zRange(`${p}user:{trim-user}:sessions`, 0, -1)).toHaveLength(1);
    });

    it("serves a lookup, a revoke or a logout in one round trip, on the instance that never saw the token too", async () => {
      const creator = countingStore(v5, { prefix: p });
      // Round trips are counted with the scripts in the server's cache (a fresh server answers NOSCRIPT once).
      await creator.store.loadScripts();
      creator.commands.length = 0;
      const session = sampleSession("rt-user");
      const second = sampleSession("rt-user");
      const third = sampleSession("rt-user");
      await creator.store.createSession(session);
      // Creating: two route scripts sent together (one round trip), then the user's script.
      expect(creator.commands.map((c) => c[0])).toEqual(["EVALSHA", "EVALSHA", "EVALSHA"]);
      await creator.store.createSession(second);
      await creator.store.createSession(third);

      // Lookup and revoke are one script each: the script reads the route itself.
      creator.commands.length = 0;
      expect(await creator.store.findSessionByTokenHash(session.tokenHash)).toEqual(session);
      expect(await creator.store.revokeSession(session.id)).toBe(true);
      expect(creator.commands.map((c) => c[0])).toEqual(["EVALSHA", "EVALSHA"]);

      // Another app instance that never saw the token: the same, no route read of its own.
      const other = countingStore(v5, { prefix: p });
      expect(await other.store.findSessionByTokenHash(second.tokenHash)).toEqual(second);
      expect(other.commands.map((c) => c[0])).toEqual(["EVALSHA"]);
      other.commands.length = 0;
      expect(await other.store.revokeSession(second.id)).toBe(true);
      expect(other.commands.map((c) => c[0])).toEqual(["EVALSHA"]);

      // A logout of the caller's own session: lookup and revoke together, one script.
      other.commands.length = 0;
      expect(await other.store.endSessionByTokenHash(third.tokenHash)).toEqual(third);
      expect(other.commands.map((c) => c[0])).toEqual(["EVALSHA"]);
      expect(await creator.store.findSessionByTokenHash(third.tokenHash)).toBeUndefined();
      expect(await v5.zRange(`${p}user:{rt-user}:sessions`, 0, -1)).toEqual([]);
      expect(await other.store.endSessionByTokenHash(third.tokenHash)).toBeUndefined();

      // Ending all of a user's sessions, or reading a JWT's revocation, is one command.
      other.commands.length = 0;
      await other.store.revokeUserSessions("rt-user");
      await other.store.jwtRevocation("rt-user", "j");
      expect(other.commands.map((c) => c[0])).toEqual(["EVALSHA", "MGET"]);
    });

    it.each([
      ["with nothing to escape (the scripts' fast path)", "alice-01"],
      ["with key separators", "a:b{c}%d"],
      ["that is only a percent sign", "%"],
      ["empty", ""],
      ["outside the BMP", "user-\u{1F600}-\u{10FFFF}"],
      ["non-ASCII in the BMP", "jörg-日本"],
    ])("builds in its scripts the same keys as in JavaScript for a user id %s", async (_label, userId) => {
      const creator = countingStore(v5, { prefix: p });
      const session = sampleSession(userId);
      await creator.store.createSession(session);
      const other = countingStore(v5, { prefix: p });
      expect(await other.store.findSessionByTokenHash(session.tokenHash)).toEqual(session);
      expect(await other.store.getSession(session.id)).toEqual(session);
      expect(other.commands.map((c) => c[0])).toEqual(["EVALSHA", "EVALSHA"]);
      expect(await other.store.revokeSession(session.id)).toBe(true);
      expect(await creator.store.listSessions(userId)).toEqual([]);
    });

    it("runs a script by EVAL when the server lost it (NOSCRIPT), and never retries on other errors", async () => {
      // A private server: SCRIPT FLUSH on the shared one would disturb other suites.
      const server = await startRedisServer();
      const own = await connectRedisV5(server.url);
      try {
        const { store, commands } = countingStore(own, { prefix: p });
        expect(await store.incrementCounter("noscript", 10_000)).toBe(1);
        expect(commands.map((c) => c[0])).toEqual(["EVALSHA", "EVAL"]);
        commands.length = 0;
        expect(await store.incrementCounter("noscript", 10_000)).toBe(2);
        expect(commands.map((c) => c[0])).toEqual(["EVALSHA"]);
        await own.sendCommand(["SCRIPT", "FLUSH"]);
        commands.length = 0;
        expect(await store.incrementCounter("noscript", 10_000)).toBe(3);
        expect(commands.map((c) => c[0])).toEqual(["EVALSHA", "EVAL"]);
      } finally {
        await own.close();
        await server.stop();
      }

      let calls = 0;
      const failing = new RedisSessionStore({ prefix: p, sendCommand: () => { calls += 1; return Promise.reject(new Error("READONLY You can't write against a read only replica.")); } });
      await expect(failing.incrementCounter("x", 1000)).rejects.toThrow(/READONLY/);
      expect(calls).toBe(1);
    });

    it("loads its scripts with SCRIPT LOAD under the SHA it uses", async () => {
      const { store, commands } = countingStore(v5, { prefix: p });
      await store.loadScripts();
      expect(commands.every((c) => c[0] === "SCRIPT" && c[1] === "LOAD")).toBe(true);
      commands.length = 0;
      await store.incrementCounter("loaded", 1000);
      expect(commands.map((c) => c[0])).toEqual(["EVALSHA"]);
    });

    it("refuses every call at once, sending nothing, while isReady answers false", async () => {
      let ready = false;
      const { store, commands } = countingStore(v5, { prefix: p, isReady: () => ready });
      await expect(store.getSession("x")).rejects.toThrow(/not ready/);
      await expect(store.revokeUserSessions("x")).rejects.toThrow(/not ready/);
      await expect(store.claim("x", 1000)).rejects.toThrow(/not ready/);
      expect(commands).toEqual([]);
      ready = true;
      expect(await store.getSession("x")).toBeUndefined();
    });

    it("turns a client that throws synchronously into a rejection", async () => {
      const store = new RedisSessionStore({ sendCommand: () => { throw new Error("boom"); } });
      await expect(store.revokeSession("x")).rejects.toThrow("boom");
    });
  });
});

describe("RedisSessionStore options", () => {
  const sendCommand = () => Promise.resolve(null);

  it("refuses a missing or non-function sendCommand with a TypeError that shows how to write one", () => {
    expect(() => new RedisSessionStore({} as never)).toThrow(/sendCommand.*client\.sendCommand\(args\)/);
    expect(() => new RedisSessionStore({ sendCommand: {} } as never)).toThrow(TypeError);
  });

  it("refuses a client passed where a function belongs, and names the fix", () => {
    expect(() => new RedisSessionStore({ client: {}, sendCommand } as never)).toThrow(/unsupported option `client`.*sendCommand: \(args\)/);
  });

  it("refuses a prefix with a brace, which would break the hash tags", () => {
    expect(() => new RedisSessionStore({ sendCommand, prefix: "app{1}:" })).toThrow(/prefix/);
  });

  it("refuses a negative or fractional routeCacheSize and a non-function isReady", () => {
    expect(() => new RedisSessionStore({ sendCommand, routeCacheSize: -1 })).toThrow(/routeCacheSize/);
    expect(() => new RedisSessionStore({ sendCommand, routeCacheSize: 1.5 })).toThrow(/routeCacheSize/);
    expect(() => new RedisSessionStore({ sendCommand, isReady: true } as never)).toThrow(/isReady/);
  });
});
