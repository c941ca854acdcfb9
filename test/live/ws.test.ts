import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { MemorySessionStore, issueSession, watchSessions, type IssuedSession, type SessionEndListener } from "../../src/index.js";
import { RecordingStore } from "../helpers/store.js";
import { bearer, echoes, openSocket, startLiveInstance, type LiveInstance, type OpenedSocket } from "../helpers/live.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("acceptWebSockets with a real ws server and clients (one instance, MemorySessionStore)", () => {
  let store: RecordingStore;
  let live: LiveInstance;

  beforeAll(async () => {
    store = new RecordingStore();
    live = await startLiveInstance(store);
  });
  afterAll(async () => {
    await live.close();
    store.close();
  });
  beforeEach(() => { store.reset(); });

  const login = (userId: string, ttlMs = 60_000) => issueSession(store, { userId, ttlMs });
  const post = (path: string, token: string) => fetch(`${live.url}${path}`, { method: "POST", headers: bearer(token) });

  async function connect(s: IssuedSession): Promise<OpenedSocket> {
    const opened = await openSocket(live.wsUrl, bearer(s.token));
    expect(await echoes(opened.socket)).toBe(true);
    return opened;
  }

  it("closes the socket with 4401 \"session ended\" within 100 ms of its own logout over HTTP, and other sessions' sockets stay open", async () => {
    const mine = await login("ws-alice");
    const other = await login("ws-alice");
    const stranger = await login("ws-bob");
    const [a, b, c] = await Promise.all([connect(mine), connect(other), connect(stranger)]);
    const res = await post("/logout", mine.token);
    const answeredAt = performance.now();
    expect(res.status).toBe(200);
    const closed = await a.closed;
    expect(closed).toMatchObject({ code: 4401, reason: "session ended" });
    expect(closed.at - answeredAt).toBeLessThan(100);
    expect(await echoes(b.socket)).toBe(true);
    expect(await echoes(c.socket)).toBe(true);
    b.socket.close();
    c.socket.close();
  });

  it("closes every socket of every session of the user on \"log out everywhere\", and no other user's", async () => {
    const sessions = await Promise.all([login("ws-carol"), login("ws-carol"), login("ws-carol")]);
    const sockets = await Promise.all([...sessions, sessions[0]].map(connect));
    const stranger = await connect(await login("ws-dave"));
    expect((await post("/logout/all", sessions[1].token)).status).toBe(200);
    const answeredAt = performance.now();
    for (const s of sockets) {
      const closed = await s.closed;
      expect(closed.code).toBe(4401);
      expect(closed.at - answeredAt).toBeLessThan(100);
    }
    expect(await echoes(stranger.socket)).toBe(true);
    stranger.socket.close();
  });

  it("closes the other sessions' sockets on \"log out the others\" and keeps the caller's", async () => {
    const [mine, other] = await Promise.all([login("ws-erin"), login("ws-erin")]);
    const [a, b] = await Promise.all([connect(mine), connect(other)]);
    expect((await post("/logout/others", mine.token)).status).toBe(200);
    expect((await b.closed).code).toBe(4401);
    expect(await echoes(a.socket)).toBe(true);
    a.socket.close();
  });

  it("closes the socket of a session ended by id (an administrator's logout) and of an API key's sessions", async () => {
    const target = await login("ws-frank");
    const admin = await login("ws-admin");
    const keyed = await issueSession(store, { userId: "ws-frank", ttlMs: 60_000, apiKeyId: "key-1" });
    const [a, k] = await Promise.all([connect(target), connect(keyed)]);
    expect((await post(`/admin/sessions/${target.session.id}/end`, admin.token)).status).toBe(200);
    expect((await a.closed).code).toBe(4401);
    expect(await echoes(k.socket)).toBe(true);
    expect(await store.revokeUserSessions("ws-frank", { apiKeyId: "key-1" })).toBe(1);
    expect((await k.closed).code).toBe(4401);
  });

  it("refuses an upgrade with an ended, a tampered or a missing credential before any WebSocket opens, and changes nothing", async () => {
    const ended = await login("ws-grace");
    const kept = await login("ws-grace");
    await store.revokeSession(ended.session.id);
    const before = await store.snapshot("ws-grace");
    const statsBefore = live.watcher.stats;
    store.reset();
    const tampered = `${kept.token.slice(0, -2)}${kept.token.endsWith("AA") ? "BB" : "AA"}`;
    for (const headers of [bearer(ended.token), bearer(tampered), {}, { authorization: "Bearer" }]) {
      const refusal = await openSocket(live.wsUrl, headers).then(() => undefined, (error: unknown) => error as { status?: number; body?: string });
      expect(refusal?.status, JSON.stringify(headers)).toBe(401);
      expect(JSON.parse(refusal?.body ?? "{}")).toMatchObject({ status: 401 });
    }
    expect(store.mutations).toEqual([]);
    expect(await store.snapshot("ws-grace")).toEqual(before);
    expect(live.watcher.stats).toEqual(statsBefore);
  });

  it("refuses an upgrade a page of another origin sends with the session, with 403", async () => {
    const s = await login("ws-heidi");
    store.reset();
    const refusal = await openSocket(live.wsUrl, { ...bearer(s.token), origin: "https://evil.example" }).then(() => undefined, (error: unknown) => error as { status?: number });
    expect(refusal?.status).toBe(403);
    expect(store.mutations).toEqual([]);
    const own = await openSocket(live.wsUrl, { ...bearer(s.token), origin: live.url });
    expect(await echoes(own.socket)).toBe(true);
    own.socket.close();
  });

  it("closes a socket with 4401 \"session expired\" when its session reaches its deadline", async () => {
    const short = await login("ws-ivan", 400);
    const long = await login("ws-ivan");
    const [a, b] = await Promise.all([connect(short), connect(long)]);
    const closed = await a.closed;
    expect(closed).toMatchObject({ code: 4401, reason: "session expired" });
    expect(Date.now()).toBeGreaterThanOrEqual(short.session.expiresAt);
    expect(await echoes(b.socket)).toBe(true);
    b.socket.close();
  });

  it("frees every tracking entry once the sockets close, whoever closes them", async () => {
    await sleep(50);
    expect(live.watcher.stats).toEqual({ connections: 0, sessions: 0, users: 0 });
  });
});

