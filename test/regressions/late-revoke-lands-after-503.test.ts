/**
 * With Redis frozen at the revoke step, the client got a 503 and the session ended anyway once Redis resumed:
 * the command had been sent, and Redis ran it late. That is the safe direction (a logout that was asked for
 * took effect), but the docs and Kratos' 503 body promised that nothing was changed. Now they say what is true:
 * a 503 confirms nothing, the ending it was asked for may still land, and a retry answers as for an ended
 * session. A TCP proxy in front of real Redis freezes the connection exactly at the revoke script.
 */
import { randomUUID } from "node:crypto";
import express from "express";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LogoutEvents, RedisSessionStore, browserLogoutFlow, createLogoutHandler, issueSession } from "../../src/index.js";
import { END_SESSION_BY_ID, END_SESSION_BY_TOKEN, REVOKE_SESSION } from "../../src/store/redis-scripts.js";
import { startFaultProxy, type FaultProxy } from "../helpers/fault-proxy.js";
import { demoUsers } from "../helpers/fixture.js";
import { connectRedisV5, deleteKeys, testPrefix, type RedisV5Client } from "../helpers/redis.js";
import { needService, portOpen } from "../helpers/services.js";

const redis = await needService("Redis on 127.0.0.1:6379", () => portOpen(6379));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** The scripts that end a session: the proxy freezes Redis at whichever the logout sends. */
const endingScripts = [REVOKE_SESSION, END_SESSION_BY_TOKEN, END_SESSION_BY_ID].flatMap((s) => [s.direct.sha, s.routed.sha]);

describe.skipIf(!redis)("a revoke that Redis runs after the request got its 503", () => {
  let proxy: FaultProxy;
  let throughProxy: RedisV5Client;
  let direct: RedisV5Client;
  const prefix = testPrefix("late-revoke");

  beforeAll(async () => {
    proxy = await startFaultProxy({ host: "127.0.0.1", port: 6379 });
    throughProxy = await connectRedisV5(proxy.url);
    direct = await connectRedisV5("redis://127.0.0.1:6379");
  });

  afterAll(async () => {
    proxy.release();
    await deleteKeys(direct, prefix);
    await throughProxy.close().catch(() => undefined);
    await direct.close();
    await proxy.close();
  });

  const proxied = () => new RedisSessionStore({ sendCommand: (args) => throughProxy.sendCommand(args), prefix, isReady: () => throughProxy.isReady });
  const observer = () => new RedisSessionStore({ sendCommand: (args) => direct.sendCommand(args), prefix, routeCacheSize: 0 });

  /** Waits until the session is gone as another instance sees it, or gives up after `ms`. */
  async function endedWithin(id: string, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if ((await observer().getSession(id)) === undefined) return true;
      await sleep(20);
    }
    return false;
  }

  it("createLogoutHandler: 503 while frozen, the session ends when Redis resumes, and a retry answers as for an ended session", async () => {
    const store = proxied();
    const events = new LogoutEvents();
    const ended: string[] = [];
    events.on("session.ended", (e) => ended.push(e.sessionId));
    const app = express();
    app.post("/logout", createLogoutHandler({ store, events, timeoutMs: 300 }));
    const { token, session } = await issueSession(store, { userId: `alice-${randomUUID()}` });

    proxy.holdAt(...endingScripts);
    const frozen = await request(app).post("/logout").set("Authorization", `Bearer ${token}`);
    await proxy.held();
    expect(frozen.status).toBe(503);
    expect(frozen.headers["retry-after"]).toBe("5");
    expect((frozen.body as { code: string }).code).toBe("store-unavailable");
    // Nothing was confirmed: the session is still there while Redis is frozen.
    expect(await observer().getSession(session.id)).toEqual(session);

    proxy.release();
    expect(await endedWithin(session.id, 2_000)).toBe(true);
    // No event claims an ending this request never saw confirmed.
    expect(ended).toEqual([]);
    const retry = await request(app).post("/logout").set("Authorization", `Bearer ${token}`);
    expect(retry.status).toBe(401);
    expect((retry.body as { code: string }).code).toBe("unauthenticated");
  });

  it("Kratos' browser logout: the 503 body says the logout may still complete, and a retry answers as for an ended session", async () => {
    const store = proxied();
    const flow = browserLogoutFlow({ store, users: demoUsers(), publicUrl: "http://127.0.0.1", secrets: ["k".repeat(32)], timeoutMs: 300 });
    const app = express();
    app.get("/self-service/logout/browser", flow.create);
    app.get("/self-service/logout", flow.logout);
    const { token, session } = await issueSession(store, { userId: "alice", tokenPrefix: "ory_st_" });
    const headers = { Accept: "application/json", "X-Session-Token": token };
    const created = await request(app).get("/self-service/logout/browser").set(headers);
    const logoutToken = (created.body as { logout_token: string }).logout_token;

    proxy.holdAt(...endingScripts);
    const frozen = await request(app).get(`/self-service/logout?token=${logoutToken}`).set(headers);
    await proxy.held();
    expect(frozen.status).toBe(503);
    expect(frozen.text).toBe(
      '{"error":{"code":503,"status":"Service Unavailable","reason":"The session store failed or did not answer in time; nothing was confirmed. A logout it was asked for may still complete: retry it, and an ended session answers as ended.","message":"The service is temporarily unavailable, please try again later"}}',
    );
    proxy.release();
    expect(await endedWithin(session.id, 2_000)).toBe(true);
    const retry = await request(app).get(`/self-service/logout?token=${logoutToken}`).set(headers);
    expect(retry.status).toBe(401);
    expect((retry.body as { error: { id: string } }).error.id).toBe("session_inactive");
  });
});

