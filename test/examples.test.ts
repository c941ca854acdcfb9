import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { generate } from "otplib";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "./helpers/redis-server.js";

const root = fileURLToPath(new URL("..", import.meta.url));
let running: ChildProcess | undefined;

/** Runs one of `examples/*.ts` as a developer would (`npx tsx examples/x.ts`) on a free port. */
async function run(file: string): Promise<string> {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", file], { cwd: root, env: { ...process.env, PORT: String(port), HOST: "127.0.0.1" }, stdio: ["ignore", "pipe", "pipe"] });
  running = child;
  let output = "";
  child.stdout.on("data", (c: Buffer) => { output += c.toString(); });
  child.stderr.on("data", (c: Buffer) => { output += c.toString(); });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`${file} did not start:\n${output}`)); }, 20_000);
    const poll = setInterval(() => {
      if (/listening|logout (on|routes)/.test(output)) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve();
      }
    }, 25);
  });
  return `http://127.0.0.1:${port}`;
}

afterEach(() => {
  running?.kill("SIGKILL");
  running = undefined;
});

const json = async <T>(res: Response) => (await res.json()) as T;

describe("the small examples, each run as a developer would and driven through its walk-through", () => {
  it("examples/endor-app.ts: login, logout, then 401", async () => {
    const url = await run("examples/endor-app.ts");
    const { token } = await json<{ token: string }>(await fetch(`${url}/v1/auth/login`, { method: "POST" }));
    const auth = { authorization: `Bearer ${token}` };
    expect((await fetch(`${url}/v1/whoami`, { headers: auth })).status).toBe(200);
    expect((await fetch(`${url}/v1/auth/login/logout`, { headers: auth })).status).toBe(200);
    expect(await json(await fetch(`${url}/v1/whoami`, { headers: auth }))).toMatchObject({ code: 16 });
  });

  it("examples/soajs-app.ts: logout answers the user, then data:true", async () => {
    const url = await run("examples/soajs-app.ts");
    const { soajsauth } = await json<{ soajsauth: string }>(await fetch(`${url}/urac/login`, { method: "POST" }));
    const headers = { key: "my-tenant-key", soajsauth };
    expect(await json(await fetch(`${url}/urac/logout`, { headers }))).toMatchObject({ result: true, data: { username: "owner" }, soajsauth });
    expect(await json(await fetch(`${url}/urac/logout`, { headers }))).toEqual({ result: true, data: true, soajsauth });
    expect(soajsauth).toMatch(/^Basic /);
  });

  it("examples/router-prefix.ts: routes under /auth/v2, others then own logout", async () => {
    const url = await run("examples/router-prefix.ts");
    const login = async () => (await json<{ token: string }>(await fetch(`${url}/auth/v2/login`, { method: "POST" }))).token;
    const other = await login();
    const token = await login();
    const auth = { authorization: `Bearer ${token}` };
    expect(await json(await fetch(`${url}/auth/v2/logout/others`, { method: "POST", headers: auth }))).toEqual({ ended: 1 });
    expect((await fetch(`${url}/auth/v2/me`, { headers: { authorization: `Bearer ${other}` } })).status).toBe(401);
    expect((await fetch(`${url}/auth/v2/logout`, { method: "POST", headers: auth })).status).toBe(200);
    expect((await fetch(`${url}/auth/v2/me`, { headers: auth })).status).toBe(401);
  });

  it("examples/rocket-chat-app.ts: the admin ends bob's session with a TOTP code", async () => {
    const url = await run("examples/rocket-chat-app.ts");
    const login = async (user: string) =>
      (await json<{ data: { userId: string; authToken: string; sessionId: string } }>(
        await fetch(`${url}/api/v1/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ user }) }),
      )).data;
    const bob = await login("bob");
    const admin = await login("admin");
    const bobHeaders = { "x-user-id": bob.userId, "x-auth-token": bob.authToken };
    expect((await fetch(`${url}/api/v1/me`, { headers: bobHeaders })).status).toBe(200);
    const res = await fetch(`${url}/api/v1/sessions/logout`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-user-id": admin.userId, "x-auth-token": admin.authToken, "x-2fa-code": await generate({ secret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" }) },
      body: JSON.stringify({ sessionId: bob.sessionId }),
    });
    expect(await json(res)).toEqual({ sessionId: bob.sessionId, success: true });
    expect((await fetch(`${url}/api/v1/me`, { headers: bobHeaders })).status).toBe(401);
  });

  it("examples/kratos-app.ts: the logout URL ends the session and redirects home", async () => {
    const url = await run("examples/kratos-app.ts");
    const login = await fetch(`${url}/login`, { method: "POST" });
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    const { logout_url } = await json<{ logout_url: string }>(await fetch(`${url}/self-service/logout/browser`, { headers: { cookie, accept: "application/json" } }));
    const done = await fetch(logout_url, { headers: { cookie }, redirect: "manual" });
    expect(done.status).toBe(303);
    expect(done.headers.get("location")).toBe("/");
    expect(done.headers.get("set-cookie")).toMatch(/^ory_kratos_session=;/);
    expect((await fetch(`${url}/sessions/whoami`, { headers: { cookie } })).status).toBe(401);
  });

  it("examples/jwt-app.ts: logout really ends the token", async () => {
    const url = await run("examples/jwt-app.ts");
    const { token } = await json<{ token: string }>(
      await fetch(`${url}/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: "alice", password: "alice-password" }) }),
    );
    const auth = { authorization: `Bearer ${token}` };
    expect((await fetch(`${url}/me`, { headers: auth })).status).toBe(200);
    expect((await fetch(`${url}/logout`, { method: "POST", headers: auth })).status).toBe(200);
    expect((await fetch(`${url}/me`, { headers: auth })).status).toBe(401);
  });
});
