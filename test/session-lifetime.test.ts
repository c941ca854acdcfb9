import request from "supertest";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  DEFAULT_SESSION_LIFETIME_MS,
  DEFAULT_TOUCH_EVERY_MS,
  MemorySessionStore,
  getAuthentication,
  idleExpiresAt,
  issueSession,
  recordActivity,
  requireSession,
  sessionEndsAt,
  touchInterval,
  whoAmI,
  type SessionStore,
} from "../src/index.js";
import { expressVersions, type ExpressFactory } from "./helpers/express.js";
import { RecordingStore } from "./helpers/store.js";

const MINUTE = 60_000;
const T0 = Date.UTC(2031, 0, 1, 9, 0, 0);

function startClock(): void {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(T0);
}
const clock = (minutes: number) => {
  vi.setSystemTime(T0 + minutes * MINUTE);
};

function protectedApp(express: ExpressFactory, store: SessionStore, touchEveryMs?: number) {
  const app = express();
  app.get("/private", requireSession({ store, ...(touchEveryMs === undefined ? {} : { touchEveryMs }) }), (req, res) => {
    res.json({ sessionId: getAuthentication(req)?.session.id });
  });
  return app;
}

describe("issueSession lifetime options", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("gives a session an absolute expiry (24 h by default), an optional idle timeout and its login as authenticatedAt", async () => {
    startClock();
    const store = new MemorySessionStore();
    const plain = await issueSession(store, { userId: "alice" });
    expect(plain.session).toMatchObject({ createdAt: T0, lastSeenAt: T0, authenticatedAt: T0, expiresAt: T0 + DEFAULT_SESSION_LIFETIME_MS });
    expect(plain.session.idleTimeoutMs).toBeUndefined();
    expect(idleExpiresAt(plain.session)).toBeUndefined();

    const idle = await issueSession(store, { userId: "alice", lifetimeMs: 8 * 60 * MINUTE, idleTimeoutMs: 30 * MINUTE, method: "password" });
    expect(idle.session).toMatchObject({ expiresAt: T0 + 8 * 60 * MINUTE, idleTimeoutMs: 30 * MINUTE, amr: ["password"] });
    expect(idleExpiresAt(idle.session)).toBe(T0 + 30 * MINUTE);
    expect(sessionEndsAt(idle.session)).toBe(T0 + 30 * MINUTE);
    expect(await store.getSession(idle.session.id)).toEqual(idle.session);
    store.close();
  });

  it("still takes the older name ttlMs for the lifetime", async () => {
    const store = new MemorySessionStore();
    const { session } = await issueSession(store, { userId: "alice", ttlMs: 5 * MINUTE });
    expect(session.expiresAt - session.createdAt).toBe(5 * MINUTE);
    store.close();
  });

  it.each([
    [{ lifetimeMs: 0 }, /lifetimeMs/],
    [{ lifetimeMs: 10, ttlMs: 10 }, /not both/],
    [{ idleTimeoutMs: -1 }, /idleTimeoutMs/],
    [{ lifetimeMs: MINUTE, idleTimeoutMs: 2 * MINUTE }, /longer than `lifetimeMs`/],
    [{ method: "Pass Word" }, /method/],
    [{ maxSessionsPerUser: 0 }, /maxSessionsPerUser/],
    [{ maxSessionsPerUser: 2, whenFull: "oldest" }, /whenFull/],
    [{ whenFull: "refuse" }, /only applies with `maxSessionsPerUser`/],
  ])("refuses %o at once with a TypeError that names the option, and stores nothing", async (options, message) => {
    const store = new RecordingStore();
    await expect(issueSession(store, { userId: "alice", ...(options as object) })).rejects.toThrow(message);
    expect(store.mutations).toEqual([]);
    store.close();
  });
});

describe("recordActivity and touchInterval", () => {
  it("writes an idle-timeout session at most once a minute by default, and at least twice per idle timeout", () => {
    expect(touchInterval({ idleTimeoutMs: 30 * MINUTE }, undefined)).toBe(DEFAULT_TOUCH_EVERY_MS);
    expect(touchInterval({ idleTimeoutMs: 30 * MINUTE }, 5 * MINUTE)).toBe(5 * MINUTE);
    expect(touchInterval({ idleTimeoutMs: 60_000 }, 5 * MINUTE)).toBe(30_000);
    expect(touchInterval({}, undefined)).toBeUndefined();
    expect(touchInterval({}, 10_000)).toBe(10_000);
  });

  it("touches only when due and answers the session as it now stands", async () => {
    startClock();
    const store = new RecordingStore();
    const { session } = await issueSession(store, { userId: "alice", idleTimeoutMs: 10 * MINUTE });
    store.reset();
    clock(0.5);
    expect(await recordActivity(store, session)).toBe(session);
    expect(store.mutations).toEqual([]);
    clock(1);
    const touched = await recordActivity(store, session);
    expect(touched.lastSeenAt).toBe(T0 + MINUTE);
    expect(store.mutations).toEqual(["touchSession"]);
    expect((await store.getSession(session.id))?.lastSeenAt).toBe(T0 + MINUTE);
    store.close();
    vi.useRealTimers();
  });
});

