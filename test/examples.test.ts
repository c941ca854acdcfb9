import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { generate } from "otplib";
import { afterEach, describe, expect, it } from "vitest";
import { CookieBrowser } from "./helpers/cookie-browser.js";
import { appSessionToken, signIn, signOutAtProvider } from "./helpers/oidc.js";
import { freePort } from "./helpers/redis-server.js";
import { needService, portOpen } from "./helpers/services.js";

const root = fileURLToPath(new URL("..", import.meta.url));
let running: ChildProcess | undefined;

/** Runs one of `examples/*.ts` as a developer would (`npx tsx examples/x.ts`) on a free port. */
async function run(file: string, env: Record<string, string> = {}, startMs = 20_000): Promise<string> {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", file], { cwd: root, env: { ...process.env, ...env, PORT: String(port), HOST: "127.0.0.1" }, stdio: ["ignore", "pipe", "pipe"] });
  running = child;
  let output = "";
  child.stdout.on("data", (c: Buffer) => { output += c.toString(); });
  child.stderr.on("data", (c: Buffer) => { output += c.toString(); });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`${file} did not start:\n${output}`)); }, startMs);
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

/** The fenced block of `lang` that follows `after` in the README. */
function readmeBlock(after: string, lang: string): string {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const start = readme.indexOf(after);
  expect(start, `README has no "${after}"`).toBeGreaterThanOrEqual(0);
  const open = readme.indexOf("```" + lang + "\n", start);
  const close = readme.indexOf("\n```\n", open);
  return readme.slice(open + lang.length + 4, close + 1);
}

describe("the quick start, exactly as the README shows it", () => {
  it("the README's quick start is examples/quick-start.ts, byte for byte", () => {
    expect(readmeBlock("## Quick start", "ts")).toBe(readFileSync(new URL("../examples/quick-start.ts", import.meta.url), "utf8"));
  });

  it("the README's curl lines: login, the protected route, logout, then 401", async () => {
    const url = await run("examples/quick-start.ts");
    const script = readmeBlock("Then, in another terminal", "sh").replaceAll("localhost:3000", url.replace("http://", ""));
    const { stdout } = await promisify(execFile)("bash", ["-euo", "pipefail", "-c", script], { timeout: 20_000 });
    const [me, logout, after, ...rest] = stdout.trim().split(/\n|(?<=\})(?=\{)/);
    expect(rest).toEqual([]);
    const { sessionId } = JSON.parse(me ?? "") as { sessionId: string };
    expect(JSON.parse(me ?? "")).toEqual({ username: "alice", sessionId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(JSON.parse(logout ?? "")).toEqual({ ended: 1, sessionId });
    expect(JSON.parse(after ?? "")).toMatchObject({ status: 401, code: "unauthenticated" });
  });

  it("examples/quick-start.ts answers every body of the README's table", async () => {
    const url = await run("examples/quick-start.ts");
    const login = async (password = "alice-password") =>
      fetch(`${url}/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: "alice", password }) });
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
    const open = async () => (await json<{ token: string }>(await login())).token;

    const wrong = await login("not-the-password");
    expect(wrong.status).toBe(401);
    const [a, b, c] = [await open(), await open(), await open()];

    // A refusal is problem+json and ends nothing: the sessions still work afterwards.
    const refused = await fetch(`${url}/logout`, { method: "POST", headers: bearer("not-a-token") });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("content-type")).toBe("application/problem+json; charset=utf-8");
    expect(await refused.json()).toEqual({
      type: "https://express-logout.dev/errors/unauthenticated",
      title: "Unauthenticated",
      status: 401,
      detail: expect.any(String),
      code: "unauthenticated",
    });
    for (const token of [a, b, c]) expect((await fetch(`${url}/me`, { headers: bearer(token) })).status).toBe(200);

    const me = await json<{ sessionId: string }>(await fetch(`${url}/me`, { headers: bearer(a) }));
    expect(await json(await fetch(`${url}/logout`, { method: "POST", headers: bearer(a) }))).toEqual({ ended: 1, sessionId: me.sessionId });
    expect(await json(await fetch(`${url}/logout/others`, { method: "POST", headers: bearer(b) }))).toEqual({ ended: 1 });
    expect((await fetch(`${url}/me`, { headers: bearer(c) })).status).toBe(401);
    expect(await json(await fetch(`${url}/logout/everywhere`, { method: "POST", headers: bearer(b) }))).toEqual({ ended: 1 });
    expect((await fetch(`${url}/me`, { headers: bearer(b) })).status).toBe(401);
  });
});

describe("the examples a user copies, as the package ships them", () => {
  it("import the package by its name, never the repository's source", () => {
    const shipped = readdirSync(new URL("../examples", import.meta.url)).filter((f) => f.endsWith(".ts") && f !== "server.ts");
    expect(shipped).toContain("quick-start.ts");
    for (const file of shipped) {
      const text = readFileSync(new URL(`../examples/${file}`, import.meta.url), "utf8");
      expect(text, `examples/${file}`).toMatch(/from "express-logout(\/testing)?";/);
      expect(text, `examples/${file} must import "express-logout", as a user's app does`).not.toMatch(/from "\.\.\//);
    }
  });
});

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

  it("examples/oidc-app.ts: sign in through the provider, sign out there, and the app's session has ended", async () => {
    const providerPort = await freePort();
    // Two servers and the provider's modules to load: more start-up time on a busy machine than the small examples.
    const url = await run("examples/oidc-app.ts", { OIDC_PROVIDER_PORT: String(providerPort) }, 50_000);
    const browser = new CookieBrowser();
    const home = await signIn(browser, url, "alice");
    expect(home.body).toContain("Signed in as alice");
    const cookie = `app_session=${appSessionToken(browser)}`;
    expect((await fetch(`${url}/me`, { headers: { cookie } })).status).toBe(200);
    await signOutAtProvider(browser, `http://127.0.0.1:${providerPort}`);
    expect((await fetch(`${url}/me`, { headers: { cookie } })).status).toBe(401);
    expect((await browser.get(`${url}/`)).body).toContain("Not signed in");
  }, 90_000);
});

