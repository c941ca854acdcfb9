/**
 * Security test matrix, group I: code-level guards. Every async dependency that answers "no" (or fails) denies;
 * the lint rules that catch a missing `await` stay errors; dependency floors hold in what is installed; errors
 * echo no secret; cookie options that could inject attributes are refused at setup.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { ESLint } from "eslint";
import express from "express";
import request from "supertest";
import { beforeAll, describe, expect, it } from "vitest";
import {
  MemorySessionStore,
  bodySessionId,
  browserLogoutFlow,
  createLogoutHandler,
  encodeSoajsAuth,
  hashSecret,
  issueSession,
  requirePermission,
  requireTotp,
  shapes,
  type UserDirectory,
  type UserRecord,
} from "../../src/index.js";
import { credentials, demo, exampleHarness, switchableStore, type Harness } from "../helpers/example.js";
import { ADMIN_SECRET, codeAt, wrongCode } from "../helpers/rocket-chat.js";

const ROOT = join(import.meta.dirname, "../..");
const never = () => new Promise<never>(() => undefined);
const admin: UserRecord = { id: "admin", username: "admin" };

describe("I85: every async dependency that says no, says something else, fails or hangs, denies", () => {
  type Stubs = { [K in "findUser" | "hasPermission" | "totpSecret"]?: (...args: never[]) => unknown };

  /** The Rocket.Chat admin route, with one directory callback replaced. */
  async function adminRoute(stubs: Stubs) {
    const store = new MemorySessionStore();
    const caller = await issueSession(store, { userId: "admin" });
    const target = await issueSession(store, { userId: "alice" });
    const users = {
      findUser: (id: string) => Promise.resolve(id === "admin" ? admin : { id, username: id }),
      hasPermission: () => Promise.resolve(true),
      totpSecret: () => Promise.resolve(ADMIN_SECRET),
      ...stubs,
    } as unknown as UserDirectory;
    const app = express();
    const common = { store, users, shape: shapes.rocketChat, timeoutMs: 50 };
    const sessionId = bodySessionId();
    app.post("/logout", express.json(), requirePermission("logout-device-management", { ...common, validate: sessionId }), requireTotp(common), createLogoutHandler({ ...common, target: sessionId }));
    const res = await request(app).post("/logout").set({ "X-User-Id": "admin", "X-Auth-Token": caller.token, "x-2fa-code": await codeAt(ADMIN_SECRET) }).send({ sessionId: target.session.id });
    const alive = (await store.getSession(target.session.id)) !== undefined;
    store.close();
    return { status: res.status, alive };
  }

  it("the route works with honest dependencies (the stubs below are what denies)", async () => {
    expect(await adminRoute({})).toEqual({ status: 200, alive: false });
  });

  it.each([
    ["hasPermission resolving false", { hasPermission: () => Promise.resolve(false) }, 403],
    ["hasPermission resolving the string \"true\"", { hasPermission: () => Promise.resolve("true") }, 403],
    ["hasPermission resolving 1", { hasPermission: () => Promise.resolve(1) }, 403],
    ["hasPermission resolving an object", { hasPermission: () => Promise.resolve({ granted: true }) }, 403],
    ["hasPermission returning a pending Promise inside an array (a missing await)", { hasPermission: () => Promise.resolve([Promise.resolve(true)]) }, 403],
    ["hasPermission rejecting", { hasPermission: () => Promise.reject(new Error("directory down")) }, 503],
    ["hasPermission never settling", { hasPermission: never }, 503],
    ["hasPermission throwing synchronously", { hasPermission: () => { throw new Error("bug"); } }, 503],
    ["findUser resolving undefined", { findUser: () => Promise.resolve(undefined) }, 401],
    ["findUser resolving null", { findUser: () => Promise.resolve(null) }, 401],
    ["findUser rejecting", { findUser: () => Promise.reject(new Error("db down")) }, 503],
    ["totpSecret resolving undefined (not enrolled)", { totpSecret: () => Promise.resolve(undefined) }, 400],
    ["totpSecret resolving null", { totpSecret: () => Promise.resolve(null) }, 400],
    ["totpSecret resolving a number", { totpSecret: () => Promise.resolve(123456) }, 400],
    ["totpSecret rejecting", { totpSecret: () => Promise.reject(new Error("kms down")) }, 503],
    ["totpSecret never settling", { totpSecret: never }, 503],
  ] as const)("%s → %i, and the target's session lives", async (_what, stubs, status) => {
    expect(await adminRoute(stubs as Stubs)).toEqual({ status, alive: true });
  });

  it.each([
    ["findSessionByTokenHash", "with"],
    ["endSessionById", "with"],
    ["incrementCounter", "with"],
    ["readCounter", "with"],
    ["claim", "with"],
    ["recordAuthentication", "with"],
    // A store without the optional `endSessionById` reads the target, then revokes it.
    ["getSession", "without"],
    ["revokeSession", "without"],
  ] as const)("the store's %s rejecting → 503, and the target's session lives (a store %s endSessionById)", async (method, endById) => {
    const base = new MemorySessionStore();
    const store = switchableStore(base);
    if (endById === "without") delete (store as Partial<typeof store>).endSessionById;
    const caller = await issueSession(base, { userId: "admin" });
    const target = await issueSession(base, { userId: "alice" });
    const users = { findUser: () => Promise.resolve(admin), hasPermission: () => Promise.resolve(true), totpSecret: () => Promise.resolve(ADMIN_SECRET) };
    const app = express();
    const common = { store, users, shape: shapes.rocketChat, timeoutMs: 50 };
    app.post("/logout", express.json(), requirePermission("logout-device-management", common), requireTotp(common), createLogoutHandler({ ...common, target: bodySessionId() }));
    store.fail("throw", method);
    const res = await request(app).post("/logout").set({ "X-User-Id": "admin", "X-Auth-Token": caller.token, "x-2fa-code": await codeAt(ADMIN_SECRET) }).send({ sessionId: target.session.id });
    expect(res.status).toBe(503);
    expect(await base.getSession(target.session.id)).toEqual(target.session);
    base.close();
  });

  it.each([
    ["undefined", () => Promise.resolve(undefined), 401],
    ["null", () => Promise.resolve(null), 401],
    ["a record without a secret hash", () => Promise.resolve({ id: "k", userId: "alice" }), 401],
    ["a rejection", () => Promise.reject(new Error("down")), 503],
  ] as const)("findApiKey answering %s → %i, and the key's sessions live", async (_what, findApiKey, status) => {
    const store = new MemorySessionStore();
    const minted = await issueSession(store, { userId: "alice", apiKeyId: "k" });
    const app = express();
    app.get("/v1/auth/:authentication_source/logout", createLogoutHandler({ store, shape: shapes.endor, users: { findUser: () => Promise.resolve(undefined), findApiKey } as unknown as UserDirectory }));
    const res = await request(app).get("/v1/auth/api-key/logout").set({ "X-Api-Key": "k", "X-Api-Secret": "s" });
    expect(res.status).toBe(status);
    expect(await store.getSession(minted.session.id)).toEqual(minted.session);
    store.close();
  });

  it.each([
    ["undefined", () => Promise.resolve(undefined), 200, false],
    ["null", () => Promise.resolve(null), 200, false],
    ["false", () => Promise.resolve(false), 200, false],
    ["a rejection", () => Promise.reject(new Error("down")), 503, false],
  ] as const)("resolveTenantKey answering %s keeps SOAJS' gate shut (%i, result false)", async (_what, resolveTenantKey, status, result) => {
    const store = new MemorySessionStore();
    const { token, session } = await issueSession(store, { userId: "alice" });
    const app = express();
    app.get("/urac/logout", createLogoutHandler({ store, shape: shapes.soajs, users: { findUser: () => Promise.resolve(undefined), resolveTenantKey } as unknown as UserDirectory }));
    const res = await request(app).get("/urac/logout").set({ key: "k", soajsauth: encodeSoajsAuth(token) });
    expect([res.status, (res.body as { result: boolean }).result]).toEqual([status, result]);
    expect(await store.getSession(session.id)).toEqual(session);
    store.close();
  });
});

