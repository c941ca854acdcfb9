import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  LogoutEvents,
  MemorySessionStore,
  RedisSessionStore,
  isLogoutError,
  issueSession,
  type LogoutEventMap,
  type SessionStore,
} from "../src/index.js";
import { needService, portOpen } from "./helpers/services.js";
import { connectRedisV5, deleteKeys, testPrefix, type RedisV5Client } from "./helpers/redis.js";
import { RecordingStore } from "./helpers/store.js";

const REDIS_URL = "redis://127.0.0.1:6379";
const redis = await needService("Redis on 127.0.0.1:6379", () => portOpen(6379));

describe("issueSession with maxSessionsPerUser", () => {
  it("ends the least recently used session to make room by default, and tells the audit log", async () => {
    const store = new MemorySessionStore();
    const events = new LogoutEvents();
    const ended: LogoutEventMap["session.ended"][] = [];
    events.on("session.ended", (e) => ended.push(e));
    const first = await issueSession(store, { userId: "alice", maxSessionsPerUser: 2, events });
    const second = await issueSession(store, { userId: "alice", maxSessionsPerUser: 2, events });
    // The first session is used again: the second is now the least recently used.
    await store.touchSession(first.session.id, Date.now() + 1_000);
    const third = await issueSession(store, { userId: "alice", maxSessionsPerUser: 2, events });
    expect(third.endedSessionIds).toEqual([second.session.id]);
    expect((await store.listSessions("alice")).map((s) => s.id).sort()).toEqual([first.session.id, third.session.id].sort());
    expect(ended).toEqual([{ sessionId: second.session.id, userId: "alice", by: undefined, target: "session", reason: "session-limit", at: ended[0]?.at }]);
    store.close();
  });

  it("refuses the new login with session-limit-reached under whenFull: refuse, and stores nothing", async () => {
    const store = new RecordingStore();
    await issueSession(store, { userId: "alice", maxSessionsPerUser: 1, whenFull: "refuse" });
    const before = await store.snapshot("alice");
    store.reset();
    const error: unknown = await issueSession(store, { userId: "alice", maxSessionsPerUser: 1, whenFull: "refuse" }).catch((e: unknown) => e);
    expect(isLogoutError(error) && error.code).toBe("session-limit-reached");
    expect(isLogoutError(error) && error.status).toBe(403);
    expect(store.mutations).toEqual(["createSessionWithinLimit"]);
    expect(await store.snapshot("alice")).toEqual(before);
    store.close();
  });

  it("refuses at setup a store that cannot enforce the limit atomically", async () => {
    const store = new MemorySessionStore();
    const plain = Object.fromEntries(
      ["createSession", "getSession", "findSessionByTokenHash", "listSessions", "touchSession", "revokeSession", "revokeUserSessions", "claim", "incrementCounter", "readCounter", "denyJwt", "revokeJwtsIssuedBefore", "jwtRevocation"]
        .map((name) => [name, ((store as unknown as Record<string, (...a: unknown[]) => unknown>)[name] ?? (() => undefined)).bind(store)]),
    ) as unknown as SessionStore;
    await expect(issueSession(plain, { userId: "alice", maxSessionsPerUser: 3 })).rejects.toThrow(/createSessionWithinLimit/);
    expect(await store.listSessions("alice")).toEqual([]);
    store.close();
  });
});

describe.skipIf(!redis)("maxSessionsPerUser on Redis: many parallel logins through two instances", () => {
  let clientA: RedisV5Client;
  let clientB: RedisV5Client;
  const prefix = testPrefix("limit");
  let a: RedisSessionStore;
  let b: RedisSessionStore;

  beforeAll(async () => {
    // Two clients, two stores: two app instances sharing one Redis.
    clientA = await connectRedisV5(REDIS_URL);
    clientB = await connectRedisV5(REDIS_URL);
    a = new RedisSessionStore({ sendCommand: (args) => clientA.sendCommand(args), prefix });
    b = new RedisSessionStore({ sendCommand: (args) => clientB.sendCommand(args), prefix });
  });
  afterAll(async () => {
    await deleteKeys(clientA, prefix);
    await clientA.close();
    await clientB.close();
  });

  it("never lets a user hold more than the limit, whichever instance each login reaches (end least recently used)", async () => {
    const limit = 4;
    const userId = `lru-${prefix}`;
    const events = new LogoutEvents();
    let endedEvents = 0;
    events.on("session.ended", () => (endedEvents += 1));
    const issued = await Promise.all(Array.from({ length: 60 }, (_, i) => issueSession(i % 2 === 0 ? a : b, { userId, maxSessionsPerUser: limit, events })));
    const live = await a.listSessions(userId);
    expect(live).toHaveLength(limit);
    const ended = issued.flatMap((s) => s.endedSessionIds);
    expect(new Set(ended).size).toBe(60 - limit);
    expect(endedEvents).toBe(60 - limit);
    // The survivors are sessions nobody ended, and each still works by its token on either instance.
    for (const session of live) expect(ended).not.toContain(session.id);
    for (const s of issued) {
      const found = await b.findSessionByTokenHash(s.session.tokenHash);
      expect(found === undefined).toBe(ended.includes(s.session.id));
    }
  });

  it("lets exactly the limit through and refuses every other login under whenFull: refuse", async () => {
    const limit = 3;
    const userId = `refuse-${prefix}`;
    const results = await Promise.allSettled(Array.from({ length: 60 }, (_, i) => issueSession(i % 2 === 0 ? a : b, { userId, maxSessionsPerUser: limit, whenFull: "refuse" })));
    const ok = results.filter((r) => r.status === "fulfilled");
    const refused = results.filter((r) => r.status === "rejected");
    expect(ok).toHaveLength(limit);
    expect(refused.every((r) => isLogoutError(r.reason) && r.reason.code === "session-limit-reached")).toBe(true);
    expect(await b.listSessions(userId)).toHaveLength(limit);
  });
});
