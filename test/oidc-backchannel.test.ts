import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LogoutEvents, MemorySessionStore, RedisSessionStore, hashSecret, hasStoreCapability, type ProviderSessionLinks, type LogoutEventMap, type SessionStore } from "../src/index.js";
import { CookieBrowser } from "./helpers/cookie-browser.js";
import { CLIENT_ID, appSessionToken, startOidcSetup, signIn, signOutAtProvider, type OidcSetup } from "./helpers/oidc.js";
import { connectRedisV5, deleteKeys, testPrefix, type RedisV5Client } from "./helpers/redis.js";
import { needService, portOpen } from "./helpers/services.js";

const redis = await needService("Redis on 127.0.0.1:6379", () => portOpen(6379));

/** What `GET /me` of an app instance answers for a browser's app session. */
async function me(url: string, token: string): Promise<number> {
  const res = await fetch(`${url}/me`, { headers: { cookie: `app_session=${token}` } });
  await res.arrayBuffer();
  return res.status;
}

async function sessionOf(store: SessionStore, token: string) {
  return store.findSessionByTokenHash(hashSecret(token));
}

interface Scenario {
  readonly name: string;
  readonly skip: boolean;
  open(): Promise<{ stores: SessionStore[]; close(): Promise<void> }>;
}

const scenarios: Scenario[] = [
  {
    name: "one app instance on MemorySessionStore",
    skip: false,
    open: () => {
      const store = new MemorySessionStore();
      return Promise.resolve({ stores: [store], close: () => { store.close(); return Promise.resolve(); } });
    },
  },
  {
    name: "two app instances sharing Redis, the provider calling the second",
    skip: !redis,
    async open() {
      const clients: RedisV5Client[] = [await connectRedisV5("redis://127.0.0.1:6379"), await connectRedisV5("redis://127.0.0.1:6379")];
      const prefix = testPrefix("oidc");
      const stores = clients.map((c) => new RedisSessionStore({ sendCommand: (args) => c.sendCommand(args), prefix, isReady: () => c.isReady }));
      return {
        stores,
        async close() {
          await deleteKeys(clients[0]!, prefix);
          for (const c of clients) await c.close();
        },
      };
    },
  },
];

describe.each(scenarios)("back-channel logout from a real OpenID Provider: $name", (scenario) => {
  let setup: OidcSetup;
  let close: () => Promise<void>;
  const events = new LogoutEvents();
  const seen: LogoutEventMap["backchannel.logout"][] = [];
  const refused: LogoutEventMap["backchannel.refused"][] = [];
  events.on("backchannel.logout", (e) => seen.push(e));
  events.on("backchannel.refused", (e) => refused.push(e));

  beforeAll(async () => {
    if (scenario.skip) return;
    const opened = await scenario.open();
    close = () => opened.close();
    setup = await startOidcSetup({ stores: opened.stores, events });
  });
  afterAll(async () => {
    if (scenario.skip) return;
    await setup.close();
    await close();
  });

  const first = () => setup.instances[0]!;
  const every = () => setup.instances;

  it.skipIf(scenario.skip)("signs in with code + PKCE through the provider's login and consent pages, and links the session to the provider session", async () => {
    const browser = new CookieBrowser();
    const home = await signIn(browser, first().url, "alice");
    expect(home.body).toContain("Signed in as alice");
    const token = appSessionToken(browser);
    const session = await sessionOf(first().store, token);
    expect(session?.userId).toBe("alice");
    const store = first().store;
    expect(hasStoreCapability(store, "provider-links")).toBe(true);
    const links = (await (store as SessionStore & ProviderSessionLinks).findSessionsByProviderSubject(setup.op.issuer, "alice")).filter((l) => l.sessionId === session?.id);
    expect(links).toHaveLength(1);
    expect(links[0]?.sid).toMatch(/^[\w-]{10,}$/);
  });

  it.skipIf(scenario.skip)("ends exactly the local session of the provider session that signed out, on every instance", async () => {
    const laptop = new CookieBrowser();
    const phone = new CookieBrowser();
    await signIn(laptop, first().url, "bob");
    await signIn(phone, first().url, "bob");
    const laptopToken = appSessionToken(laptop);
    const phoneToken = appSessionToken(phone);
    const laptopSession = await sessionOf(first().store, laptopToken);
    for (const { url } of every()) {
      expect(await me(url, laptopToken)).toBe(200);
      expect(await me(url, phoneToken)).toBe(200);
    }
    seen.length = 0;

    const done = await signOutAtProvider(laptop, setup.op.issuer);
    expect(done.status).toBe(200);
    // The provider waits for the back-channel answer before it shows its "signed out" page.
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ issuer: setup.op.issuer, subject: "bob", count: 1, sessionIds: [laptopSession?.id] });
    for (const { url, store } of every()) {
      expect(await me(url, laptopToken)).toBe(401);
      expect(await me(url, phoneToken)).toBe(200);
      expect(await sessionOf(store, laptopToken)).toBeUndefined();
      expect((await sessionOf(store, phoneToken))?.userId).toBe("bob");
    }
  });

  it.skipIf(scenario.skip)("ends every local session of the user when the provider signs the user out without a sid", async () => {
    const browsers = [new CookieBrowser(), new CookieBrowser()];
    for (const b of browsers) await signIn(b, first().url, "carol");
    const other = new CookieBrowser();
    await signIn(other, first().url, "dave");
    const tokens = browsers.map(appSessionToken);
    seen.length = 0;

    // The provider's own sender, asked to log the user out everywhere: a logout token with `sub` and no `sid`.
    const client = (await setup.op.provider.Client.find(CLIENT_ID)) as unknown as { backchannelLogout(sub: string, sid: string | undefined): Promise<void> } | undefined;
    expect(client).toBeDefined();
    await client?.backchannelLogout("carol", undefined);

    expect(seen).toEqual([expect.objectContaining({ subject: "carol", sid: undefined, count: 2 })]);
    for (const { url } of every()) {
      for (const token of tokens) expect(await me(url, token)).toBe(401);
      expect(await me(url, appSessionToken(other))).toBe(200);
    }
  });

  it.skipIf(scenario.skip)("answers a provider that signs out a session the app has already ended with 200, ending nothing more", async () => {
    const browser = new CookieBrowser();
    await signIn(browser, first().url, "erin");
    const token = appSessionToken(browser);
    const session = await sessionOf(first().store, token);
    expect(await first().store.revokeSession(session?.id ?? "")).toBe(true);
    seen.length = 0;
    refused.length = 0;
    const errors: unknown[] = [];
    setup.op.provider.once("backchannel.error", (_ctx, error) => errors.push(error));
    await signOutAtProvider(browser, setup.op.issuer);
    expect(errors).toEqual([]);
    expect(refused).toEqual([]);
    expect(seen).toEqual([expect.objectContaining({ subject: "erin", count: 0, sessionIds: [] })]);
  });
});