describe("I85: the lint rules that catch a missing await stay errors", () => {
  it.each(["src/index.ts", "src/handlers/require-totp.ts", "src/store/memory.ts", "examples/app/index.ts", "test/security/I-regression-guards.test.ts"])("in %s", async (file) => {
    const config = (await new ESLint({ cwd: ROOT }).calculateConfigForFile(file)) as { rules: Record<string, unknown> };
    for (const rule of ["@typescript-eslint/no-floating-promises", "@typescript-eslint/no-misused-promises"]) {
      const setting = config.rules[rule];
      const severity = Array.isArray(setting) ? (setting[0] as unknown) : setting;
      expect([rule, severity]).toEqual([rule, 2]);
    }
  });
});

describe("I86: dependency floors hold in what is installed", () => {
  type Version = [number, number, number];
  const parse = (v: string): Version => {
    const [major = 0, minor = 0, patch = 0] = v.replace(/^[^\d]*/, "").split(/[.+-]/).map(Number);
    return [major, minor, patch];
  };
  const atLeast = (v: string, floor: string) => {
    const [a, b] = [parse(v), parse(floor)];
    for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return (a[i] ?? 0) > (b[i] ?? 0);
    return true;
  };

  /** Every installed copy of a package: hoisted and nested, by the name it is installed under. */
  function installed(names: readonly string[]): { name: string; path: string; version: string; realName: string }[] {
    const found: { name: string; path: string; version: string; realName: string }[] = [];
    const visit = (dir: string, depth: number) => {
      if (depth > 8 || !existsSync(dir)) return;
      for (const entry of readdirSync(dir)) {
        if (entry.startsWith(".")) continue;
        const packages = entry.startsWith("@") ? readdirSync(join(dir, entry)).map((n) => `${entry}/${n}`) : [entry];
        for (const name of packages) {
          const path = join(dir, name);
          const manifest = join(path, "package.json");
          if (names.includes(name) && existsSync(manifest)) {
            const pkg = JSON.parse(readFileSync(manifest, "utf8")) as { version: string; name: string };
            found.push({ name, path, version: pkg.version, realName: pkg.name });
          }
          visit(join(path, "node_modules"), depth + 1);
        }
      }
    };
    visit(join(ROOT, "node_modules"), 0);
    return found;
  }

  const all = installed(["express", "express4", "jsonwebtoken", "cookie", "passport"]);

  it("finds both Express majors, jsonwebtoken and cookie", () => {
    const names = new Set(all.map((p) => p.name));
    for (const name of ["express", "express4", "jsonwebtoken", "cookie"]) expect(names).toContain(name);
  });

  it.each([
    ["express", "4.21.0", "the open-redirect fix of CVE-2024-29041 is 4.19.2; 4.21 also fixes path-to-regexp ReDoS"],
    ["express4", "4.21.0", "the Express 4 the suite runs on"],
    ["jsonwebtoken", "9.0.0", "CVE-2022-23540/23541/23539: algorithm none, key confusion, legacy key types"],
    ["cookie", "0.7.0", "CVE-2024-47764: cookie name, path and domain injection"],
    ["passport", "0.6.0", "CVE-2022-25896: session fixation on login and logout (only if present)"],
  ] as const)("every installed %s is at least %s (%s)", (name, floor, _why) => {
    for (const copy of all.filter((p) => p.name === name)) expect(atLeast(copy.version, floor), `${copy.path} is ${copy.version}`).toBe(true);
  });

  it("the package asks its users for the same floors", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { peerDependencies: Record<string, string>; dependencies: Record<string, string> };
    expect(pkg.peerDependencies.express).toBe("^4.21.0 || ^5.0.0");
    expect(atLeast(pkg.dependencies.jsonwebtoken!.replace(/^\^/, ""), "9.0.0")).toBe(true);
  });
});

