/**
 * `RedisSessionStore.claim` took any reply but `null` for a first use. A `sendCommand` wrapper that hands Redis'
 * nil back as `undefined` (every other method of the store accepts that) made every claim a win, so one TOTP code
 * was accepted again and again on real Redis. Now only `OK` (what `SET NX` answers when it set the key) is a
 * first use; nil, `null` or `undefined`, is "already claimed", and any other reply is a broken client: the call
 * fails, and the request gets a 503.
 */
import { randomUUID } from "node:crypto";
import express from "express";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LogoutEvents, RedisSessionStore, hashSecret, issueSession, requireSession, requireTotp, type RedisSendCommand } from "../../src/index.js";
import { ADMIN_SECRET, TestDirectory, codeAt } from "../helpers/rocket-chat.js";
import { connectRedisV5, deleteKeys, testPrefix, type RedisV5Client } from "../helpers/redis.js";
import { needService, portOpen } from "../helpers/services.js";

const redis = await needService("Redis on 127.0.0.1:6379", () => portOpen(6379));

/** Maps nil to `undefined`, in a reply and inside array replies, as some client wrappers do. */
function nilToUndefined(send: RedisSendCommand): RedisSendCommand {
  const map = (reply: unknown): unknown => (reply === null ? undefined : Array.isArray(reply) ? reply.map(map) : reply);
  return async (args, route) => map(await send(args, route));
}

describe.skipIf(!redis)("RedisSessionStore.claim with a client wrapper that answers undefined for nil", () => {
  let client: RedisV5Client;
  const prefix = testPrefix("claim-nil");

  beforeAll(async () => {
    client = await connectRedisV5("redis://127.0.0.1:6379");
  });

  afterAll(async () => {
    await deleteKeys(client, prefix);
    await client.close();
  });

  const storeWith = (send: RedisSendCommand) => new RedisSessionStore({ sendCommand: send, prefix });

  it("answers true once and false after, however nil is spelt", async () => {
    const store = storeWith(nilToUndefined((args) => client.sendCommand(args)));
    const key = `claim-${randomUUID()}`;
    expect([await store.claim(key, 60_000), await store.claim(key, 60_000), await store.claim(key, 60_000)]).toEqual([true, false, false]);
  });

  it.each([["1", 1], ["an empty string", ""], ["a number", 0], ["an object", {}], ["QUEUED", "QUEUED"]])("fails, never wins, when the client answers %s", async (_, reply) => {
    const store = storeWith(() => Promise.resolve(reply));
    await expect(store.claim(`claim-${randomUUID()}`, 60_000)).rejects.toThrow(/RedisSessionStore/);
  });

  it("accepts one TOTP code once through requireTotp on real Redis", async () => {
    const store = storeWith(nilToUndefined((args) => client.sendCommand(args)));
    const users = new TestDirectory();
    const events = new LogoutEvents();
    const replayed: unknown[] = [];
    events.on("totp.replayed", (e) => replayed.push(e));
    const userId = `admin-${randomUUID()}`;
    users.add({ id: userId, username: userId }, ["logout-device-management"], ADMIN_SECRET);
    const { token } = await issueSession(store, { userId });
    expect((await store.findSessionByTokenHash(hashSecret(token)))?.userId).toBe(userId);
    const app = express();
    app.post("/step-up", requireSession({ store, events }), requireTotp({ store, users, events }), (_req, res) => { res.send("passed"); });
    const code = await codeAt(ADMIN_SECRET);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await request(app).post("/step-up").set("Authorization", `Bearer ${token}`).set("x-2fa-code", code)).status);
    expect(statuses).toEqual([200, 400, 400]);
    expect(replayed).toHaveLength(2);
  });
});
