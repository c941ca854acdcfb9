import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startExampleApp, type ExampleAppProcess } from "./helpers/app-process.js";
import { connectRedisV5, deleteKeys, scanKeys, testPrefix, type RedisV5Client } from "./helpers/redis.js";
import { needService, portOpen } from "./helpers/services.js";

const REDIS_URL = "redis://127.0.0.1:6379";
const redis = await needService("Redis on 127.0.0.1:6379", () => portOpen(6379));

async function json(res: Response): Promise<Record<string, unknown>> {
  return (await res.json()) as Record<string, unknown>;
}

describe.skipIf(!redis)("two example-app processes sharing one Redis", () => {
  const prefix = testPrefix("instances");
  let a: ExampleAppProcess;
  let b: ExampleAppProcess;
  let client: RedisV5Client;
  const apps: ExampleAppProcess[] = [];

  beforeAll(async () => {
    client = await connectRedisV5(REDIS_URL);
    const env = { REDIS_URL, REDIS_PREFIX: prefix };
    const started = await Promise.allSettled([startExampleApp({ env }), startExampleApp({ env })]);
    for (const s of started) if (s.status === "fulfilled") apps.push(s.value);
    for (const s of started) if (s.status === "rejected") throw s.reason;
    [a, b] = apps as [ExampleAppProcess, ExampleAppProcess];
  });

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.stop()));
    await deleteKeys(client, prefix);
    await client.close();
  });

  async function endorLogin(app: ExampleAppProcess): Promise<string> {
    const res = await fetch(`${app.url}/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "alice", password: "alice-password" }),
    });
    expect(res.status).toBe(200);
    return (await json(res)).token as string;
  }

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  it("prints that it uses the Redis store", () => {
    expect(a.output()).toContain(`store: redis (RedisSessionStore on ${REDIS_URL}`);
    expect(b.output()).toContain(`key prefix "${prefix}"`);
  });

  it("refuses on one instance a session ended through the other (Endor Labs)", async () => {
    const token = await endorLogin(a);
    // B knows the session (and has cached its route) before A ends it.
    expect((await fetch(`${b.url}/v1/auth`, { headers: bearer(token) })).status).toBe(200);
    expect((await fetch(`${a.url}/v1/auth`, { headers: bearer(token) })).status).toBe(200);

    const logout = await fetch(`${a.url}/v1/auth/login/logout`, { headers: bearer(token) });
    expect(logout.status).toBe(200);

    const after = await fetch(`${b.url}/v1/auth`, { headers: bearer(token) });
    expect(after.status).toBe(401);
    expect((await json(after)).code).toBe(16);
    expect((await fetch(`${a.url}/v1/auth`, { headers: bearer(token) })).status).toBe(401);
    // A second logout, through either instance, finds nothing to end.
    expect((await fetch(`${b.url}/v1/auth/login/logout`, { headers: bearer(token) })).status).toBe(401);
  });

  it("keeps the other sessions of the user alive on both instances", async () => {
    const ended = await endorLogin(b);
    const kept = await endorLogin(a);
    expect((await fetch(`${a.url}/v1/auth/login/logout`, { headers: bearer(ended) })).status).toBe(200);
    expect((await fetch(`${a.url}/v1/auth`, { headers: bearer(kept) })).status).toBe(200);
    expect((await fetch(`${b.url}/v1/auth`, { headers: bearer(kept) })).status).toBe(200);
    expect((await fetch(`${b.url}/v1/auth`, { headers: bearer(ended) })).status).toBe(401);
  });

  it("refuses on one instance a SOAJS session logged out through the other", async () => {
    const headers = { key: "demo-tenant-key", "content-type": "application/json" };
    const login = await json(await fetch(`${b.url}/urac/login`, { method: "POST", headers, body: JSON.stringify({ username: "alice", password: "alice-password" }) }));
    expect(login.result).toBe(true);
    const soajsauth = login.soajsauth as string;
    const account = async (app: ExampleAppProcess) => json(await fetch(`${app.url}/urac/account`, { headers: { key: "demo-tenant-key", soajsauth } }));
    expect((await account(a)).result).toBe(true);
    const logout = await json(await fetch(`${b.url}/urac/logout`, { headers: { key: "demo-tenant-key", soajsauth } }));
    expect(logout.result).toBe(true);
    expect((await account(a)).result).toBe(false);
  });

  it("writes only keys under its prefix, each with a TTL", async () => {
    const keys = await scanKeys(client, prefix);
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(await client.pTTL(key), key).toBeGreaterThan(0);
  });
});
