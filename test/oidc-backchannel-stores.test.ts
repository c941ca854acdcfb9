import express from "express";
import express4 from "express4";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSigningKey } from "./helpers/oidc-provider.js";
import {
  LogoutEvents, MemorySessionStore, RedisSessionStore, allStoreMethods, backchannelLogout, issueSession,
  type LogoutTokenKeys, type SessionStore,
} from "../src/index.js";
import { CLIENT_ID, logoutClaims, signLogoutToken } from "./helpers/oidc.js";
import { connectRedisV5, deleteKeys, testPrefix, type RedisV5Client } from "./helpers/redis.js";
import { needService, portOpen } from "./helpers/services.js";
import type { JWK } from "jose";

const redis = await needService("Redis on 127.0.0.1:6379", () => portOpen(6379));
const ISSUER = "https://op.example.test";

let key: JWK;
let keys: LogoutTokenKeys;
beforeAll(async () => {
  key = await generateSigningKey("k1");
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicKey } = key;
  keys = { keys: [publicKey] };
});

const post = (app: express.Express | ReturnType<typeof express4>, token: string) => request(app).post("/bcl").type("form").send({ logout_token: token });

describe.skipIf(!redis)("backchannelLogout on two app instances sharing Redis", () => {
  let clients: RedisV5Client[];
  const prefix = testPrefix("bcl");
  let stores: RedisSessionStore[];

  beforeAll(async () => {
    clients = [await connectRedisV5("redis://127.0.0.1:6379"), await connectRedisV5("redis://127.0.0.1:6379")];
    stores = clients.map((c) => new RedisSessionStore({ sendCommand: (args) => c.sendCommand(args), prefix, isReady: () => c.isReady }));
  });
  afterAll(async () => {
    await deleteKeys(clients[0]!, prefix);
    for (const c of clients) await c.close();
  });

  it("refuses on the second instance a token the first accepted, and ends nothing there", async () => {
    const [a, b] = stores.map((store) => express().post("/bcl", backchannelLogout({ store, issuer: ISSUER, audience: CLIENT_ID, keys })));
    const providerSession = { issuer: ISSUER, subject: "alice", sid: "sid-1" };
    await issueSession(stores[0]!, { userId: "alice", providerSession });
    const token = await signLogoutToken(key, logoutClaims(ISSUER, { sub: "alice", sid: "sid-1" }));
    expect((await post(a!, token)).status).toBe(200);
    const again = await issueSession(stores[1]!, { userId: "alice", providerSession });
    const replay = await post(b!, token);
    expect(replay.status).toBe(400);
    expect(replay.body.error_description).toBe("this logout token was already received");
    expect((await stores[0]!.listSessions("alice")).map((s) => s.id)).toEqual([again.session.id]);
  });

  it("lets exactly one of concurrent deliveries of one token through, across the instances", async () => {
    const apps = stores.map((store) => express().post("/bcl", backchannelLogout({ store, issuer: ISSUER, audience: CLIENT_ID, keys })));
    await issueSession(stores[0]!, { userId: "bob", providerSession: { issuer: ISSUER, subject: "bob", sid: "sid-b" } });
    const token = await signLogoutToken(key, logoutClaims(ISSUER, { sub: "bob", sid: "sid-b" }));
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => post(apps[i % 2]!, token)));
    expect(answers.map((r) => r.status).sort()).toEqual([200, 400, 400, 400, 400, 400]);
    expect(await stores[1]!.listSessions("bob")).toEqual([]);
  });
});

/** A memory store whose named methods reject, as a backend that went down does. */
function failing(base: MemorySessionStore, methods: readonly string[]): SessionStore {
  const store: Record<string, unknown> = {};
  for (const name of allStoreMethods) {
    const original = (base as unknown as Record<string, (...args: unknown[]) => unknown>)[name]!;
    store[name] = (...args: unknown[]) => (methods.includes(name) ? Promise.reject(new Error("ECONNREFUSED")) : original.apply(base, args));
  }
  return store as unknown as SessionStore;
}

describe("backchannelLogout when the store fails: 503, never a success", () => {
  for (const method of ["claim", "findSessionsByProviderSid", "revokeSession"]) {
    it(`answers 503 with Retry-After when ${method} fails`, async () => {
      const base = new MemorySessionStore();
      await issueSession(base, { userId: "alice", providerSession: { issuer: ISSUER, subject: "alice", sid: "sid-1" } });
      const events = new LogoutEvents();
      const storeErrors: string[] = [];
      const ended: unknown[] = [];
      events.on("store.error", (e) => storeErrors.push(e.operation));
      events.on("backchannel.logout", (e) => ended.push(e));
      const app = express().post("/bcl", backchannelLogout({ store: failing(base, [method]), issuer: ISSUER, audience: CLIENT_ID, keys, events, retryAfterSeconds: 7 }));
      const res = await post(app, await signLogoutToken(key, logoutClaims(ISSUER, { sub: "alice", sid: "sid-1" })));
      expect(res.status).toBe(503);
      expect(res.headers["retry-after"]).toBe("7");
      expect(res.headers["cache-control"]).toBe("no-store");
      expect(res.body.error).toBe("temporarily_unavailable");
      expect(storeErrors).toEqual([method]);
      expect(ended).toEqual([]);
      if (method !== "revokeSession") expect((await base.listSessions("alice")).length).toBe(1);
      base.close();
    });
  }

  it("answers 503 when the store answers the links in a malformed shape", async () => {
    const base = new MemorySessionStore();
    const store = failing(base, []) as unknown as Record<string, unknown>;
    store.findSessionsByProviderSubject = () => Promise.resolve([{ sessionId: 42 }]);
    const app = express().post("/bcl", backchannelLogout({ store: store as unknown as SessionStore, issuer: ISSUER, audience: CLIENT_ID, keys }));
    const res = await post(app, await signLogoutToken(key, logoutClaims(ISSUER, { sub: "alice" })));
    expect(res.status).toBe(503);
    base.close();
  });
});

describe("backchannelLogout on Express 4", () => {
  it("ends the linked session and answers 200 no-store", async () => {
    const store = new MemorySessionStore();
    await issueSession(store, { userId: "alice", providerSession: { issuer: ISSUER, subject: "alice", sid: "sid-1" } });
    const app = express4();
    app.post("/bcl", backchannelLogout({ store, issuer: ISSUER, audience: CLIENT_ID, keys }));
    const res = await post(app, await signLogoutToken(key, logoutClaims(ISSUER, { sub: "alice", sid: "sid-1" })));
    expect(res.status).toBe(200);
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(await store.listSessions("alice")).toEqual([]);
    store.close();
  });

  it("reads the token when express.urlencoded() ran before it", async () => {
    const store = new MemorySessionStore();
    await issueSession(store, { userId: "alice", providerSession: { issuer: ISSUER, subject: "alice", sid: "sid-1" } });
    const app = express4();
    app.post("/bcl", express4.urlencoded({ extended: false }), backchannelLogout({ store, issuer: ISSUER, audience: CLIENT_ID, keys }));
    expect((await post(app, await signLogoutToken(key, logoutClaims(ISSUER, { sub: "alice", sid: "sid-1" })))).status).toBe(200);
    expect(await store.listSessions("alice")).toEqual([]);
    store.close();
  });
});
