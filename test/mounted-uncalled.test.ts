import type { Express, RequestHandler } from "express";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  MemorySessionStore,
  browserLogoutFlow,
  createLogoutHandler,
  issueSession,
  listSessions,
  requirePermission,
  requireSession,
  requireTotp,
  sessionInfo,
  whoAmI,
} from "../src/index.js";
import { expressVersions } from "./helpers/express.js";

/**
 * Each line mounts a factory without calling it. `@ts-expect-error` makes the type check fail if the types
 * ever accept that mount again; running the same lines shows what a plain JavaScript app gets.
 */
function mountEachUncalled(app: Express): string[] {
  // @ts-expect-error the factory itself is not a middleware
  app.use("/createLogoutHandler", createLogoutHandler);
  // @ts-expect-error the factory itself is not a middleware
  app.use("/requireSession", requireSession);
  // @ts-expect-error the factory itself is not a middleware
  app.get("/whoAmI", whoAmI);
  // @ts-expect-error the factory itself is not a middleware
  app.get("/listSessions", listSessions);
  // @ts-expect-error the factory itself is not a middleware
  app.get("/sessionInfo", sessionInfo);
  // @ts-expect-error the factory itself is not a middleware
  app.post("/requireTotp", requireTotp);
  // @ts-expect-error the factory itself is not a middleware
  app.post("/requirePermission", requirePermission);
  // @ts-expect-error the factory itself is not a middleware
  app.use("/browserLogoutFlow", browserLogoutFlow);
  return ["createLogoutHandler", "requireSession", "whoAmI", "listSessions", "sessionInfo", "requireTotp", "requirePermission", "browserLogoutFlow"];
}

const names = ["createLogoutHandler", "requireSession", "whoAmI", "listSessions", "sessionInfo", "requireTotp", "requirePermission", "browserLogoutFlow"];
const mountOf = (name: string) => (name === "requirePermission" ? `${name}("permission", { ... })` : `${name}({ ... })`);
const messageOf = (name: string) =>
  `express-logout: ${name} is a factory: mount \`${mountOf(name)}\`, not \`${name}\` itself. Until then every request through it is refused with this 500.`;

// Every warning of this file (a test file runs in a fresh module graph, so no factory has warned before it).
const warnings: (Error & { code?: string })[] = [];
const onWarning = (warning: Error) => warnings.push(warning);
beforeAll(() => process.on("warning", onWarning));
afterAll(() => process.off("warning", onWarning));

describe.each(expressVersions)("a factory mounted without being called, on $name", ({ express }) => {
  it("every request through it is refused with a 500 problem+json that says how to mount it, never let through", async () => {
    const store = new MemorySessionStore();
    const { token, session } = await issueSession(store, { userId: "alice" });
    const app = express();
    expect(mountEachUncalled(app)).toEqual(names);
    let reached = 0;
    const after: RequestHandler = (_req, res) => {
      reached += 1;
      res.json({ passed: true });
    };
    app.use(after);

    for (const name of names) {
      const method = ["requireTotp", "requirePermission"].includes(name) ? "post" : "get";
      for (let i = 0; i < 2; i++) {
        const res = await request(app)[method](`/${name}`).set("Authorization", `Bearer ${token}`);
        expect(res.status, name).toBe(500);
        expect(res.headers["content-type"]).toBe("application/problem+json; charset=utf-8");
        expect(res.headers["cache-control"]).toBe("no-store");
        expect(res.body).toEqual({
          type: "https://express-logout.dev/errors/factory-not-called",
          title: "Middleware mounted without its options",
          status: 500,
          detail: messageOf(name),
          code: "factory-not-called",
        });
      }
    }
    expect(reached).toBe(0);
    // Nothing was ended or changed: the session the requests carried is still live.
    expect(await store.getSession(session.id)).toEqual(session);
    store.close();
  });
});

describe("the server's log", () => {
  it("gets one process warning per factory, with the same words, however many requests were refused", async () => {
    await new Promise((resolve) => setImmediate(resolve));
    const mine = warnings.filter((w) => w.code === "EXPRESS_LOGOUT_FACTORY_NOT_CALLED");
    expect(mine.map((w) => w.message)).toEqual(names.map(messageOf));
    for (const w of mine) expect(w.name).toBe("SetupError");
  });

  it("a direct call with a request-like value and no response still throws the SetupError at once", () => {
    expect(() => requireSession({ method: "GET", headers: {}, url: "/" } as never)).toThrow(/factory-not-called|is a factory/);
  });
});
