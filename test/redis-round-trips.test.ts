import express, { type Express } from "express";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogoutHandler, issueSession, requireSession, shapes, type RedisSessionStore } from "../src/index.js";
import { connectRedisV5, countingStore, deleteKeys, testPrefix, type RedisV5Client } from "./helpers/redis.js";
import { cookieOf, kratosApp } from "./helpers/kratos.js";
import { ADMIN_SECRET, TestDirectory, codeAt, rcLogin, rocketChatApp } from "./helpers/rocket-chat.js";
import { needService, portOpen } from "./helpers/services.js";

// Round trips per request, counted at the client (one sendCommand is one round trip; a script's inner commands
// are not round trips), on the instance that opened the session and on another one sharing the same Redis.

const redis = await needService("Redis on 127.0.0.1:6379", () => portOpen(6379));

const users = {
  findUser: (id: string) => Promise.resolve({ id, username: id, email: `${id}@example.com` }),
  resolveTenantKey: () => Promise.resolve({ id: "5551aca9e179c39b760f7a1a", code: "DBTN" }),
};

function app(store: RedisSessionStore): Express {
  const a = express();
  a.get("/me", requireSession({ store }), (_req, res) => { res.json({ ok: true }); });
  a.get("/v1/auth/:source/logout", createLogoutHandler({ store, users, shape: shapes.endor }));
  a.get("/urac/logout", createLogoutHandler({ store, users, shape: shapes.soajs }));
  a.post("/logout", createLogoutHandler({ store }));
  a.post("/logout/others", createLogoutHandler({ store, target: "others" }));
  a.post("/logout/all", createLogoutHandler({ store, target: "all" }));
  a.post("/logout/api-key", createLogoutHandler({ store, target: "api-key" }));
  return a;
}

