/**
 * Dual package hazard: the caller a factory authenticated was kept in a module-level `WeakMap`, and
 * `events` was checked with `instanceof LogoutEvents`. With the ESM and the CommonJS build both loaded (one
 * dependency `import`s the library, another `require`s it), a `requirePermission` from one copy and a
 * `requireTotp` from the other did not see each other's caller (a 500 on every admin logout), and a
 * `LogoutEvents` of one copy was refused by the other's factories. Request state and type checks are now
 * copy-safe; this test builds both copies and loads them side by side.
 */
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import express from "express";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type * as Library from "../../src/index.js";
import { codeAt } from "../helpers/rocket-chat.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
// Inside the repository, so the builds resolve their own dependencies from its node_modules.
const outDir = join(root, ".tmp", `both-builds-${randomUUID()}`);
let esm: typeof Library;
let cjs: typeof Library;

beforeAll(async () => {
  mkdirSync(outDir, { recursive: true });
  execFileSync(join(root, "node_modules", ".bin", "tsup"), ["--out-dir", outDir, "--no-dts"], { cwd: root, stdio: "ignore" });
  esm = (await import(pathToFileURL(join(outDir, "index.js")).href)) as typeof Library;
  cjs = createRequire(import.meta.url)(join(outDir, "index.cjs")) as typeof Library;
}, 120_000);

afterAll(() => {
  rmSync(outDir, { recursive: true, force: true });
});

const SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

describe("the ESM and the CommonJS build in one process", () => {
  it("are two copies (the hazard is real in this test)", () => {
    expect(esm.LogoutEvents).not.toBe(cjs.LogoutEvents);
    expect(new esm.LogoutEvents()).not.toBeInstanceOf(cjs.LogoutEvents);
  });

  it("requirePermission from one and requireTotp from the other share the caller: an admin logout goes through", async () => {
    const store = new esm.MemorySessionStore();
    const admin = await esm.issueSession(store, { userId: "admin" });
    const victim = await esm.issueSession(store, { userId: "alice" });
    const users = {
      findUser: (id: string) => Promise.resolve({ id, username: id }),
      hasPermission: () => Promise.resolve(true),
      totpSecret: () => Promise.resolve(SECRET),
    };
    const events = new esm.LogoutEvents();
    const ended: string[] = [];
    events.on("session.ended", (e) => ended.push(e.sessionId));
    const app = express();
    app.post(
      "/api/v1/sessions/logout",
      express.json(),
      esm.requirePermission("logout-device-management", { store, users, shape: esm.shapes.rocketChat, events }),
      cjs.requireTotp({ store, users, shape: cjs.shapes.rocketChat, events }),
      cjs.createLogoutHandler({ store, shape: cjs.shapes.rocketChat, events, target: cjs.bodySessionId("sessionId") }),
    );
    const res = await request(app)
      .post("/api/v1/sessions/logout")
      .set({ "X-User-Id": "admin", "X-Auth-Token": admin.token, "x-2fa-code": await codeAt(SECRET) })
      .send({ sessionId: victim.session.id });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ sessionId: victim.session.id, success: true });
    expect(ended).toEqual([victim.session.id]);
    expect(await store.getSession(victim.session.id)).toBeUndefined();
    store.close();
  });

  it("getAuthentication of one copy reads what the other's requireSession found", async () => {
    const store = new cjs.MemorySessionStore();
    const { token, session } = await cjs.issueSession(store, { userId: "alice" });
    const app = express();
    app.get("/me", cjs.requireSession({ store }), (req, res) => {
      res.json({ sessionId: esm.getAuthentication(req)?.session.id ?? null });
    });
    const res = await request(app).get("/me").set("Authorization", `Bearer ${token}`);
    expect(res.body).toEqual({ sessionId: session.id });
    store.close();
  });
});
