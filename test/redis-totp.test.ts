import express, { type Express } from "express";
import request from "supertest";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { DEFAULT_TOTP_FAILURE_WINDOW_MS, DEFAULT_TOTP_MAX_FAILURES, issueSession, requireSession, requireTotp, type RedisSessionStore, type RequireTotpOptions } from "../src/index.js";
import { connectRedisV5, countingStore, deleteKeys, scanKeys, testPrefix, type RedisV5Client } from "./helpers/redis.js";
import { ADMIN_SECRET, TestDirectory, codeAt, wrongCode } from "./helpers/rocket-chat.js";
import { needService, portOpen } from "./helpers/services.js";

// A TOTP attempt on Redis is one script (`attemptTotp`): the throttle's rules run atomically in one round trip.
// These are the throttle's rules as the memory store's tests state them, on a real Redis and across instances.
// Every time the script reckons with is the app's clock, so the fake clock moves the lock-outs too.

const redis = await needService("Redis on 127.0.0.1:6379", () => portOpen(6379));

type TotpOptions = Partial<Omit<RequireTotpOptions, "store" | "users">>;

function stepUpApp(store: RedisSessionStore, users: TestDirectory, totp: TotpOptions = {}): Express {
  const app = express();
  app.post("/step-up", requireSession({ store }), requireTotp({ store, users, ...totp }), (_req, res) => {
    res.json({ ok: true });
  });
  return app;
}

