/**
 * The TOTP throttle was a fixed window aligned to the clock, with no escalation. Ten guesses were checked in
 * 3.2 s across a window boundary (five at the end of one window, five at the start of the next), a lock-out
 * started a second before a boundary lasted one second, and a guesser kept 60 guesses an hour, 1,440 a day: about
 * 12 % a month to find an administrator's code. And a store call that failed after the attempt was counted used
 * up one of the administrator's tries. Now a lock-out lasts `failureWindowMs` from the failure that started it,
 * on every instance; failures count over the current and the previous window, so no burst across a boundary
 * gets more than `maxFailures` codes checked; after `maxLockoutsPerDay` lock-outs the user waits for the next UTC
 * day; and a right code that met a failing store is taken back. Two app instances share one store here, on the
 * memory store and on real Redis, with a fake clock placed at a window boundary.
 */
import { randomUUID } from "node:crypto";
import type { Express } from "express";
import express from "express";
import request from "supertest";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { LogoutEvents, MemorySessionStore, RedisSessionStore, issueSession, requireSession, requireTotp, allStoreMethods, type CompleteSessionStore } from "../../src/index.js";
import { ADMIN_SECRET, TestDirectory, codeAt, wrongCode } from "../helpers/rocket-chat.js";
import { connectRedisV5, deleteKeys, testPrefix, type RedisV5Client } from "../helpers/redis.js";
import { needService, portOpen } from "../helpers/services.js";

const redisUp = await needService("Redis on 127.0.0.1:6379", () => portOpen(6379));
const DAY_MS = 24 * 60 * 60 * 1000;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface Backend {
  readonly name: string;
  /** Two stores over one backend: what two app instances would each open. */
  readonly open: () => Promise<[CompleteSessionStore, CompleteSessionStore]>;
  /** Lets the backend's own clock pass `ms` as well (Redis keeps TTLs on its own clock). */
  readonly pass: (ms: number) => Promise<void>;
}

let client: RedisV5Client | undefined;
const prefix = testPrefix("totp-boundary");

const backends: Backend[] = [
  {
    name: "the memory store",
    open: () => {
      const store = new MemorySessionStore();
      return Promise.resolve([store, store]);
    },
    pass: () => Promise.resolve(),
  },
  {
    name: "real Redis",
    open: () => {
      const send = (args: string[]) => client!.sendCommand(args);
      return Promise.resolve([new RedisSessionStore({ sendCommand: send, prefix }), new RedisSessionStore({ sendCommand: send, prefix, routeCacheSize: 0 })]);
    },
    pass: sleep,
  },
];

beforeAll(async () => {
  if (redisUp) client = await connectRedisV5("redis://127.0.0.1:6379");
});

afterAll(async () => {
  if (client !== undefined) {
    await deleteKeys(client, prefix);
    await client.close();
  }
});

describe.each(backends)("TOTP throttling on two instances over $name", (backend) => {
  // Short windows keep the Redis TTLs (on Redis' own clock) within a test's time.
  const windowMs = 2_000;
  let users: TestDirectory;
  let one: Express;
  let two: Express;
  let token: string;

  beforeEach(async (context) => {
    if (backend.name === "real Redis" && !redisUp) context.skip();
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(atBoundary(-1_000));
    // A fresh user per test: Redis keys outlive a test.
    const userId = `admin-${randomUUID()}`;
    users = new TestDirectory();
    users.add({ id: userId, username: userId }, ["logout-device-management"], ADMIN_SECRET);
    const [storeOne, storeTwo] = await backend.open();
    const app = (store: CompleteSessionStore, totp: Partial<Parameters<typeof requireTotp>[0]> = {}) => {
      const events = new LogoutEvents();
      const a = express();
      a.post("/step-up", requireSession({ store, events }), requireTotp({ store, users, events, failureWindowMs: windowMs, ...totp }), (_req, res) => { res.send("passed"); });
      return a;
    };
    one = app(storeOne);
    two = app(storeTwo);
    ({ token } = await issueSession(storeOne, { userId }));
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  /** A time 30 s into a TOTP step, `offset` ms from a boundary of the throttling window. */
  function atBoundary(offset: number): number {
    const boundary = (Math.floor(1_800_000_000_000 / 30_000) * 30_000) + 15_000;
    return Math.ceil(boundary / windowMs) * windowMs + offset;
  }

  const send = (app: Express, code: string) => request(app).post("/step-up").set("Authorization", `Bearer ${token}`).set("x-2fa-code", code);

  it("checks no more than maxFailures codes in a burst across a window boundary, split over both instances", async () => {
    vi.setSystemTime(atBoundary(-400));
    const wrong = await wrongCode(ADMIN_SECRET);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await send(i % 2 === 0 ? one : two, wrong)).status);
    vi.setSystemTime(atBoundary(400));
    for (let i = 0; i < 6; i++) statuses.push((await send(i % 2 === 0 ? two : one, wrong)).status);
    expect(statuses).toEqual([400, 400, 400, 400, 400, 429, 429, 429, 429, 429]);
    // The lock-out holds for a right code too, on both instances.
    expect((await send(one, await codeAt(ADMIN_SECRET))).status).toBe(429);
    expect((await send(two, await codeAt(ADMIN_SECRET))).status).toBe(429);
  });

  it("keeps a lock-out started just before a boundary for failureWindowMs from that failure, on the other instance too", async () => {
    vi.setSystemTime(atBoundary(-100));
    const wrong = await wrongCode(ADMIN_SECRET);
    for (let i = 0; i < 5; i++) expect((await send(one, wrong)).status).toBe(400);
    const triggeredAt = Date.now();
    vi.setSystemTime(atBoundary(200));
    const locked = await send(two, await codeAt(ADMIN_SECRET));
    expect(locked.status).toBe(429);
    expect(Number(locked.headers["retry-after"])).toBeGreaterThan(0);
    // Most of the lock-out later, in the next window: still locked.
    await backend.pass(windowMs - 600);
    vi.setSystemTime(triggeredAt + windowMs - 300);
    expect((await send(two, await codeAt(ADMIN_SECRET))).status).toBe(429);
    // Once failureWindowMs has passed since the fifth failure, a right code goes through, on either instance.
    await backend.pass(800);
    vi.setSystemTime(triggeredAt + windowMs + 500);
    expect((await send(one, await codeAt(ADMIN_SECRET))).status).toBe(200);
  });

  it("does not count the failures a lock-out punished again once it is over", async () => {
    vi.setSystemTime(atBoundary(-100));
    const wrong = await wrongCode(ADMIN_SECRET);
    for (let i = 0; i < 5; i++) expect((await send(one, wrong)).status).toBe(400);
    await backend.pass(windowMs + 200);
    vi.setSystemTime(atBoundary(-100) + windowMs + 200);
    // A fresh allowance of wrong codes, with the punished window still the previous one.
    for (let i = 0; i < 4; i++) expect((await send(i % 2 === 0 ? two : one, wrong)).status).toBe(400);
    expect((await send(two, await codeAt(ADMIN_SECRET))).status).toBe(200);
  });
});

