import { Cluster } from "ioredis";
import { createCluster } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisSessionStore, issueSession } from "../src/index.js";
import { describeSessionStoreConformance, sampleSession } from "../src/testing/index.js";
import { startRedisCluster, type RedisCluster } from "./helpers/redis-server.js";
import express from "express";
import request from "supertest";
import { connectRedisV5, testPrefix } from "./helpers/redis.js";
import { cookieOf, kratosApp } from "./helpers/kratos.js";
import { ADMIN_SECRET, TestDirectory, codeAt, rcLogin, rocketChatApp } from "./helpers/rocket-chat.js";
import { hasExecutable, needService } from "./helpers/services.js";

const tools = await needService("redis-server and redis-cli on the PATH (to start a Redis Cluster)", () => hasExecutable("redis-server") && hasExecutable("redis-cli"));

type ClusterClient = ReturnType<typeof createCluster>;

describe.skipIf(!tools)("RedisSessionStore on a 3-node Redis Cluster", () => {
  let cluster: RedisCluster;
  let client: ClusterClient;
  const prefix = testPrefix("cluster");

  beforeAll(async () => {
    cluster = await startRedisCluster(3);
    client = createCluster({
      rootNodes: cluster.rootNodes.map((n) => ({ url: n.url })),
      // Each node's client, as docs/redis.md tells hosts to configure it: no offline queue.
      defaults: { disableOfflineQueue: true, socket: { connectTimeout: 1_000 } },
    });
    client.on("error", () => undefined);
    await client.connect();
  });

  afterAll(async () => {
    await client.close();
    await cluster.stop();
  });

  const open = () => new RedisSessionStore({
    sendCommand: (args, { key }) => client.sendCommand(key, false, args),
    prefix,
    // The cluster client keeps a subscriber connection per shard of its own and routes SSUBSCRIBE by the
    // channel's slot, which is the user's slot.
    subscriber: {
      subscribe: (channel, onMessage) => client.sSubscribe(channel, onMessage),
      unsubscribe: (channel) => client.sUnsubscribe(channel),
      onReconnect: () => undefined,
    },
  });

  describeSessionStoreConformance("RedisSessionStore (redis v5 cluster)", { createStore: open, sharedBackend: true, capabilities: ["touch", "end-by-token", "end-by-id", "totp-attempt", "markers", "jwt-revocation", "step-up", "session-limit", "provider-links"] });

  it("keeps every key of a user in one slot, and each route in the slot of its own id", async () => {
    const store = open();
    const user = "cluster-user";
    const sessions = Array.from({ length: 6 }, () => sampleSession(user));
    for (const s of sessions) await store.createSession(s);
    await store.denyJwt(user, "jti", Date.now() + 60_000);
    await store.revokeJwtsIssuedBefore(user, Date.now(), Date.now() + 60_000);
    const slot = async (key: string) => Number(await client.sendCommand(undefined, true, ["CLUSTER", "KEYSLOT", key]));
    const base = `${prefix}user:{${user}}:`;
    const userKeys = [`${base}sessions`, `${base}jwt-cutoff`, `${base}jti:jti`, ...sessions.flatMap((s) => [`${base}session:${s.id}`, `${base}token:${s.tokenHash}`])];
    const userSlots = new Set(await Promise.all(userKeys.map(slot)));
    expect(userSlots.size).toBe(1);
    expect(await slot(`${prefix}route:session:{${sessions[0]!.id}}`)).toBe(await slot(sessions[0]!.id));
    expect(await slot(`${prefix}route:token:{${sessions[0]!.tokenHash}}`)).toBe(await slot(sessions[0]!.tokenHash));
    // The sessions' routes spread over the cluster rather than piling onto the user's node.
    const routeSlots = new Set(await Promise.all(sessions.map((s) => slot(`${prefix}route:session:{${s.id}}`))));
    expect(routeSlots.size).toBeGreaterThan(1);
    // Every key exists where the layout says, with a TTL.
    for (const key of userKeys) {
      expect(await client.sendCommand(key, false, ["PTTL", key]), key).toBeGreaterThan(0);
    }
    expect(await store.revokeUserSessions(user)).toBe(6);
  });

  it("ends a session looked up through another instance, across slots on different nodes", async () => {
    const a = open();
    const b = open();
    const session = sampleSession("cross-node-user");
    await a.createSession(session);
    expect(await b.findSessionByTokenHash(session.tokenHash)).toEqual(session);
    expect(await b.revokeSession(session.id)).toBe(true);
    expect(await a.findSessionByTokenHash(session.tokenHash)).toBeUndefined();
    expect(await a.listSessions("cross-node-user")).toEqual([]);
  });

  it("with `cluster: true`, reads a route first on an instance that does not know it (two round trips) and remembers it (one)", async () => {
    const commands: string[][] = [];
    const counted = (options: { routeCacheSize?: number } = {}) =>
      new RedisSessionStore({ ...options, cluster: true, prefix, sendCommand: (args, { key }) => { commands.push(args); return client.sendCommand(key, false, args); } });
    const a = counted();
    const session = sampleSession("cluster-round-trips");
    await a.createSession(session);
    const b = counted();
    commands.length = 0;
    expect(await b.findSessionByTokenHash(session.tokenHash)).toEqual(session);
    expect(commands.map((c) => c[0])).toEqual(["GET", "EVALSHA"]);
    commands.length = 0;
    // The lookup taught it the session id's route too: the revoke goes straight to the user's slot.
    expect(await b.revokeSession(session.id)).toBe(true);
    expect(commands.map((c) => c[0])).toEqual(["EVALSHA"]);
  });

  it("left at the default, switches to Cluster routing at the first cross-slot refusal, without a failed answer", async () => {
    const refusals: string[] = [];
    const store = new RedisSessionStore({
      prefix,
      sendCommand: async (args, { key }) => {
        try {
          return await client.sendCommand(key, false, args);
        } catch (error) {
          // A node's first sight of a script (NOSCRIPT) is not a refusal: the store sends it by EVAL then.
          if (!String(error).includes("NOSCRIPT")) refusals.push(String(error));
          throw error;
        }
      },
    });
    // Enough users that some live on another node than their routes.
    const sessions = Array.from({ length: 12 }, (_, i) => sampleSession(`switch-user-${i}`));
    for (const s of sessions) await store.createSession(s);
    for (const s of sessions) expect(await store.findSessionByTokenHash(s.tokenHash)).toEqual(s);
    for (const s of sessions) expect(await store.revokeSession(s.id)).toBe(true);
    // Exactly one refusal (with 36 lookups over 3 nodes, some route lives on another node than its user's
    // keys): after it, the store reads routes first.
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toMatch(/non local key|same slot|CROSSSLOT/i);
  });

  describe("round trips of the Kratos and Rocket.Chat logouts, counted at the client", () => {
    const commands: string[][] = [];
    const counted = (options: { routeCacheSize?: number } = {}) =>
      new RedisSessionStore({ ...options, cluster: true, prefix, sendCommand: (args, { key }) => { commands.push(args); return client.sendCommand(key, false, args); } });

    beforeAll(async () => {
      // Every node learns every script first: a node's first NOSCRIPT is not a round trip of the request.
      for (const node of cluster.nodes) {
        const direct = await connectRedisV5(node.url);
        await new RedisSessionStore({ sendCommand: (args) => direct.sendCommand(args) }).loadScripts();
        await direct.close();
      }
    });

    // The marker that lets a native logout answer 204 for a revoked token lives in its own slot, not the user's:
    // on a Cluster it is claimed by a SET NX of its own before the ending script (so no session ends without it),
    // for the least time, and its life is extended to the session's by a PEXPIRE after it (only the ending tells
    // when the session would have expired). Without a route cache, the token's route is read first.
    it.each([
      ["that opened the session", {}, ["SET", "EVALSHA", "PEXPIRE"]],
      ["that never saw it, without a route cache", { routeCacheSize: 0 }, ["SET", "GET", "EVALSHA", "PEXPIRE"]],
    ] as const)("Kratos browser logout on the instance %s", async (_which, options, expected) => {
      const minting = counted();
      const store = "routeCacheSize" in options ? counted(options) : minting;
      const { token, session } = await issueSession(minting, { userId: `cluster-kratos-${String(expected.length)}` });
      const { app, flow } = kratosApp(express, store);
      commands.length = 0;
      await request(app).get(`/self-service/logout?token=${flow.logoutToken(session)}`).set("Cookie", cookieOf(token)).set("Accept", "application/json").expect(204);
      expect(commands.map((c) => c[0])).toEqual(expected);
      expect(await open().getSession(session.id)).toBeUndefined();
      expect(await open().isClaimed(`logout:revoked:${session.tokenHash}`)).toBe(true);
    });

    // Claimed apart for a least ttl shorter than the ending's round trip, the marker may be gone when the ending
    // answers: PEXPIRE then extends nothing, and the marker is set again for the rest of the session's life.
    it("keeps the marker of an ending whose least ttl ran out before the ending answered", async () => {
      const slow = new RedisSessionStore({
        cluster: true,
        prefix,
        sendCommand: async (args, { key }) => {
          commands.push(args);
          const reply = await client.sendCommand(key, false, args);
          if (args[0] === "EVALSHA") await new Promise((resolve) => setTimeout(resolve, 20));
          return reply;
        },
      });
      const session = { ...sampleSession("cluster-slow-ending"), expiresAt: Date.now() + 60_000 };
      await slow.createSession(session);
      const marker = { key: `slow-ending:${session.tokenHash}`, ttlMs: 1 };
      commands.length = 0;
      expect(await slow.endSessionByTokenHash(session.tokenHash, { marker })).toEqual(session);
      expect(commands.map((c) => c[0])).toEqual(["SET", "EVALSHA", "PEXPIRE", "SET"]);
      expect(await open().isClaimed(marker.key)).toBe(true);
      expect(await open().claim(marker.key, 60_000)).toBe(false);
    });

    // The TOTP keys and the admin's session record share the user's hash tag, so the step-up rides in the attempt's
    // script on a Cluster too. Without a route cache, the caller's and the target's routes are each read first.
    it.each([
      ["that opened the sessions", {}, ["EVALSHA", "EVALSHA", "EVALSHA"]],
      ["that never saw them, without a route cache", { routeCacheSize: 0 }, ["GET", "EVALSHA", "EVALSHA", "GET", "EVALSHA"]],
    ] as const)("Rocket.Chat admin logout on the instance %s", async (_which, options, expected) => {
      const minting = counted();
      const store = "routeCacheSize" in options ? counted(options) : minting;
      const users = new TestDirectory();
      const adminId = `cluster-admin-${String(expected.length)}`;
      users.add({ id: adminId, username: adminId }, ["logout-device-management"], ADMIN_SECRET);
      const admin = await rcLogin(minting, adminId);
      const { session: target } = await issueSession(minting, { userId: "alice" });
      commands.length = 0;
      const res = await request(rocketChatApp(express, { store, users })).post("/api/v1/sessions/logout").set(admin.headers).set("x-2fa-code", await codeAt(ADMIN_SECRET)).send({ sessionId: target.id });
      expect(res.status).toBe(200);
      expect(commands.map((c) => c[0])).toEqual(expected);
      expect(await open().getSession(target.id)).toBeUndefined();
      expect((await open().getSession(admin.session.id))?.amr).toEqual(["totp"]);
    });
  });

  it("ends a session by id with its marker when left at the default, switching to Cluster routing without a partial write", async () => {
    const store = new RedisSessionStore({ prefix, sendCommand: (args, { key }) => client.sendCommand(key, false, args) });
    // Enough users that some marker keys live on another node than their users' keys.
    for (let i = 0; i < 12; i++) {
      const session = sampleSession(`marker-switch-${String(i)}`);
      await store.createSession(session);
      const marker = { key: `logout:revoked:${session.tokenHash}`, ttlMs: 60_000 };
      expect(await store.endSessionById(session.id, { userId: session.userId, marker })).toEqual(session);
      expect(await store.getSession(session.id)).toBeUndefined();
      expect(await store.isClaimed(marker.key)).toBe(true);
    }
  });

  it("works through an ioredis Cluster client too, which finds each command's keys itself", async () => {
    const io = new Cluster(cluster.rootNodes.map((n) => ({ host: "127.0.0.1", port: Number(new URL(n.url).port) })), {
      enableOfflineQueue: false,
      redisOptions: { maxRetriesPerRequest: 1 },
    });
    io.on("error", () => undefined);
    await new Promise<void>((resolve, reject) => {
      io.once("ready", resolve);
      io.once("error", reject);
    });
    try {
      const viaIo = new RedisSessionStore({ sendCommand: (args) => io.call(args[0]!, ...args.slice(1)), prefix });
      const viaV5 = open();
      const user = "ioredis-cluster-user";
      const sessions = [sampleSession(user), sampleSession(user)];
      for (const s of sessions) await viaIo.createSession(s);
      expect(await viaV5.findSessionByTokenHash(sessions[0]!.tokenHash)).toEqual(sessions[0]);
      expect(await viaIo.findSessionByTokenHash(sessions[1]!.tokenHash)).toEqual(sessions[1]);
      expect(await viaIo.revokeSession(sessions[0]!.id)).toBe(true);
      expect(await viaIo.jwtRevocation(user, "j")).toEqual({ denied: false, issuedBefore: undefined });
      expect(await viaIo.revokeUserSessions(user)).toBe(1);
      expect(await viaV5.listSessions(user)).toEqual([]);
    } finally {
      io.disconnect();
    }
  });
});
