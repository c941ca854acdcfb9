import { sign } from "cookie-signature";
import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CompleteSessionStore } from "../src/index.js";
import { expressVersions } from "./helpers/express.js";
import { SESSION_SECRETS, adminTotp, gate, innerStoreKinds, passportApp, snapshot, type InnerStoreHandle, type InnerStoreKind, type PassportAppOptions } from "./helpers/express-session-app.js";
import { faultyStore } from "./helpers/faulty-store.js";
import { storeFactories, type StoreFactory } from "./helpers/store-factories.js";

type Agent = ReturnType<typeof request.agent>;

async function login(agent: Agent | request.Agent, username: string): Promise<void> {
  const res = await agent.post("/login").type("form").send({ username, password: `${username}-password` });
  expect(res.status).toBe(200);
}

/** The raw `connect.sid=...` pair an agent holds. */
function cookiePair(res: request.Response): string {
  const header = ([] as string[]).concat(res.headers["set-cookie"] ?? []).find((c) => c.startsWith("connect.sid="));
  if (header === undefined) throw new Error("no session cookie set");
  return header.split(";")[0]!;
}

/** The session id inside a signed `connect.sid=s%3A<id>.<signature>` pair. */
function sidIn(pair: string): string {
  const value = decodeURIComponent(pair.slice("connect.sid=".length));
  return value.slice(2, value.lastIndexOf("."));
}

const combos = innerStoreKinds.flatMap((inner) => storeFactories.map((f) => [inner.name, f.name, inner, f] as [string, string, InnerStoreKind, StoreFactory]));

