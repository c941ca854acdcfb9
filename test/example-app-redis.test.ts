import { generate } from "otplib";
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

  async function rocketChatLogin(app: ExampleAppProcess, user: string, password: string) {
    const res = await fetch(`${app.url}/api/v1/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ user, password }),
    });
    expect(res.status).toBe(200);
    const data = (await json(res)).data as { userId: string; authToken: string };
    return { "x-user-id": data.userId, "x-auth-token": data.authToken };
  }

  it("accepts a TOTP code on one instance and refuses the same code on the other (single use across instances)", async () => {
    const alice1 = await rocketChatLogin(a, "alice", "alice-password");
    const alice2 = await rocketChatLogin(b, "alice", "alice-password");
    const list = await json(await fetch(`${a.url}/api/v1/sessions/list`, { headers: alice1 }));
    const ids = (list.sessions as { sessionId: string }[]).map((s) => s.sessionId);
    const admin = await rocketChatLogin(a, "admin", "admin-password");
    const adminOnB = await rocketChatLogin(b, "admin", "admin-password");
    const code = await generate({ secret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" });
    const endOn = (app: ExampleAppProcess, headers: Record<string, string>, sessionId: string) =>
      fetch(`${app.url}/api/v1/sessions/logout`, {
        method: "POST",
        headers: { ...headers, "x-2fa-code": code, "content-type": "application/json" },
        body: JSON.stringify({ sessionId }),
      });
    const me = (app: ExampleAppProcess, headers: Record<string, string>) => fetch(`${app.url}/api/v1/me`, { headers }).then((r) => r.status);
    const [first, second] = ids;
    expect(ids.length).toBeGreaterThanOrEqual(2);
    const accepted = await endOn(a, admin, first!);
    expect(accepted.status).toBe(200);
    const replayed = await endOn(b, adminOnB, second!);
    expect(replayed.status).toBe(400);
    expect((await json(replayed)).errorType).toBe("totp-invalid");
    // Exactly one of alice's two sessions ended: the one the accepted code was for; the replay ended nothing.
    const statuses = [await me(b, alice1), await me(a, alice2)].sort();
    expect(statuses).toEqual([200, 401]);
    const alive = statuses[0] === 200 && (await me(a, alice1)) === 200 ? alice1 : alice2;
    const remaining = await json(await fetch(`${b.url}/api/v1/sessions/list`, { headers: alive }));
    const remainingIds = (remaining.sessions as { sessionId: string }[]).map((s) => s.sessionId);
    expect(remainingIds).toContain(second);
    expect(remainingIds).not.toContain(first);
  });

  it("writes only keys under its prefix, each with a TTL", async () => {
    const keys = await scanKeys(client, prefix);
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(await client.pTTL(key), key).toBeGreaterThan(0);
  });
});