describe("I87: no answer and no event carries a token, a code, a secret or a stack trace", () => {
  let h: Harness;
  beforeAll(() => {
    h = exampleHarness();
  });

  it("over a round of refusals and successes on every product", async () => {
    const alice = await h.login("alice");
    const adminSession = await h.login("admin");
    const victim = await h.login("alice");
    const forged = "FORGEDtokenFORGEDtokenFORGEDtokenFORGED0000";
    const wrong = await wrongCode(demo.adminTotpSecret);
    const good = await codeAt(demo.adminTotpSecret);
    const responses: request.Response[] = [];
    const send = async (r: request.Test) => {
      responses.push(await r);
    };
    await send(request(h.app).get("/v1/auth/login/logout").set(credentials.endor(forged)));
    await send(request(h.app).get("/v1/auth/api-key/logout").set({ "X-Api-Key": demo.apiKey, "X-Api-Secret": "FORGEDsecret" }));
    await send(request(h.app).get(`/v1/auth/api-key/logout?key=${demo.apiKey}&secret=${demo.apiSecret}`));
    await send(request(h.app).get("/urac/logout").set({ key: "FORGEDtenant", soajsauth: encodeSoajsAuth(forged) }));
    await send(request(h.app).post("/api/v1/sessions/logout").set({ ...credentials.rocketChat("admin", adminSession.token), "x-2fa-code": wrong }).send({ sessionId: victim.session.id }));
    await send(request(h.app).post("/api/v1/sessions/logout").set({ ...credentials.rocketChat("admin", adminSession.token), "x-2fa-code": good }).send({ sessionId: victim.session.id }));
    await send(request(h.app).post("/api/v1/sessions/logout").set({ ...credentials.rocketChat("admin", adminSession.token), "x-2fa-code": good }).send({ sessionId: victim.session.id }));
    await send(request(h.app).post("/api/v1/sessions/logout").set({ ...credentials.rocketChat("alice", alice.token), "x-2fa-code": good }).send({ sessionId: adminSession.session.id }));
    await send(request(h.app).delete("/self-service/logout/api").set("Content-Type", "application/json").send(JSON.stringify({ session_token: forged })));
    await send(request(h.app).get("/self-service/logout").query({ token: "ory_lo_FORGED" }).set(credentials.kratosCookie(alice.token)));
    await send(request(h.app).post("/v1/auth/login").send({ username: "alice", password: "FORGEDpassword" }));
    await send(request(h.app).post("/api/v1/login").send({ user: "admin", password: "FORGEDpassword" }));
    await send(request(h.app).get("/v1/auth/login/logout").set(credentials.endor(alice.token)));

    const secrets = [
      forged,
      hashSecret(forged),
      alice.token,
      hashSecret(alice.token),
      adminSession.token,
      victim.token,
      wrong,
      good,
      "FORGEDsecret",
      "FORGEDpassword",
      "FORGEDtenant",
      demo.apiSecret,
      demo.alicePassword,
      demo.adminPassword,
      demo.adminTotpSecret,
    ];
    const answers = responses.map((r) => `${String(r.status)} ${JSON.stringify(r.headers)} ${r.text}`).join("\n");
    const events = JSON.stringify(h.events);
    for (const secret of secrets) {
      expect(answers).not.toContain(secret);
      expect(events).not.toContain(secret);
    }
    expect(answers).not.toMatch(/\n\s+at |Error:|node_modules|\.ts:\d+/);
    expect(responses.map((r) => r.status).every((s) => s < 500)).toBe(true);
  });
});

