import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { hashSecret, type CompleteSessionStore } from "../src/index.js";
import { expressVersions } from "./helpers/express.js";
import { adminTotp, innerStoreKinds, memoryInner, passportApp, snapshot, type InnerStoreHandle, type InnerStoreKind } from "./helpers/express-session-app.js";
import { storeFactories, type StoreFactory } from "./helpers/store-factories.js";

type Agent = ReturnType<typeof request.agent>;

async function login(agent: Agent, username: string, userAgent = `device-of-${username}`): Promise<void> {
  const res = await agent.post("/login").set("User-Agent", userAgent).type("form").send({ username, password: `${username}-password` });
  expect(res.status).toBe(200);
}

/** The express-session id behind an agent's cookie, read from the app's store by the record's token hash. */
async function sidOf(inner: InnerStoreHandle, agent: Agent): Promise<string> {
  const me = await agent.get("/me");
  expect(me.status).toBe(200);
  const entries = await inner.entries();
  const sid = Object.keys(entries).find((id) => (entries[id]?.expressLogout as { sessionId?: string } | undefined)?.sessionId === me.body.sessionId);
  if (sid === undefined) throw new Error("no stored session for this agent");
  return sid;
}

const combos = innerStoreKinds.flatMap((inner) => storeFactories.map((f) => [inner.name, f.name, inner, f] as [string, string, InnerStoreKind, StoreFactory]));