describe("watchSessions setup", () => {
  it("refuses a store without the revocation feed, naming what to do", () => {
    const store = new MemorySessionStore();
    const withoutFeed = Object.create(store, { subscribeSessionEnds: { value: undefined } }) as MemorySessionStore;
    expect(() => watchSessions({ store: withoutFeed })).toThrow(/revocation feed.*subscriber/);
    expect(() => watchSessions({ store, origins: ["not an origin"] })).toThrow(/origins/);
    expect(() => watchSessions({ store, recheckEvery: 5 } as never)).toThrow(/Did you mean `recheckEveryMs`/);
    store.close();
  });
});

describe("after the revocation feed was interrupted", () => {
  /** A real memory store whose notices can be lost and whose reads can fail, with a hand on the feed's listeners. */
  class LossyStore extends MemorySessionStore {
    failing = false;
    losing = false;
    readonly listeners: SessionEndListener[] = [];
    override getSession(id: string) {
      return this.failing ? Promise.reject(new Error("ECONNREFUSED")) : super.getSession(id);
    }
    override subscribeSessionEnds(userId: string, listener: SessionEndListener) {
      this.listeners.push(listener);
      return super.subscribeSessionEnds(userId, {
        ended: (notice) => { if (!this.losing) listener.ended(notice); },
        interrupted: () => { listener.interrupted(); },
      });
    }
  }

  it("re-checks every socket: closes those whose session ended meanwhile (4401), keeps live ones, and closes with 1013 those the store cannot confirm", { timeout: 15_000 }, async () => {
    const store = new LossyStore();
    const live = await startLiveInstance(store);
    try {
      const [ended, kept] = await Promise.all([1, 2].map(() => issueSession(store, { userId: "gap-alice", ttlMs: 60_000 })));
      const [e, k] = await Promise.all([openSocket(live.wsUrl, bearer(ended!.token)), openSocket(live.wsUrl, bearer(kept!.token))]);
      expect(store.listeners).toHaveLength(1);
      // The notice of this end is lost, as pub/sub loses what is published while a subscriber reconnects.
      store.losing = true;
      expect(await store.revokeSession(ended!.session.id)).toBe(true);
      await sleep(50);
      store.losing = false;
      expect(await echoes(e.socket)).toBe(true);
      store.listeners[0]!.interrupted();
      expect(await e.closed).toMatchObject({ code: 4401, reason: "session ended" });
      expect(await echoes(k.socket)).toBe(true);
      // Interrupted again, and the store cannot answer: the socket is closed rather than trusted.
      store.failing = true;
      store.listeners[0]!.interrupted();
      expect(await k.closed).toMatchObject({ code: 1013, reason: "session not confirmed" });
      expect(live.watcher.stats).toEqual({ connections: 0, sessions: 0, users: 0 });
    } finally {
      await live.close();
      store.close();
    }
  });
});