const redisForPassportApp = await needService("Redis on 127.0.0.1:6379", () => portOpen(6379));

describe("examples/passport-app.ts: an express-session + passport app with real logout", () => {
  /** A browser: keeps the session cookie it is given, and sends it back. */
  function browser(url: string) {
    let cookie = "";
    const send = async (path: string, init: RequestInit = {}) => {
      const res = await fetch(`${url}${path}`, { ...init, redirect: "manual", headers: { ...(init.headers as Record<string, string>), cookie } });
      const set = res.headers.get("set-cookie");
      if (set?.startsWith("connect.sid=")) cookie = set.split(";")[0] ?? "";
      return res;
    };
    const form = (path: string, fields: Record<string, string>) =>
      send(path, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(fields).toString() });
    return {
      send,
      form,
      login: async (username: string) => {
        const res = await form("/login", { username, password: `${username}-password` });
        expect(res.status).toBe(303);
        expect(res.headers.get("location")).toBe("/");
      },
      page: async () => {
        const res = await send("/");
        return { status: res.status, html: await res.text() };
      },
    };
  }

  const otherSessionIds = (html: string) => [...html.matchAll(/name="id" value="([0-9a-f-]{36})"/g)].map((m) => m[1]!);

  const passportAppStores: [string, boolean][] = [["memory stores", false], ...(redisForPassportApp ? [["connect-redis + RedisSessionStore", true] as [string, boolean]] : [])];
  it.each(passportAppStores)("on %s: log in twice, see two sessions, end the other one", async (_name, onRedis) => {
    const url = await run("examples/passport-app.ts", onRedis ? { REDIS_URL: "redis://127.0.0.1:6379", REDIS_PREFIX: `express-logout:test:passport-app:${randomUUID()}:` } : {});
    const [laptop, phone] = [browser(url), browser(url)];
    const signIn = await laptop.page();
    expect(signIn.status).toBe(401);
    expect(signIn.html).toContain('<form method="post" action="/login">');
    await laptop.login("alice");
    await phone.login("alice");
    const page = await laptop.page();
    expect(page.status).toBe(200);
    expect(page.html).toContain("Signed in as alice");
    expect(page.html).toContain("this device");
    const [other, ...more] = otherSessionIds(page.html);
    expect(more).toEqual([]);
    expect((await laptop.form("/sessions/end", { id: other! })).status).toBe(303);
    expect((await phone.page()).status).toBe(401);
    expect(otherSessionIds((await laptop.page()).html)).toEqual([]);
    expect((await laptop.page()).status).toBe(200);
  });

  it("logs out everywhere else, everywhere, and through passport's own req.logout", async () => {
    const url = await run("examples/passport-app.ts");
    const [a, b, c] = [browser(url), browser(url), browser(url)];
    for (const device of [a, b, c]) await device.login("bob");
    expect((await a.form("/sessions/end-others", {})).status).toBe(303);
    expect((await b.page()).status).toBe(401);
    expect((await a.page()).status).toBe(200);
    await b.login("bob");
    expect((await b.form("/sessions/end-all", {})).status).toBe(303);
    expect((await a.page()).status).toBe(401);
    expect((await b.page()).status).toBe(401);
    await c.login("bob");
    expect((await c.form("/logout", {})).status).toBe(303);
    expect((await c.page()).status).toBe(401);
  });

  it("lets the admin end one of alice's sessions with a TOTP code, in Rocket.Chat's bodies", async () => {
    const url = await run("examples/passport-app.ts");
    const [alice, admin] = [browser(url), browser(url)];
    await alice.login("alice");
    await admin.login("admin");
    const adminPage = (await admin.page()).html;
    const victim = /data-session="([0-9a-f-]{36})"/.exec(adminPage)?.[1];
    expect(victim).toBeDefined();
    const post = async (code: string) =>
      admin.send("/api/v1/sessions/logout", { method: "POST", headers: { "content-type": "application/json", "x-2fa-code": code }, body: JSON.stringify({ sessionId: victim }) });
    const wrong = await post("000000");
    expect(wrong.status).toBe(400);
    expect((await alice.page()).status).toBe(200);
    const res = await post(await generate({ secret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" }));
    expect(await json(res)).toEqual({ sessionId: victim, success: true });
    expect((await alice.page()).status).toBe(401);
  });
});

describe("the README's express-session section, followed word for word on a passport app", () => {
  it("ends the other device and keeps this one", async () => {
    // A new express-session + passport app: its store, its secret, passport-local and a login route. The README's
    // lines go in the middle, exactly as printed.
    const before = `import express from "express";
import session from "express-session";
import passport from "passport";
import { Strategy as LocalStrategy } from "passport-local";
const app = express();
app.use(express.urlencoded({ extended: false }));
const yourStore = new session.MemoryStore();
const secret = "a-secret-for-the-readme-test-0123456789";
const handler = (req, res) => { res.json({ user: req.user }); };
passport.use(new LocalStrategy((username, password, done) => { done(null, username === "alice" && password === "alice-password" ? { id: 1 } : false); }));
passport.serializeUser((user, done) => { done(null, user.id); });
passport.deserializeUser((id, done) => { done(null, { id }); });
`;
    const after = `
app.post("/login", passport.authenticate("local"), (req, res) => { res.json({ ok: true }); });
app.listen(Number(process.env.PORT), "127.0.0.1", () => { console.log("listening"); });
`;
    mkdirSync(join(root, ".tmp"), { recursive: true });
    const file = join(root, ".tmp", `readme-express-session-${randomUUID()}.ts`);
    writeFileSync(file, before + readmeBlock("## Already using express-session and passport?", "ts") + after);
    try {
      const url = await run(file);
      const login = async () => {
        const res = await fetch(`${url}/login`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "username=alice&password=alice-password" });
        expect(res.status).toBe(200);
        return (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
      };
      const [laptop, phone] = [await login(), await login()];
      expect((await fetch(`${url}/account`, { headers: { cookie: phone } })).status).toBe(200);
      expect(await json(await fetch(`${url}/logout/others`, { method: "POST", headers: { cookie: laptop } }))).toEqual({ ended: 1 });
      expect((await fetch(`${url}/account`, { headers: { cookie: phone } })).status).toBe(401);
      expect(await json(await fetch(`${url}/account`, { headers: { cookie: laptop } }))).toEqual({ user: { id: 1 } });
    } finally {
      rmSync(file, { force: true });
    }
  });
});