describe.skipIf(!redis)("Redis round trips per request", () => {
  let client: RedisV5Client;
  const prefix = testPrefix("round-trips");

  beforeAll(async () => {
    client = await connectRedisV5("redis://127.0.0.1:6379");
    // A script the server has not run yet costs a NOSCRIPT answer once: load them all so only the requests count.
    await countingStore(client, { prefix }).store.loadScripts();
  });

  afterAll(async () => {
    await deleteKeys(client, prefix);
    await client.close();
  });

  /** The instance that opens the sessions, and another one that never saw them (and remembers no route). */
  function instances() {
    const minting = countingStore(client, { prefix });
    const other = countingStore(client, { prefix, routeCacheSize: 0 });
    return { minting, other, login: (userId: string) => issueSession(minting.store, { userId }) };
  }

  for (const which of ["minting", "other"] as const) {
    describe(`on the ${which === "minting" ? "instance that opened the session" : "instance that never saw it"}`, () => {
      it("requireSession: one", async () => {
        const i = instances();
        const { token } = await i.login("rt-guard");
        const counted = i[which];
        counted.commands.length = 0;
        await request(app(counted.store)).get("/me").set("Authorization", `Bearer ${token}`).expect(200);
        expect(counted.commands.map((c) => c[0])).toEqual(["EVALSHA"]);
      });

      it.each([
        ["the neutral shape", "post", "/logout", (token: string) => ({ Authorization: `Bearer ${token}` })],
        ["Endor Labs", "get", "/v1/auth/login/logout", (token: string) => ({ Authorization: `Bearer ${token}` })],
        ["SOAJS", "get", "/urac/logout", (token: string) => ({ key: "k", soajsauth: `Basic ${Buffer.from(`soajs:${token}`).toString("base64")}` })],
      ] as const)("a logout of the caller's own session in %s: one, and the session is ended for every instance", async (_shape, method, path, headers) => {
        const i = instances();
        const { token, session } = await i.login("rt-logout");
        const counted = i[which];
        counted.commands.length = 0;
        const res = await request(app(counted.store))[method](path).set(headers(token));
        expect(res.status).toBe(200);
        expect(counted.commands.map((c) => c[0])).toEqual(["EVALSHA"]);
        expect(await i.minting.store.getSession(session.id)).toBeUndefined();
        expect(await i.other.store.findSessionByTokenHash(session.tokenHash)).toBeUndefined();
      });

      it.each([["others", "/logout/others", 2], ["all", "/logout/all", 3]] as const)(
        "log out %s: one, the lookup and the ending together, and the caller's own session ends only with all",
        async (_target, path, ended) => {
          const i = instances();
          const mine = await i.login("rt-all");
          await i.login("rt-all");
          await i.login("rt-all");
          const counted = i[which];
          counted.commands.length = 0;
          const res = await request(app(counted.store)).post(path).set("Authorization", `Bearer ${mine.token}`);
          expect(res.status).toBe(200);
          expect(res.body).toMatchObject({ ended });
          expect(counted.commands.map((c) => c[0])).toEqual(["EVALSHA"]);
          const left = await i.minting.store.listSessions("rt-all");
          expect(3 - left.length).toBe(ended);
          expect(left.map((s) => s.id)).toEqual(ended === 2 ? [mine.session.id] : []);
          for (const s of await i.minting.store.listSessions("rt-all")) await i.minting.store.revokeSession(s.id);
        },
      );

      it("log out an API key's sessions: two, the caller's lookup and then the ending of that key's sessions alone", async () => {
        const i = instances();
        const userId = `rt-api-key-${which}`;
        const mine = await issueSession(i.minting.store, { userId, apiKeyId: "key-1" });
        const sibling = await issueSession(i.minting.store, { userId, apiKeyId: "key-1" });
        const browser = await i.login(userId);
        const counted = i[which];
        counted.commands.length = 0;
        const res = await request(app(counted.store)).post("/logout/api-key").set("Authorization", `Bearer ${mine.token}`);
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({ ended: 2 });
        expect(counted.commands.map((c) => c[0])).toEqual(["EVALSHA", "EVALSHA"]);
        expect(await i.minting.store.getSession(mine.session.id)).toBeUndefined();
        expect(await i.minting.store.getSession(sibling.session.id)).toBeUndefined();
        expect((await i.minting.store.listSessions(userId)).map((s) => s.id)).toEqual([browser.session.id]);
        await i.minting.store.revokeSession(browser.session.id);
      });

      // The logout token is bound to the cookie's token hash, so it is checked before any call, and the session is
      // found and ended with its revoked-token record in one script.
      it("Kratos browser logout: one, the session found by its cookie and ended with the revoked-token record in one script", async () => {
        const i = instances();
        const { token, session } = await i.login("rt-kratos");
        const counted = i[which];
        const { app: kratos, flow } = kratosApp(express, counted.store);
        counted.commands.length = 0;
        await request(kratos).get(`/self-service/logout?token=${flow.logoutToken(session)}`).set("Cookie", cookieOf(token)).set("Accept", "application/json").expect(204);
        expect(counted.commands.map((c) => c[0])).toEqual(["EVALSHA"]);
        expect(await i.minting.store.getSession(session.id)).toBeUndefined();
        expect(await i.other.store.isClaimed(`logout:revoked:${session.tokenHash}`)).toBe(true);
        // The record is what lets a native client's later logout with the same token answer 204, as Kratos does.
        await request(kratosApp(express, i.other.store).app).delete("/self-service/logout/api").send({ session_token: token }).expect(204);
      });

      it("Kratos native logout: one, the session found by its token and ended with the revoked-token record", async () => {
        const i = instances();
        const { token, session } = await i.login("rt-kratos-native");
        const counted = i[which];
        const native = kratosApp(express, counted.store).app;
        counted.commands.length = 0;
        await request(native).delete("/self-service/logout/api").send({ session_token: token }).expect(204);
        expect(counted.commands.map((c) => c[0])).toEqual(["EVALSHA"]);
        expect(await i.minting.store.getSession(session.id)).toBeUndefined();
        // Again with the same token: the lookup finds nothing, the record answers 204.
        counted.commands.length = 0;
        await request(native).delete("/self-service/logout/api").send({ session_token: token }).expect(204);
        expect(counted.commands.map((c) => c[0])).toEqual(["EVALSHA", "EXISTS"]);
      });

      it("Kratos browser logout with another session's token: one (the lookup), 403, and nothing written", async () => {
        const i = instances();
        const mine = await i.login(`rt-kratos-mismatch-${which}`);
        const theirs = await i.login(`rt-kratos-mismatch-${which}`);
        const counted = i[which];
        const { app: kratos, flow } = kratosApp(express, counted.store);
        counted.commands.length = 0;
        await request(kratos).get(`/self-service/logout?token=${flow.logoutToken(theirs.session)}`).set("Cookie", cookieOf(mine.token)).set("Accept", "application/json").expect(403);
        expect(counted.commands.map((c) => c[0])).toEqual(["EVALSHA"]);
        expect(await i.minting.store.getSession(mine.session.id)).toEqual(mine.session);
        expect(await i.minting.store.getSession(theirs.session.id)).toEqual(theirs.session);
        expect(await i.minting.store.isClaimed(`logout:revoked:${mine.session.tokenHash}`)).toBe(false);
        for (const s of [mine, theirs]) await i.minting.store.revokeSession(s.session.id);
      });

      it("Rocket.Chat admin logout (permission, TOTP, another user's session): three, the caller, the code with its step-up, the target's end", async () => {
        const i = instances();
        const users = new TestDirectory();
        // An administrator of this test alone: a code is single use per user and time step, across runs too.
        users.add({ id: `rt-admin-${which}`, username: `rt-admin-${which}` }, ["logout-device-management"], ADMIN_SECRET);
        const admin = await rcLogin(i.minting.store, `rt-admin-${which}`);
        const { session: target } = await i.login("alice");
        const counted = i[which];
        const rc = rocketChatApp(express, { store: counted.store, users });
        counted.commands.length = 0;
        const code = await codeAt(ADMIN_SECRET);
        const res = await request(rc).post("/api/v1/sessions/logout").set(admin.headers).set("x-2fa-code", code).send({ sessionId: target.id });
        expect(res.status).toBe(200);
        expect(res.text).toBe(`{"sessionId":"${target.id}","success":true}`);
        expect(counted.commands.map((c) => c[0])).toEqual(["EVALSHA", "EVALSHA", "EVALSHA"]);
        expect(await i.other.store.getSession(target.id)).toBeUndefined();
        // The step-up was recorded on the admin's session in the attempt's script.
        expect((await i.other.store.getSession(admin.session.id))?.amr).toEqual(["totp"]);
        // The code is spent: the same code again is a replay, and the target stays ended. (The same string: a
        // code made anew could belong to the next time step, if one began since.)
        const replay = await request(rc).post("/api/v1/sessions/logout").set(admin.headers).set("x-2fa-code", code).send({ sessionId: target.id });
        expect(replay.status).toBe(400);
        await i.minting.store.revokeSession(admin.session.id);
      });

      it("Rocket.Chat logout.me of another user's session: one call for the read and the refusal, 404, and the session lives", async () => {
        const i = instances();
        const users = new TestDirectory();
        const caller = await rcLogin(i.minting.store, "bob");
        const { session: target } = await i.login("alice");
        const counted = i[which];
        counted.commands.length = 0;
        const res = await request(rocketChatApp(express, { store: counted.store, users })).post("/api/v1/sessions/logout.me").set(caller.headers).send({ sessionId: target.id });
        expect(res.status).toBe(404);
        expect(counted.commands.map((c) => c[0])).toEqual(["EVALSHA", "EVALSHA"]);
        expect(await i.other.store.getSession(target.id)).toEqual(target);
        for (const s of [caller.session, target]) await i.minting.store.revokeSession(s.id);
      });

      it("a refused logout (unknown token) costs one and changes nothing", async () => {
        const i = instances();
        const { session } = await i.login("rt-refused");
        const counted = i[which];
        counted.commands.length = 0;
        await request(app(counted.store)).post("/logout").set("Authorization", `Bearer ${"x".repeat(43)}`).expect(401);
        expect(counted.commands.map((c) => c[0])).toEqual(["EVALSHA"]);
        expect(await i.minting.store.getSession(session.id)).toEqual(session);
      });
    });
  }
});
