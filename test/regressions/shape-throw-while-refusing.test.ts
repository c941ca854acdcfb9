/**
 * `settle` rendered refusals outside any `try`: a shape's `error` that throws, or a header value Node refuses,
 * became an unhandled rejection (which ends a Node process by default) and the request hung. Now anything
 * thrown while answering a refusal reaches the host's error handler through `next(err)`, exactly once.
 */
import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MemorySessionStore, createLogoutHandler, requireSession, shapes, type Shape } from "../../src/index.js";
import { expressVersions } from "../helpers/express.js";

let unhandled: unknown[];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeEach(() => {
  unhandled = [];
  process.on("unhandledRejection", onUnhandled);
});
afterEach(() => {
  process.off("unhandledRejection", onUnhandled);
});

const throwing: Shape = { ...shapes.problem, name: "throwing", error: () => { throw new Error("shape bug"); } };
const badHeader: Shape = { ...shapes.problem, name: "bad-header", error: () => ({ status: 401, headers: { "X-Reason": "line\nbreak" }, body: {} }) };

describe.each(expressVersions)("a shape that throws while answering a refusal, on $name", ({ express }) => {
  it.each([
    ["an error() that throws", throwing],
    ["a header value Node refuses", badHeader],
  ] as const)("%s reaches the host's error handler once, and nothing is unhandled", async (_what, shape) => {
    const store = new MemorySessionStore();
    const seen: unknown[] = [];
    const app = express();
    app.post("/logout", createLogoutHandler({ store, shape }));
    app.get("/me", requireSession({ store, shape }), (_req, res) => { res.send("in"); });
    app.use((error: unknown, _req: unknown, res: { status: (n: number) => { send: (s: string) => void } }, _next: unknown) => {
      seen.push(error);
      res.status(500).send("host error page");
    });
    for (const call of [request(app).post("/logout"), request(app).get("/me").set("Authorization", "Bearer nope")]) {
      const res = await call.timeout(3_000);
      expect(res.status).toBe(500);
      expect(res.text).toBe("host error page");
    }
    expect(seen).toHaveLength(2);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(unhandled).toEqual([]);
    store.close();
  });
});
