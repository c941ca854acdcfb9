import request from "supertest";
import express from "express";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { RedisSessionStore, issueSession, requireSession } from "../src/index.js";
import { keyPart } from "../src/store/redis.js";
import { needService, portOpen } from "./helpers/services.js";
import { connectRedisV5, countingStore, deleteKeys, testPrefix, type RedisV5Client } from "./helpers/redis.js";

const REDIS_URL = "redis://127.0.0.1:6379";
const redis = await needService("Redis on 127.0.0.1:6379", () => portOpen(6379));
const MINUTE = 60_000;
const T0 = Date.UTC(2031, 0, 1, 9, 0, 0);
const clock = (minutes: number) => {
  vi.setSystemTime(T0 + minutes * MINUTE);
};

describe.skipIf(!redis)("RedisSessionStore: the key TTL follows the session's deadline", () => {
  let v5: RedisV5Client;
  const prefix = testPrefix("lifetime");
  const store = () => new RedisSessionStore({ sendCommand: (args) => v5.sendCommand(args), prefix, isReady: () => v5.isReady });
  const keysOf = (userId: string, sessionId: string, tokenHash: string) => {
    const base = `${prefix}user:{${keyPart(userId)}}:`;
    return { record: `${base}session:${keyPart(sessionId)}`, token: `${base}token:${keyPart(tokenHash)}`, index: `${base}sessions`, route: `${prefix}route:session:{${keyPart(sessionId)}}` };
  };
  /** PTTL in ms, within a second of `expected` (Redis counts on its own clock while the test's is fake). */
  async function expectTtl(key: string, expected: number): Promise<void> {
    const ttl = await v5.pTTL(key);
    expect(ttl).toBeGreaterThan(expected - 1_500);
    expect(ttl).toBeLessThanOrEqual(expected);
  }

  beforeAll(async () => {
    v5 = await connectRedisV5(REDIS_URL);
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  afterAll(async () => {
    await deleteKeys(v5, prefix);
    await v5.close();
  });

  it("sets the record's TTL to the idle deadline, moves it with each touch, and caps it at the absolute expiry", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    clock(0);
    const s = store();
    const { session } = await issueSession(s, { userId: `u-${prefix}`, lifetimeMs: 60 * MINUTE, idleTimeoutMs: 10 * MINUTE });
    const k = keysOf(session.userId, session.id, session.tokenHash);
    await expectTtl(k.record, 10 * MINUTE);
    await expectTtl(k.token, 10 * MINUTE);
    // The route names the user for the whole lifetime: a touch never has to extend it.
    await expectTtl(k.route, 60 * MINUTE);
    expect(await v5.zScore(k.index, keyPart(session.id))).toBe(T0 + 10 * MINUTE);

    clock(6);
    await s.touchSession(session.id, T0 + 6 * MINUTE);
    await expectTtl(k.record, 10 * MINUTE);
    await expectTtl(k.token, 10 * MINUTE);
    expect(await v5.zScore(k.index, keyPart(session.id))).toBe(T0 + 16 * MINUTE);

    for (const minute of [14, 22, 30, 38, 46, 54]) {
      clock(minute);
      await s.touchSession(session.id, T0 + minute * MINUTE);
    }
    // At minute 54 the idle deadline would be 64; the absolute expiry, 60, caps it.
    await expectTtl(k.record, 6 * MINUTE);
    await expectTtl(k.token, 6 * MINUTE);
    expect(await v5.zScore(k.index, keyPart(session.id))).toBe(T0 + 60 * MINUTE);
    clock(60);
    expect(await s.getSession(session.id)).toBeUndefined();
    expect(await s.findSessionByTokenHash(session.tokenHash)).toBeUndefined();
  });

  it("leaves the TTL of a session without an idle timeout at its absolute expiry when it is touched", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    clock(0);
    const s = store();
    const { session } = await issueSession(s, { userId: `plain-${prefix}`, lifetimeMs: 30 * MINUTE });
    const k = keysOf(session.userId, session.id, session.tokenHash);
    clock(10);
    await s.touchSession(session.id, T0 + 10 * MINUTE);
    // Redis's own clock did not move with the test's: the TTL is still the one set at the login.
    await expectTtl(k.record, 30 * MINUTE);
    expect((await s.getSession(session.id))?.lastSeenAt).toBe(T0 + 10 * MINUTE);
  });

  it("lets Redis free an idle session's keys by itself, with no read and no scan", async () => {
    const s = store();
    const { session } = await issueSession(s, { userId: `free-${prefix}`, lifetimeMs: 60 * MINUTE, idleTimeoutMs: 300 });
    const k = keysOf(session.userId, session.id, session.tokenHash);
    expect(await v5.exists([k.record, k.token])).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await v5.exists([k.record, k.token])).toBe(0);
  });

  it("touches with one script in the user's slot, the same round trip as before an idle timeout existed", async () => {
    const { store: s, commands } = countingStore(v5, { prefix });
    const { session } = await issueSession(s, { userId: `count-${prefix}`, idleTimeoutMs: 10 * MINUTE });
    commands.length = 0;
    await s.touchSession(session.id, Date.now());
    expect(commands.map((c) => c[0])).toEqual(["EVALSHA"]);
  });

  it("sees activity recorded through one instance on another: the idle deadline moved for both", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    clock(0);
    const a = store();
    const b = store();
    const appA = express().get("/private", requireSession({ store: a }), (_req, res) => res.json({ ok: true }));
    const appB = express().get("/private", requireSession({ store: b }), (_req, res) => res.json({ ok: true }));
    const { token } = await issueSession(a, { userId: `shared-${prefix}`, lifetimeMs: 60 * MINUTE, idleTimeoutMs: 10 * MINUTE });
    await request(appB).get("/private").set("Authorization", `Bearer ${token}`).expect(200);
    for (const minute of [8, 16, 24]) {
      clock(minute);
      await request(appA).get("/private").set("Authorization", `Bearer ${token}`).expect(200);
    }
    clock(33);
    await request(appB).get("/private").set("Authorization", `Bearer ${token}`).expect(200);
    clock(44);
    await request(appA).get("/private").set("Authorization", `Bearer ${token}`).expect(401);
    await request(appB).get("/private").set("Authorization", `Bearer ${token}`).expect(401);
  });
});