describe("TOTP escalation and store failures (memory store, fake clock)", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  async function setup(store: CompleteSessionStore, totp: Partial<Parameters<typeof requireTotp>[0]> = {}) {
    const users = new TestDirectory();
    const events = new LogoutEvents();
    const app = express();
    app.post("/step-up", requireSession({ store, events }), requireTotp({ store, users, events, ...totp }), (_req, res) => { res.send("passed"); });
    const { token } = await issueSession(store, { userId: "admin" });
    return (code: string) => request(app).post("/step-up").set("Authorization", `Bearer ${token}`).set("x-2fa-code", code);
  }

  it("refuses every attempt until the UTC day ends after maxLockoutsPerDay lock-outs, keeping a month of guessing to about 310 codes", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const dayStart = Math.ceil(1_800_000_000_000 / DAY_MS) * DAY_MS;
    vi.setSystemTime(dayStart + 60 * 60 * 1000);
    const store = new MemorySessionStore();
    const send = await setup(store);
    let checked = 0;
    // A patient guesser: five wrong codes, then waits out the lock-out, again and again, for a whole day.
    for (let t = Date.now(); t < dayStart + DAY_MS; t += 5 * 60 * 1000 + 1_000) {
      vi.setSystemTime(t);
      const wrong = await wrongCode(ADMIN_SECRET);
      for (let i = 0; i < 6; i++) {
        const res = await send(wrong);
        if (res.status !== 400) {
          expect(res.status).toBe(429);
          break;
        }
        checked++;
      }
    }
    expect(checked).toBe(10);
    vi.setSystemTime(dayStart + DAY_MS - 1_000);
    const blocked = await send(await codeAt(ADMIN_SECRET));
    expect(blocked.status).toBe(429);
    expect(blocked.headers["retry-after"]).toBe("1");
    vi.setSystemTime(dayStart + DAY_MS + 5 * 60 * 1000 + 1_000);
    expect((await send(await codeAt(ADMIN_SECRET))).status).toBe(200);
    store.close();
  });

  it("does not count an attempt whose right code met a failing store: the user keeps every try", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(1_800_000_015_000);
    const base = new MemorySessionStore();
    let claimFails = true;
    const flaky = {} as Record<string, unknown>;
    for (const name of allStoreMethods) flaky[name] = (base as unknown as Record<string, (...a: unknown[]) => unknown>)[name]!.bind(base);
    flaky.claim = (key: string, ttl: number) => (claimFails ? Promise.reject(new Error("connection reset")) : base.claim(key, ttl));
    const send = await setup(flaky as unknown as CompleteSessionStore, { maxFailures: 2 });
    for (let i = 0; i < 5; i++) expect((await send(await codeAt(ADMIN_SECRET))).status).toBe(503);
    claimFails = false;
    await new Promise((resolve) => setImmediate(resolve));
    // Both wrong codes of the allowance are still there, and then the right code.
    const wrong = await wrongCode(ADMIN_SECRET);
    expect((await send(wrong)).status).toBe(400);
    expect((await send(await codeAt(ADMIN_SECRET))).status).toBe(200);
    base.close();
  });

  it("refuses a maxLockoutsPerDay that is not a positive whole number at setup", () => {
    const store = new MemorySessionStore();
    const users = new TestDirectory();
    expect(() => requireTotp({ store, users, maxLockoutsPerDay: 0 })).toThrow(/maxLockoutsPerDay/);
    expect(() => requireTotp({ store, users, maxLockoutsPerDay: 1.5 })).toThrow(/maxLockoutsPerDay/);
    store.close();
  });
});