describe.each(expressVersions)("idle timeout and absolute lifetime through requireSession ($name)", ({ express }) => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("keeps a used session alive past its idle timeout, then refuses it once it sat idle for idleTimeoutMs", async () => {
    startClock();
    const store = new MemorySessionStore();
    const app = protectedApp(express, store);
    const { token, session } = await issueSession(store, { userId: "alice", lifetimeMs: 60 * MINUTE, idleTimeoutMs: 10 * MINUTE });
    for (let minute = 4; minute <= 28; minute += 4) {
      clock(minute);
      await request(app).get("/private").set("Authorization", `Bearer ${token}`).expect(200, { sessionId: session.id });
    }
    clock(37.5);
    await request(app).get("/private").set("Authorization", `Bearer ${token}`).expect(200);
    clock(48);
    const refused = await request(app).get("/private").set("Authorization", `Bearer ${token}`).expect(401);
    expect(refused.body).toMatchObject({ code: "unauthenticated" });
    expect(await store.getSession(session.id)).toBeUndefined();
    store.close();
  });

  it("ends an active session at its absolute expiry even though every request extended its idle deadline", async () => {
    startClock();
    const store = new MemorySessionStore();
    const app = protectedApp(express, store);
    const { token } = await issueSession(store, { userId: "alice", lifetimeMs: 60 * MINUTE, idleTimeoutMs: 10 * MINUTE });
    for (let minute = 2; minute < 60; minute += 2) {
      clock(minute);
      await request(app).get("/private").set("Authorization", `Bearer ${token}`).expect(200);
    }
    clock(60);
    await request(app).get("/private").set("Authorization", `Bearer ${token}`).expect(401);
    store.close();
  });

  it("writes activity at most every touchEveryMs however many requests arrive (counted)", async () => {
    startClock();
    const store = new RecordingStore();
    const app = protectedApp(express, store, 2 * MINUTE);
    const { token } = await issueSession(store, { userId: "alice", lifetimeMs: 60 * MINUTE, idleTimeoutMs: 10 * MINUTE });
    store.reset();
    // 100 requests, one every 6 seconds: 10 minutes of steady use.
    for (let i = 1; i <= 100; i++) {
      vi.setSystemTime(T0 + i * 6_000);
      await request(app).get("/private").set("Authorization", `Bearer ${token}`).expect(200);
    }
    const touches = store.calls.filter((c) => c === "touchSession").length;
    expect(touches).toBe(5);
    expect(store.calls.filter((c) => c === "findSessionByTokenHash")).toHaveLength(100);
    store.close();
  });

  it("extends the idle deadline from who-am-I polls too, at most once a minute", async () => {
    startClock();
    const store = new RecordingStore();
    const app = express();
    app.get("/whoami", whoAmI({ store }));
    const { token, session } = await issueSession(store, { userId: "alice", lifetimeMs: 60 * MINUTE, idleTimeoutMs: 5 * MINUTE });
    store.reset();
    for (let second = 20; second <= 240; second += 20) {
      vi.setSystemTime(T0 + second * 1000);
      await request(app).get("/whoami").set("Authorization", `Bearer ${token}`).expect(200);
    }
    expect(store.calls.filter((c) => c === "touchSession")).toHaveLength(4);
    clock(8.5);
    expect(await store.getSession(session.id)).toBeDefined();
    clock(9.1);
    await request(app).get("/whoami").set("Authorization", `Bearer ${token}`).expect(401);
    store.close();
  });

  it("never writes activity for a session without an idle timeout unless the route asks for touchEveryMs", async () => {
    startClock();
    const store = new RecordingStore();
    const app = protectedApp(express, store);
    const { token } = await issueSession(store, { userId: "alice" });
    store.reset();
    for (let minute = 1; minute <= 10; minute++) {
      clock(minute * 5);
      await request(app).get("/private").set("Authorization", `Bearer ${token}`).expect(200);
    }
    expect(store.mutations).toEqual([]);
    store.close();
  });
});