describe.each(combos)("express-session on %s, records in %s: races, instances, adoption, faults", (_i, _s, innerKind, factory) => {
  const express = expressVersions[0].express;
  let inner: InnerStoreHandle;
  let store: CompleteSessionStore;

  beforeEach(async () => {
    inner = await innerKind.create();
    store = await factory.create();
  });

  afterEach(async () => {
    await inner.close();
    await factory.close(store);
  });

  function app(extra: Partial<PassportAppOptions> = {}) {
    return passportApp({ express, inner: inner.store, store, ...extra }).app;
  }

  describe("a request still running when its session ends (expressjs/session#632)", () => {
    const variants: [string, Partial<PassportAppOptions["session"]>][] = [
      ["default options", {}],
      ["rolling: true", { rolling: true }],
      ["resave: true", { resave: true }],
    ];
    it.each(variants)("with %s: finishing with a changed session leaves no session and no record", async (_name, sessionOptions) => {
      const slowGate = gate();
      const server = app({ session: sessionOptions, hold: slowGate.hold });
      const [a, b] = [request.agent(server), request.agent(server)];
      await login(a, "alice");
      await login(b, "alice");
      const pending = b.post("/slow").then((res) => res);
      await slowGate.entered;
      expect((await a.post("/logout/others")).body).toEqual({ ended: 1 });
      slowGate.open();
      await pending;
      expect(await store.listSessions("1")).toHaveLength(1);
      expect(Object.keys(await inner.entries())).toHaveLength(1);
      expect((await b.get("/me")).status).toBe(401);
      expect((await a.get("/me")).status).toBe(200);
    });

    it("a slow request finishing after the same browser logged out does not bring the session back", async () => {
      const slowGate = gate();
      const server = app({ session: { resave: true, rolling: true }, hold: slowGate.hold });
      const b = request.agent(server);
      await login(b, "alice");
      const pending = b.post("/slow").then((res) => res);
      await slowGate.entered;
      expect((await b.post("/logout")).status).toBe(200);
      slowGate.open();
      await pending;
      expect(await store.listSessions("1")).toEqual([]);
      expect(await inner.entries()).toEqual({});
    });
  });

  it("two app instances sharing the stores: an end on one is refused on the other at once", async () => {
    const one = app();
    const two = app();
    const onOne = request.agent(one);
    await login(onOne, "alice");
    const loginTwo = await request(two).post("/login").type("form").send({ username: "alice", password: "alice-password" });
    const device = cookiePair(loginTwo);
    expect((await request(one).get("/me").set("Cookie", device)).status).toBe(200);
    expect((await onOne.post("/logout/others")).body).toEqual({ ended: 1 });
    expect((await request(two).get("/me").set("Cookie", device)).status).toBe(401);
    expect((await request(two).get("/profile").set("Cookie", device)).status).toBe(401);
  });

  it("adopts a session logged in before tracking was added: it keeps working, gets a record, and can be ended", async () => {
    const before = app({ untracked: true });
    const res = await request(before).post("/login").type("form").send({ username: "alice", password: "alice-password" });
    const device = cookiePair(res);
    const after = app();
    const profile = await request(after).get("/profile").set("Cookie", device);
    expect(profile.status).toBe(200);
    expect(profile.body).toEqual({ username: "alice" });
    const records = await store.listSessions("1");
    expect(records).toHaveLength(1);
    expect((await request(after).get("/me").set("Cookie", device)).body.sessionId).toBe(records[0]!.id);
    const admin = request.agent(after);
    await login(admin, "admin");
    const ended = await admin.post("/api/v1/sessions/logout").set("x-2fa-code", await adminTotp()).send({ sessionId: records[0]!.id });
    expect(ended.status).toBe(200);
    expect((await request(after).get("/profile").set("Cookie", device)).status).toBe(401);
  });

  it("refuses a session that an instance without tracking wrote back after it ended", async () => {
    const slowGate = gate();
    const old = app({ untracked: true, hold: slowGate.hold });
    const tracked = app();
    const res = await request(tracked).post("/login").type("form").send({ username: "alice", password: "alice-password" });
    const device = cookiePair(res);
    const pending = request(old).post("/slow").set("Cookie", device).then((r) => r);
    await slowGate.entered;
    expect((await request(tracked).post("/logout").set("Cookie", device)).status).toBe(200);
    slowGate.open();
    expect((await pending).status).toBe(200);
    // The old instance saved the session again, without the tracking field.
    expect(Object.keys(await inner.entries())).toHaveLength(1);
    expect((await request(tracked).get("/profile").set("Cookie", device)).status).toBe(401);
    expect(await store.listSessions("1")).toEqual([]);
    expect(await inner.entries()).toEqual({});
  });

  describe("the express-logout store failing or hanging", () => {
    it.each(["fail", "hang"] as const)("when it does %s: 503 with Retry-After everywhere, never a pass, nothing changed", async (fault) => {
      const faulty = faultyStore(store);
      const server = passportApp({ express, inner: inner.store, store: faulty.store, track: { timeoutMs: 500 } }).app;
      const [a, admin] = [request.agent(server), request.agent(server)];
      await login(a, "alice");
      await login(admin, "admin");
      const victim = (await a.get("/me")).body.sessionId as string;
      const before = await snapshot(inner, store);
      faulty.set(fault);
      for (const res of [
        await a.get("/me"),
        await a.get("/profile"),
        await a.post("/logout/all"),
        await admin.post("/api/v1/sessions/logout").set("x-2fa-code", await adminTotp()).send({ sessionId: victim }),
      ]) {
        expect(res.status).toBe(503);
        expect(res.headers["retry-after"]).toBe("5");
        expect(res.body.code).toBe("store-unavailable");
      }
      const newcomer = await request(server).post("/login").type("form").send({ username: "bob", password: "bob-password" });
      expect(newcomer.status).toBe(503);
      faulty.set("none");
      expect(await snapshot(inner, store)).toBe(before);
      expect((await a.get("/me")).status).toBe(200);
    });

    it("a logout whose revocation fails is a 503 and leaves every session as it was", async () => {
      const faulty = faultyStore(store, ["revokeUserSessions"]);
      const server = passportApp({ express, inner: inner.store, store: faulty.store }).app;
      const [a, b] = [request.agent(server), request.agent(server)];
      await login(a, "alice");
      await login(b, "alice");
      await a.get("/me");
      const before = await snapshot(inner, store);
      faulty.set("fail");
      const res = await a.post("/logout/all");
      expect(res.status).toBe(503);
      faulty.set("none");
      expect(await snapshot(inner, store)).toBe(before);
      expect((await a.get("/me")).status).toBe(200);
      expect((await b.get("/me")).status).toBe(200);
    });
  });

  describe("a session cookie that express-session does not accept", () => {
    const forged: [string, (pair: string) => string][] = [
      ["tampered", (pair) => `${pair.slice(0, -3)}${pair.endsWith("AAA") ? "BBB" : "AAA"}`],
      ["unsigned", (pair) => `connect.sid=${sidIn(pair)}`],
      ["signed with a foreign secret", (pair) => `connect.sid=${encodeURIComponent(`s:${sign(sidIn(pair), "someone-elses-secret-0123456789abcdef")}`)}`],
    ];
    it.each(forged)("a %s cookie gets 401 and changes nothing", async (_name, forge) => {
      const server = app();
      const res = await request(server).post("/login").type("form").send({ username: "admin", password: "admin-password" });
      const bad = forge(cookiePair(res));
      const before = await snapshot(inner, store);
      for (const reply of [
        await request(server).get("/me").set("Cookie", bad),
        await request(server).post("/logout/all").set("Cookie", bad),
        await request(server).get("/sessions").set("Cookie", bad),
        await request(server).post("/api/v1/sessions/logout").set("Cookie", bad).set("x-2fa-code", await adminTotp()).send({ sessionId: "x" }),
      ]) {
        expect(reply.status).toBe(401);
      }
      expect((await request(server).get("/profile").set("Cookie", bad)).status).toBe(401);
      expect(await snapshot(inner, store)).toBe(before);
    });

    it("refuses a logout that a page of another site made the browser send (403), and nothing changes", async () => {
      const server = app();
      const a = request.agent(server);
      await login(a, "alice");
      await a.get("/me");
      const before = await snapshot(inner, store);
      for (const path of ["/logout", "/logout/all", "/logout/others"]) {
        const res = await a.post(path).set("Sec-Fetch-Site", "cross-site");
        expect(res.status).toBe(403);
      }
      expect(await snapshot(inner, store)).toBe(before);
      expect((await a.get("/me").set("Sec-Fetch-Site", "cross-site")).status).toBe(200);
    });

    it("accepts a cookie signed with an older secret of the rotation list", async () => {
      const server = app();
      const res = await request(server).post("/login").type("form").send({ username: "alice", password: "alice-password" });
      const old = `connect.sid=${encodeURIComponent(`s:${sign(sidIn(cookiePair(res)), SESSION_SECRETS[1]!)}`)}`;
      expect((await request(server).get("/me").set("Cookie", old)).status).toBe(200);
    });
  });
});
