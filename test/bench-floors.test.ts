import request from "supertest";
import { afterAll, describe, expect, it } from "vitest";
import { fill } from "../bench/lib/load.js";
import { findScenario, pipelines } from "../bench/http/registry.js";
import { redisRoundTripsAllowed } from "../bench/lib/report.js";
import type { RunningApp } from "../bench/http/types.js";
import { needService, portOpen } from "./helpers/services.js";

// Each pipeline's hand-written floor is the lower bound the library is read against: it must do the route's real
// work (refuse a wrong credential, end the session it was given), never answer a fixed success.

const withFloor = pipelines.filter((p) => p.floor !== undefined);
const redis = await needService("Redis on 127.0.0.1:6379", () => portOpen(6379));
const running: RunningApp[] = [];
afterAll(async () => {
  await Promise.all(running.map((r) => r.close()));
});

function send(app: RunningApp, row: readonly string[]) {
  const { template } = app;
  const headers = Object.fromEntries(Object.entries(template.headers).map(([name, value]) => [name, fill(value, row)]));
  const path = fill(template.path, row);
  const req = template.method === "GET" ? request(app.app).get(path) : request(app.app).post(path);
  req.set(headers);
  return template.body === undefined ? req : req.send(fill(template.body, row));
}

describe("bench floors", () => {
  it("every pipeline but the express-session ones has a floor", () => {
    expect(withFloor.map((p) => p.id).sort()).toEqual(pipelines.filter((p) => !p.id.startsWith("express-session")).map((p) => p.id).sort());
  });

  it.each(withFloor.map((p) => [p.id, p] as const))("%s: answers the ceiling's success for a good row, refuses a tampered one, and a logout ends its session", async (_id, pipeline) => {
    const app = await findScenario(`floor/${pipeline.id}`).start({ redisPrefix: "", redisUrl: "" });
    running.push(app);
    const { rows } = await app.feed(2);
    const [good, other] = rows;
    if (good === undefined || other === undefined) throw new Error("the floor fed fewer than two rows");
    const live = await app.liveSessions?.();

    const tampered = [`${good[0] ?? ""}x`, ...good.slice(1)];
    expect((await send(app, tampered)).status).toBe(401);

    const answer = await send(app, good);
    expect(answer.status).toBe(pipeline.success.status);
    if (pipeline.success.body !== undefined) expect(Object.keys(answer.body as object).sort()).toEqual(Object.keys(pipeline.success.body as object).sort());

    if (pipeline.kind === "logout") {
      expect(await app.liveSessions?.()).toBe((live ?? Number.NaN) - 1);
      expect((await send(app, good)).status).toBe(401);
    } else {
      expect((await send(app, good)).status).toBe(pipeline.success.status);
    }
  });

  // The floor on Redis is the least a Redis implementation of the route within the target's round trips can cost:
  // the same route, and exactly as many commands per request as the target allows, refusals included.
  it.skipIf(!redis).each(withFloor.filter((p) => p.kind === "logout").map((p) => [p.id, p, redisRoundTripsAllowed(p.id)] as const))("%s on Redis: the floor's answers after exactly the Redis round trips the target allows per request", async (_id, pipeline, trips) => {
    const app = await findScenario(`floor/${pipeline.id}/redis`).start({ redisPrefix: `express-logout-test:bench-floor:${process.pid}:`, redisUrl: "redis://127.0.0.1:6379" });
    running.push(app);
    const { rows } = await app.feed(1);
    const [good] = rows;
    if (good === undefined) throw new Error("the floor fed no row");
    const sentBefore = app.commandsSent?.() ?? Number.NaN;
    expect((await send(app, [`${good[0] ?? ""}x`, ...good.slice(1)])).status).toBe(401);
    expect((await send(app, good)).status).toBe(pipeline.success.status);
    expect((app.commandsSent?.() ?? Number.NaN) - sentBefore).toBe(2 * trips);
  });
});
