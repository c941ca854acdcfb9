/**
 * Security test matrix, group E: an administrator ends another user's session (permission + `x-2fa-code`), on
 * the example app's Rocket.Chat route. Most cases are pinned in test/require-totp.test.ts,
 * test/require-permission.test.ts and test/rocket-chat.test.ts (docs/security.md maps them); this file adds the
 * rest.
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import request from "supertest";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { MemorySessionStore, requireTotp } from "../../src/index.js";
import { credentials, demo, exampleHarness, type Harness } from "../helpers/example.js";
import { TestDirectory, codeAt, wrongCode } from "../helpers/rocket-chat.js";

let h: Harness;

beforeEach(() => {
  // A fresh app (and store) per test: TOTP markers and failure counters start empty.
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(Date.parse("2030-06-01T12:00:10Z"));
  h = exampleHarness();
});

afterEach(() => {
  vi.useRealTimers();
});

/** `POST /api/v1/sessions/logout` as the administrator whose session token this is. */
const adminLogout = (token: string, body: unknown, headers: Record<string, string> = {}) =>
  request(h.app).post("/api/v1/sessions/logout").set({ ...credentials.rocketChat("admin", token), ...headers }).send(body as object);

describe("E59: wrong codes are counted per account, whatever session or address they come from", () => {
  it("five wrong codes from five sessions and five X-Forwarded-For addresses lock the account: even the right code is a 429", async () => {
    const target = await h.login("alice");
    const wrong = await wrongCode(demo.adminTotpSecret);
    for (let i = 0; i < 5; i++) {
      const admin = await h.login("admin");
      const res = await adminLogout(admin.token, { sessionId: target.session.id }, { "x-2fa-code": wrong, "X-Forwarded-For": `198.51.100.${String(i + 1)}` });
      expect(res.status).toBe(400);
    }
    const fresh = await h.login("admin");
    const res = await adminLogout(fresh.token, { sessionId: target.session.id }, { "x-2fa-code": await codeAt(demo.adminTotpSecret), "X-Forwarded-For": "203.0.113.99" });
    expect(res.status).toBe(429);
    expect(Number(res.headers["retry-after"])).toBeGreaterThan(0);
    expect(await h.base.getSession(target.session.id)).toEqual(target.session);
  });
});

describe("E61: nothing lets a request past the second factor but a fresh code", () => {
  function sourceFiles(dir: string): string[] {
    return readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith(".ts") ? [path] : [];
    });
  }

  it("the library reads no environment variable (no TEST_MODE-like switch exists)", () => {
    const files = sourceFiles(join(import.meta.dirname, "../../src"));
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      // Code only: comments and string literals (an error message may show `process.env.X` as advice) are left out.
      const code = readFileSync(file, "utf8")
        .replace(/\/\*[\s\S]*?\*\/|^\s*\/\/.*$/gm, "")
        .replace(/(["'`])(?:\\.|(?!\1)[^\\])*\1/g, '""');
      expect(code, file).not.toMatch(/process\.env|NODE_ENV|TEST_MODE/);
    }
  });

  it.each(["remember", "rememberMs", "grace", "skip", "bypass", "enabled", "optional", "trustedDevices"])("requireTotp has no option %s", (name) => {
    expect(() => requireTotp({ store: new MemorySessionStore(), users: new TestDirectory(), [name]: true })).toThrow(/unsupported option/);
  });

  it("a code accepted a moment ago does not carry over to the next request", async () => {
    const admin = await h.login("admin");
    const [a, b] = [await h.login("alice"), await h.login("alice")];
    const code = await codeAt(demo.adminTotpSecret);
    expect((await adminLogout(admin.token, { sessionId: a.session.id }, { "x-2fa-code": code })).status).toBe(200);
    expect((await adminLogout(admin.token, { sessionId: b.session.id })).status).toBe(400);
    expect((await adminLogout(admin.token, { sessionId: b.session.id }, { "x-2fa-code": code })).status).toBe(400);
    expect(await h.base.getSession(b.session.id)).toEqual(b.session);
  });
});

describe("E62: what the target id is cannot be learnt before the permission and the code pass", () => {
  it("a caller without the permission gets one and the same 403 for a live, an unknown, a malformed and an ended session id", async () => {
    const alice = await h.login("alice");
    const live = await h.login("admin");
    const ended = await h.login("admin");
    await request(h.app).post("/api/v1/logout").set(credentials.rocketChat("admin", ended.token)).expect(200);
    const before = await h.base.snapshot("alice", "admin");
    h.base.reset();
    const answers = await Promise.all(
      [live.session.id, "00000000-0000-4000-8000-000000000000", "x'; DROP", ended.session.id].map((sessionId) =>
        request(h.app).post("/api/v1/sessions/logout").set(credentials.rocketChat("alice", alice.token)).set("x-2fa-code", "123456").send({ sessionId }),
      ),
    );
    expect(new Set(answers.map((r) => `${String(r.status)} ${r.text}`)).size).toBe(1);
    expect(answers[0]?.status).toBe(403);
    expect(h.base.mutations).toEqual([]);
    expect(await h.base.snapshot("alice", "admin")).toEqual(before);
  });

  it("an administrator without a code gets one and the same totp-required for a live and an unknown id", async () => {
    const admin = await h.login("admin");
    const target = await h.login("alice");
    const [known, unknown] = await Promise.all(
      [target.session.id, "00000000-0000-4000-8000-000000000000"].map((sessionId) => adminLogout(admin.token, { sessionId })),
    );
    expect([known?.status, known?.text]).toEqual([unknown?.status, unknown?.text]);
    expect(known?.status).toBe(400);
  });

  it("with the permission and a right code, an unknown or malformed id is a uniform 404 and nothing ends", async () => {
    const target = await h.login("alice");
    const before = await h.base.snapshot("alice", "admin");
    const answers = [];
    for (const [i, sessionId] of ["00000000-0000-4000-8000-000000000000", "not-a-session"].entries()) {
      // One code per time step: move the clock on so each request has a fresh one.
      vi.setSystemTime(Date.parse("2030-06-01T12:00:10Z") + i * 90_000);
      const admin = await h.login("admin");
      answers.push(await adminLogout(admin.token, { sessionId }, { "x-2fa-code": await codeAt(demo.adminTotpSecret) }));
    }
    expect(answers.map((r) => r.status)).toEqual([404, 404]);
    expect(answers[0]?.text).toBe(answers[1]?.text);
    expect(await h.base.getSession(target.session.id)).toEqual(target.session);
    expect((await h.base.snapshot("alice")).length).toBe(before.filter((s) => s.userId === "alice").length);
  });
});