describe("I88: cookie options that could inject cookie attributes are refused at setup", () => {
  const valid = { store: new MemorySessionStore(), publicUrl: "https://auth.example.com", secrets: ["s".repeat(32)] };

  it.each([
    ["a name with ;", { name: "sid; Domain=evil.example" }],
    ["a name with =", { name: "sid=x" }],
    ["a name with CR/LF", { name: "sid\r\nSet-Cookie: x=1" }],
    ["a name with a space", { name: "s id" }],
    ["a path with ;", { path: "/; Domain=evil.example" }],
    ["a path with CR/LF", { path: "/\r\nX: 1" }],
    ["a path with a space", { path: "/a b" }],
    ["a path without a leading slash", { path: "app" }],
    ["a domain with ;", { domain: "example.com; Secure" }],
    ["a domain with =", { domain: "a=b.example" }],
    ["a domain with CR/LF", { domain: "example.com\r\n" }],
    ["a domain with a path", { domain: "example.com/x" }],
  ])("%s", (_what, sessionCookie) => {
    expect(() => browserLogoutFlow({ ...valid, sessionCookie })).toThrow(TypeError);
  });

  it("a valid cookie configuration is accepted and sets exactly what it says", async () => {
    const flow = browserLogoutFlow({ ...valid, sessionCookie: { name: "__Host-sid", path: "/", secure: true } });
    const app = express();
    app.get("/", (_req, res) => {
      flow.setSessionCookie(res, "t0ken");
      res.end();
    });
    const res = await request(app).get("/");
    expect(res.headers["set-cookie"]).toEqual(["__Host-sid=t0ken; Path=/; HttpOnly; Secure; SameSite=Lax"]);
  });
});
