import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { generate } from "otplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../helpers/redis-server.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** `npm start` exactly as a newcomer runs it, then one login → logout → who-am-I per product over HTTP. */
describe("npm start", () => {
  let child: ChildProcess;
  let url: string;
  let output = "";

  beforeAll(async () => {
    const port = await freePort();
    child = spawn("npm", ["start", "--silent"], { cwd: root, env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", REDIS_URL: "" }, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout?.on("data", (chunk: Buffer) => { output += chunk.toString(); });
    child.stderr?.on("data", (chunk: Buffer) => { output += chunk.toString(); });
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error(`npm start printed no URL:\n${output}`)); }, 30_000);
      const poll = setInterval(() => {
        const match = /listening on (http:\/\/\S+)/.exec(output);
        if (match?.[1] !== undefined) {
          clearInterval(poll);
          clearTimeout(timer);
          resolve(match[1]);
        }
      }, 50);
    });
  }, 40_000);

  afterAll(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${url}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });

  it("prints its URL, the store and the demo data", () => {
    expect(output).toContain("store: memory");
    for (const text of ["alice-password", "admin-password", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "demo-key", "demo-secret", "demo-tenant-key"]) expect(output).toContain(text);
  });

  it("serves the page at /", async () => {
    const res = await fetch(`${url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.text()).toContain('action="/self-service/login"');
  });

  it("Endor Labs: login, logout, then who-am-I is 401", async () => {
    const { token } = (await (await post("/v1/auth/login", { username: "alice", password: "alice-password" })).json()) as { token: string };
    const auth = { authorization: `Bearer ${token}` };
    expect((await fetch(`${url}/v1/auth`, { headers: auth })).status).toBe(200);
    expect((await fetch(`${url}/v1/auth/login/logout`, { headers: auth })).status).toBe(200);
    expect((await fetch(`${url}/v1/auth`, { headers: auth })).status).toBe(401);
  });

  it("SOAJS: login, logout, then the account answers result:false", async () => {
    const key = { key: "demo-tenant-key" };
    const { soajsauth } = (await (await post("/urac/login", { username: "alice", password: "alice-password" }, key)).json()) as { soajsauth: string };
    const headers = { ...key, soajsauth };
    expect(((await (await fetch(`${url}/urac/account`, { headers })).json()) as { result: boolean }).result).toBe(true);
    expect(((await (await fetch(`${url}/urac/logout`, { headers })).json()) as { result: boolean }).result).toBe(true);
    expect(((await (await fetch(`${url}/urac/account`, { headers })).json()) as { result: boolean }).result).toBe(false);
  });

  it("Ory Kratos: login, browser logout flow, then who-am-I is 401", async () => {
    const login = await post("/self-service/login", { username: "alice", password: "alice-password" });
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    const flow = (await (await fetch(`${url}/self-service/logout/browser`, { headers: { cookie, accept: "application/json" } })).json()) as { logout_url: string };
    const done = await fetch(flow.logout_url, { headers: { cookie }, redirect: "manual" });
    expect(done.status).toBe(303);
    expect(done.headers.get("location")).toBe("/");
    expect((await fetch(`${url}/sessions/whoami`, { headers: { cookie } })).status).toBe(401);
  });

  it("Rocket.Chat: the admin ends alice's session with a TOTP code, then alice's /me is 401", async () => {
    const login = async (user: string, password: string) => {
      const { data } = (await (await post("/api/v1/login", { user, password })).json()) as { data: { userId: string; authToken: string } };
      return { "x-user-id": data.userId, "x-auth-token": data.authToken };
    };
    const alice = await login("alice", "alice-password");
    const admin = await login("admin", "admin-password");
    const { sessions } = (await (await fetch(`${url}/api/v1/sessions/list`, { headers: alice })).json()) as { sessions: { sessionId: string }[] };
    const code = await generate({ secret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" });
    const res = await post("/api/v1/sessions/logout", { sessionId: sessions[0]!.sessionId }, { ...admin, "x-2fa-code": code });
    expect(await res.json()).toEqual({ sessionId: sessions[0]!.sessionId, success: true });
    expect((await fetch(`${url}/api/v1/me`, { headers: alice })).status).toBe(401);
  });

  it("shuts down cleanly on SIGTERM: it closes, exits within seconds, and the port is free", async () => {
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once("exit", (code, signal) => { resolve({ code, signal }); });
    });
    const started = Date.now();
    child.kill("SIGTERM");
    const { code, signal } = await exited;
    // npm passes the signal to the app, then ends itself with the same signal (or the app's code).
    expect(code === 0 || signal === "SIGTERM").toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(output).toContain("SIGTERM: closing");
    expect(output).not.toMatch(/Error|unhandled/i);
    await expect(fetch(`${url}/`)).rejects.toThrow();
  });
});