describe.each(combos)("express-session on %s, records in %s", (_innerName, _storeName, innerKind, factory) => {
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

  function app(extra: Partial<Parameters<typeof passportApp>[0]> = {}) {
    return passportApp({ express, inner: inner.store, store, ...extra }).app;
  }

  it("tracks every logged-in device of a user, with its device and the current one flagged", async () => {
    const server = app();
    const [a, b] = [request.agent(server), request.agent(server)];
    await login(a, "alice", "Laptop");
    await login(b, "alice", "Phone");
    const list = await a.get("/sessions");
    expect(list.status).toBe(200);
    expect(list.body.sessions).toHaveLength(2);
    expect((list.body.sessions as { current: boolean }[]).map((s) => s.current).sort()).toEqual([false, true]);
    const records = await store.listSessions("1");
    expect(records.map((r) => r.userAgent).sort()).toEqual(["Laptop", "Phone"]);
    // express-logout never holds the session id in the clear: only its hash.
    const stored = await inner.entries();
    for (const sid of Object.keys(stored)) {
      expect(records.some((r) => r.tokenHash === hashSecret(sid))).toBe(true);
      expect(JSON.stringify(records)).not.toContain(sid);
    }
  });

  it("gives a session without a user no record", async () => {
    const server = app({ session: { saveUninitialized: true } });
    const anonymous = request.agent(server);
    const res = await anonymous.get("/me");
    expect(res.status).toBe(401);
    expect(Object.keys(await inner.entries())).toHaveLength(1);
    expect((await Promise.all(["1", "2", "3"].map((id) => store.listSessions(id)))).flat()).toEqual([]);
  });

  it('ends the other devices with "others": B and C get 401 at once, A keeps working', async () => {
    const server = app();
    const [a, b, c] = [request.agent(server), request.agent(server), request.agent(server)];
    for (const agent of [a, b, c]) await login(agent, "alice");
    const res = await a.post("/logout/others");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ended: 2 });
    expect((await b.get("/me")).status).toBe(401);
    expect((await c.get("/me")).status).toBe(401);
    expect((await b.get("/profile")).status).toBe(401);
    expect((await a.get("/me")).status).toBe(200);
    expect(await store.listSessions("1")).toHaveLength(1);
    // The ended sessions were destroyed in the app's store by their next request.
    expect(Object.keys(await inner.entries())).toHaveLength(1);
  });

  it('ends every device with "all", destroys this request\'s session and clears its cookie', async () => {
    const server = app();
    const [a, b, c] = [request.agent(server), request.agent(server), request.agent(server)];
    for (const agent of [a, b, c]) await login(agent, "alice");
    const res = await a.post("/logout/all");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ended: 3 });
    const cleared = ([] as string[]).concat(res.headers["set-cookie"] ?? []);
    expect(cleared.some((c) => /^connect\.sid=;.*Expires=Thu, 01 Jan 1970/i.test(c) && /Path=\//.test(c) && /HttpOnly/i.test(c) && /SameSite=Lax/i.test(c))).toBe(true);
    for (const agent of [a, b, c]) expect((await agent.get("/me")).status).toBe(401);
    expect(await store.listSessions("1")).toEqual([]);
    expect(await inner.entries()).toEqual({});
  });

  it("ends the current session only with the default target, and req.session is gone after it", async () => {
    const server = app();
    const [a, b] = [request.agent(server), request.agent(server)];
    await login(a, "alice");
    await login(b, "alice");
    const res = await a.post("/logout");
    expect(res.status).toBe(200);
    expect(res.body.ended).toBe(1);
    expect((await a.get("/me")).status).toBe(401);
    expect((await b.get("/me")).status).toBe(200);
    // Nothing saved the destroyed session back at the end of the logout request.
    expect(Object.keys(await inner.entries())).toHaveLength(1);
  });

  it("lets an admin end one session of another user with permission and TOTP, in Rocket.Chat bodies", async () => {
    const server = app();
    const [c1, c2, admin] = [request.agent(server), request.agent(server), request.agent(server)];
    await login(c1, "bob");
    await login(c2, "bob");
    await login(admin, "admin");
    const victim = (await c2.get("/me")).body.sessionId as string;
    const res = await admin.post("/api/v1/sessions/logout").set("x-2fa-code", await adminTotp()).send({ sessionId: victim });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ sessionId: victim, success: true });
    expect((await c2.get("/me")).status).toBe(401);
    expect((await c1.get("/me")).status).toBe(200);
    expect((await store.listSessions("2")).map((r) => r.id)).not.toContain(victim);
  });

  it("refuses the admin route to a user without the permission, and nothing changes", async () => {
    const server = app();
    const [bob, alice] = [request.agent(server), request.agent(server)];
    await login(bob, "bob");
    await login(alice, "alice");
    const victim = (await bob.get("/me")).body.sessionId as string;
    const before = await snapshot(inner, store);
    const res = await alice.post("/api/v1/sessions/logout").set("x-2fa-code", "123456").send({ sessionId: victim });
    expect(res.status).toBe(403);
    expect(res.body.success).toBe(false);
    expect(await snapshot(inner, store)).toBe(before);
    expect((await bob.get("/me")).status).toBe(200);
  });

  it("ends the record when passport's req.logout() runs, and req.login() makes a new one", async () => {
    const server = app();
    const [a, b] = [request.agent(server), request.agent(server)];
    await login(a, "alice");
    await login(b, "alice");
    const bSession = (await b.get("/me")).body.sessionId as string;
    expect((await b.post("/passport-logout")).status).toBe(200);
    expect((await b.get("/me")).status).toBe(401);
    expect((await store.listSessions("1")).map((r) => r.id)).not.toContain(bSession);
    expect(await store.listSessions("1")).toHaveLength(1);
    await login(b, "alice");
    const again = (await b.get("/me")).body.sessionId as string;
    expect(again).not.toBe(bSession);
    expect(await store.listSessions("1")).toHaveLength(2);
  });

  it("regenerates on login: the pre-login session id is destroyed and the new one tracked", async () => {
    const server = app({ session: { saveUninitialized: true } });
    const a = request.agent(server);
    await a.get("/slow");
    const before = Object.keys(await inner.entries());
    expect(before).toHaveLength(1);
    await login(a, "alice");
    const sid = await sidOf(inner, a);
    expect(before).not.toContain(sid);
    expect(Object.keys(await inner.entries())).toEqual([sid]);
  });
});

describe.each(expressVersions)("express-session tracking on %s", ({ express }) => {
  it("works end to end on MemoryStore", async () => {
    const inner = await memoryInner.create();
    const store = await storeFactories[0]!.create();
    const { app } = passportApp({ express, inner: inner.store, store });
    const [a, b] = [request.agent(app), request.agent(app)];
    await login(a, "alice");
    await login(b, "alice");
    expect((await a.post("/logout/others")).body).toEqual({ ended: 1 });
    expect((await b.get("/me")).status).toBe(401);
    expect((await a.get("/me")).status).toBe(200);
    await storeFactories[0]!.close(store);
  });
});