describe.skipIf(!redis)("requireTotp on RedisSessionStore: one script per attempt", () => {
  let client: RedisV5Client;
  const prefix = testPrefix("totp");
  let users: TestDirectory;
  let run = 0;

  beforeAll(async () => {
    client = await connectRedisV5("redis://127.0.0.1:6379");
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  afterAll(async () => {
    await deleteKeys(client, prefix);
    await client.close();
  });

  /** Two instances sharing the Redis, each counting its commands, and a user of this test alone. */
  async function setup(at: number) {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(at);
    users = new TestDirectory();
    const userId = `admin-${String(++run)}`;
    users.add({ id: userId, username: userId }, [], ADMIN_SECRET);
    const one = countingStore(client, { prefix });
    const two = countingStore(client, { prefix });
    const { token } = await issueSession(one.store, { userId });
    return { one, two, userId, auth: { Authorization: `Bearer ${token}` } };
  }

  const totpKeys = async (userId: string) => (await scanKeys(client, prefix)).filter((k) => k.includes(`totp:{${userId}}`));

  it("costs one round trip per attempt, right or wrong, beside the session lookup: a pass records the step-up in it", async () => {
    const { one, two, userId, auth } = await setup(1_700_000_000_000);
    const [session] = await two.store.listSessions(userId);
    const app = stepUpApp(one.store, users);
    one.commands.length = 0;
    expect((await request(app).post("/step-up").set(auth).set("x-2fa-code", await wrongCode(ADMIN_SECRET))).status).toBe(400);
    // The session lookup, then the attempt; a wrong code records no step-up.
    expect(one.commands.map((c) => c[0])).toEqual(["EVALSHA", "EVALSHA"]);
    expect(await two.store.getSession(session!.id)).toEqual(session);
    one.commands.length = 0;
    vi.setSystemTime(1_700_000_030_000);
    expect((await request(app).post("/step-up").set(auth).set("x-2fa-code", await codeAt(ADMIN_SECRET))).status).toBe(200);
    // The lookup, then the attempt, which spent the code and recorded the step-up on the session together.
    expect(one.commands.map((c) => c[0])).toEqual(["EVALSHA", "EVALSHA"]);
    expect(await two.store.getSession(session!.id)).toEqual({ ...session, authenticatedAt: 1_700_000_030_000, amr: ["totp"] });
  });

  it("spends a right code of a session that ended meanwhile without making it fresh: 401, and the code is used", async () => {
    const { one, two, userId, auth } = await setup(1_700_000_000_000);
    const [session] = await two.store.listSessions(userId);
    // The session ends between the lookup and the attempt: requireTotp is handed a caller whose record is gone.
    const app = express();
    app.post("/step-up", requireSession({ store: one.store }), (_req, _res, next) => { void two.store.revokeSession(session!.id).then(() => { next(); }); }, requireTotp({ store: one.store, users }), (_req, res) => {
      res.json({ ok: true });
    });
    const code = await codeAt(ADMIN_SECRET);
    expect((await request(app).post("/step-up").set(auth).set("x-2fa-code", code)).status).toBe(401);
    expect(await two.store.getSession(session!.id)).toBeUndefined();
    expect((await totpKeys(userId)).filter((k) => k.includes(":step:")).length).toBeGreaterThan(0);
  });

  it(`locks out after ${String(DEFAULT_TOTP_MAX_FAILURES)} wrong codes for failureWindowMs from the last one, a right code too, on every instance`, async () => {
    const windowStart = Math.ceil(1_700_000_000_000 / DEFAULT_TOTP_FAILURE_WINDOW_MS) * DEFAULT_TOTP_FAILURE_WINDOW_MS;
    const { one, two, userId, auth } = await setup(windowStart + 60_000);
    const a = stepUpApp(one.store, users);
    const b = stepUpApp(two.store, users);
    const wrong = await wrongCode(ADMIN_SECRET);
    const statuses: number[] = [];
    for (let i = 0; i < DEFAULT_TOTP_MAX_FAILURES; i++) statuses.push((await request(i % 2 === 0 ? a : b).post("/step-up").set(auth).set("x-2fa-code", wrong)).status);
    expect(statuses).toEqual(Array(DEFAULT_TOTP_MAX_FAILURES).fill(400));
    const locked = await request(b).post("/step-up").set(auth).set("x-2fa-code", await codeAt(ADMIN_SECRET));
    expect(locked.status).toBe(429);
    expect(locked.headers["retry-after"]).toBe(String(DEFAULT_TOTP_FAILURE_WINDOW_MS / 1000));
    // The right code was not spent: no step marker exists.
    expect((await totpKeys(userId)).filter((k) => k.includes(":step:"))).toEqual([]);
    vi.setSystemTime(windowStart + 60_000 + DEFAULT_TOTP_FAILURE_WINDOW_MS - 1_000);
    const stillLocked = await request(a).post("/step-up").set(auth).set("x-2fa-code", await codeAt(ADMIN_SECRET));
    expect(stillLocked.status).toBe(429);
    expect(stillLocked.headers["retry-after"]).toBe("1");
    vi.setSystemTime(windowStart + 60_000 + DEFAULT_TOTP_FAILURE_WINDOW_MS);
    expect((await request(a).post("/step-up").set(auth).set("x-2fa-code", await codeAt(ADMIN_SECRET))).status).toBe(200);
  });

  it("lets no more than maxFailures codes of a parallel burst across two instances be checked", async () => {
    const { one, two, auth } = await setup(1_700_000_000_000);
    const apps = [stepUpApp(one.store, users), stepUpApp(two.store, users)];
    const wrong = await wrongCode(ADMIN_SECRET);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => request(apps[i % 2]!).post("/step-up").set(auth).set("x-2fa-code", wrong)));
    expect(results.filter((r) => r.status === 400)).toHaveLength(DEFAULT_TOTP_MAX_FAILURES);
    expect(results.filter((r) => r.status === 429)).toHaveLength(20 - DEFAULT_TOTP_MAX_FAILURES);
  });

  it("accepts a code once across instances: the replay is a failure, and right codes are not", async () => {
    const { one, two, auth } = await setup(1_700_000_000_000);
    const a = stepUpApp(one.store, users, { maxFailures: 2 });
    const b = stepUpApp(two.store, users, { maxFailures: 2 });
    const code = await codeAt(ADMIN_SECRET);
    expect((await request(a).post("/step-up").set(auth).set("x-2fa-code", code)).status).toBe(200);
    const replay = await request(b).post("/step-up").set(auth).set("x-2fa-code", code);
    expect(replay.status).toBe(400);
    expect(JSON.stringify(replay.body)).toMatch(/already used/);
    vi.setSystemTime(1_700_000_030_000);
    expect((await request(b).post("/step-up").set(auth).set("x-2fa-code", await codeAt(ADMIN_SECRET))).status).toBe(200);
    // One failure so far (the replay): one more wrong code reaches maxFailures and locks out.
    expect((await request(a).post("/step-up").set(auth).set("x-2fa-code", await wrongCode(ADMIN_SECRET))).status).toBe(400);
    vi.setSystemTime(1_700_000_060_000);
    expect((await request(b).post("/step-up").set(auth).set("x-2fa-code", await codeAt(ADMIN_SECRET))).status).toBe(429);
  });

  it("refuses every attempt for the rest of the UTC day after maxLockoutsPerDay lock-outs", async () => {
    const day = 86_400_000;
    const dayStart = Math.ceil(1_700_000_000_000 / day) * day;
    const { one, auth } = await setup(dayStart + 1_000);
    const app = stepUpApp(one.store, users, { maxFailures: 1, maxLockoutsPerDay: 2, failureWindowMs: 60_000 });
    for (let lockout = 0; lockout < 2; lockout++) {
      vi.setSystemTime(dayStart + 1_000 + lockout * 120_000);
      expect((await request(app).post("/step-up").set(auth).set("x-2fa-code", await wrongCode(ADMIN_SECRET))).status).toBe(400);
    }
    vi.setSystemTime(dayStart + 1_000 + 240_000);
    const capped = await request(app).post("/step-up").set(auth).set("x-2fa-code", await codeAt(ADMIN_SECRET));
    expect(capped.status).toBe(429);
    expect(Number(capped.headers["retry-after"])).toBe(Math.ceil((day - 241_000) / 1000));
    vi.setSystemTime(dayStart + day);
    expect((await request(app).post("/step-up").set(auth).set("x-2fa-code", await codeAt(ADMIN_SECRET))).status).toBe(200);
  });

  it("refuses a malformed code or another method as a counted failure, before any code is looked up", async () => {
    const { one, userId, auth } = await setup(1_700_000_000_000);
    const app = stepUpApp(one.store, users, { maxFailures: 2 });
    expect((await request(app).post("/step-up").set(auth).set("x-2fa-code", "12345")).status).toBe(400);
    expect((await request(app).post("/step-up").set(auth).set("x-2fa-code", await codeAt(ADMIN_SECRET)).set("x-2fa-method", "email")).status).toBe(400);
    expect((await totpKeys(userId)).filter((k) => k.includes(":step:"))).toEqual([]);
    vi.setSystemTime(1_700_000_030_000);
    expect((await request(app).post("/step-up").set(auth).set("x-2fa-code", await codeAt(ADMIN_SECRET))).status).toBe(429);
  });
});
