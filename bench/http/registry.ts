import express, { type Express, type Request, type RequestHandler, type Response } from "express";
import { BenchDirectory } from "./directory.js";
import { expressSessionPeer } from "./peers/express-session.js";
import { expressSessionReadPeer } from "./peers/express-session-read.js";
import { endorLogoutPipeline } from "./pipelines/endor.js";
import { requireSessionPipeline } from "./pipelines/require-session.js";
import { soajsLogoutPipeline } from "./pipelines/soajs.js";
import { BENCH_USERS, benchUserId } from "./sessions.js";
import { memoryStore } from "./stores/memory.js";
import { redisStore } from "./stores/redis.js";
import { connectRedis, deletePrefix } from "./redis.js";
import { jwtGuardPipeline } from "./pipelines/jwt.js";
import { kratosLogoutPipeline } from "./pipelines/kratos.js";
import { rocketChatLogoutPipeline } from "./pipelines/rocket-chat.js";
import { trackedSessionLogoutPipeline, trackedSessionReadPipeline } from "./pipelines/express-session.js";
import { successHeaders, type ReplayedHeader } from "./reply-headers.js";
import { redisFloorTrips, redisRoundTripsAllowed } from "../lib/report.js";
import type { PeerEntry, Pipeline, PipelineFloor, RequestTemplate, RunningApp, Scenario, ServerContext, StoreEntry } from "./types.js";

/*
 * The benchmark's tables. Each addition is one entry here (and the file it imports): a store runs every
 * pipeline; a pipeline brings its own ceiling.
 */

/** What the design benchmarks but this harness does not measure yet: listed in the results, never estimated. */
export const pending: readonly { readonly what: string; readonly why: string }[] = [];

/** Where sessions live. */
export const stores: readonly StoreEntry[] = [memoryStore, redisStore];

/** The library's routes. Each brings its own ceiling. */
export const pipelines: readonly Pipeline[] = [
  requireSessionPipeline,
  jwtGuardPipeline,
  endorLogoutPipeline,
  soajsLogoutPipeline,
  kratosLogoutPipeline,
  rocketChatLogoutPipeline,
  trackedSessionReadPipeline,
  trackedSessionLogoutPipeline,
];

/** What a user would pick instead. */
export const peers: readonly PeerEntry[] = [expressSessionPeer, expressSessionReadPeer];

/** Every express app of the benchmark starts the same: no `X-Powered-By`, no ETag (the library's replies have none). */
export function benchApp(): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  return app;
}

/** How many `{{n}}` placeholders a template uses. */
export function placeholderCount(template: RequestTemplate): number {
  const text = [template.path, template.body ?? "", ...Object.values(template.headers)].join("\n");
  let count = 0;
  for (const match of text.matchAll(/\{\{(\d+)\}\}/g)) count = Math.max(count, Number(match[1]) + 1);
  return count;
}

function mount(app: Express, pipeline: Pipeline, handlers: RequestHandler[]): void {
  const chain = [...(pipeline.host?.() ?? []), ...handlers];
  if (pipeline.method === "GET") app.get(pipeline.route, ...chain);
  else app.post(pipeline.route, ...chain);
}

/**
 * A bare Express route at the pipeline's path answering the pipeline's success, with no library code: the same
 * status, body and headers. The headers are read once at start from one answer of the pipeline itself on the
 * memory store (`successHeaders`), so a header the library's shape must send (`Cache-Control: no-store`, Kratos'
 * clearing cookie) is not counted against the library: the ceiling sends the same bytes.
 */
function ceilingScenario(pipeline: Pipeline): Scenario {
  const id = `ceiling/${pipeline.id}`;
  return {
    id,
    title: `ceiling: bare Express 5 route, ${pipeline.title} body`,
    group: "ceiling",
    kind: pipeline.kind,
    store: "none",
    needsRedis: false,
    ceilingId: id,
    pipelineId: pipeline.id,
    async start(ctx) {
      const app = benchApp();
      const { status, body } = pipeline.success;
      const replayed = await pipelineHeaders(pipeline, ctx);
      const answer = answerLikeCeiling(replayed, status, body);
      mount(app, pipeline, [pipeline.ceilingHandler ?? ((_req: Request, res: Response) => answer(res))]);
      // Same request bytes as the library's run (the values are not looked at): the client does the same work.
      const row = Array.from({ length: placeholderCount(pipeline.template) }, () => "x".repeat(43));
      const running: RunningApp = {
        app,
        template: pipeline.template,
        success: pipeline.success,
        feed: () => Promise.resolve({ rows: [row], cycle: true }),
        close: () => Promise.resolve(),
      };
      return running;
    },
  };
}

/** The ceiling's answer: the replayed headers, the status and the JSON body (`body` for one computed per request). */
function answerLikeCeiling(replayed: readonly ReplayedHeader[], status: number, fixedBody: unknown): (res: Response, body?: unknown) => void {
  return function ceilingAnswer(res: Response, body: unknown = fixedBody): void {
    for (const [name, value] of replayed) res.setHeader(name, value);
    if (body === undefined) res.status(status).end();
    else res.status(status).json(body);
  };
}

/** The floor's route, built in the server process: its handlers, its feed and its count of sessions left. */
async function floorRoute(pipeline: Pipeline, floor: PipelineFloor, ctx: ServerContext): Promise<Omit<RunningApp, "app" | "template" | "success" | "close"> & { handlers: RequestHandler[] }> {
  const users = new BenchDirectory();
  for (let i = 0; i < BENCH_USERS; i++) users.add(benchUserId(i));
  const answer = answerLikeCeiling(await pipelineHeaders(pipeline, ctx), pipeline.success.status, pipeline.success.body);
  const route = floor.start({ users, answer });
  const liveSessions = route.liveSessions?.bind(route);
  return {
    handlers: route.handlers,
    feed: (n) => Promise.resolve(route.feed(n)),
    ...(liveSessions === undefined ? {} : { liveSessions: () => Promise.resolve(liveSessions()) }),
  };
}

/**
 * The pipeline's hand-written floor (`Pipeline.floor`) at the same path, answering as the ceiling does, measured
 * in the ceiling's interleaved rounds like the library's rows.
 */
function floorScenario(pipeline: Pipeline, floor: PipelineFloor): Scenario {
  return {
    id: `floor/${pipeline.id}`,
    title: `floor: by hand, no library (${floor.does})`,
    group: "floor",
    kind: pipeline.kind,
    store: "none",
    needsRedis: false,
    ceilingId: `ceiling/${pipeline.ceilingOf ?? pipeline.id}`,
    pipelineId: pipeline.id,
    async start(ctx) {
      const app = benchApp();
      const { handlers, ...route } = await floorRoute(pipeline, floor, ctx);
      mount(app, pipeline, handlers);
      return { ...route, app, template: pipeline.template, success: pipeline.success, close: () => Promise.resolve() };
    },
  };
}

/**
 * The floor on Redis: the hand-written floor's handlers after as many Redis commands as the target allows the
 * route (one, or one per store operation of a route made of several: Rocket.Chat's caller lookup, TOTP attempt
 * and end of the other session), each a `GET` of a key set at start, one after another as dependent operations
 * are, on the official client the library's Redis rows use. No Redis implementation of the route within that
 * budget can do less: it does the route's own work and waits on Redis as often. Compared with the peer, it says
 * what those round trips can reach on this machine, whatever the library does.
 */
function redisFloorScenario(pipeline: Pipeline, floor: PipelineFloor): Scenario {
  const trips = redisRoundTripsAllowed(pipeline.id);
  return {
    id: `floor/${pipeline.id}/redis`,
    title: `floor with ${redisFloorTrips(pipeline.id)}: by hand, no library (${floor.does}), after ${trips === 1 ? "one Redis GET" : `${String(trips)} Redis GETs one after another`}`,
    group: "floor",
    kind: pipeline.kind,
    store: "redis",
    needsRedis: true,
    ceilingId: `ceiling/${pipeline.ceilingOf ?? pipeline.id}`,
    pipelineId: pipeline.id,
    async start(ctx) {
      const client = await connectRedis(ctx.redisUrl);
      const key = `${ctx.redisPrefix}floor:${pipeline.id}:round-trip`;
      await client.set(key, "1");
      let sent = 0;
      const roundTrip: RequestHandler = function redisRoundTrip(_req, res, next) {
        sent += 1;
        client.sendCommand(["GET", key]).then(
          (reply) => {
            if ((reply as unknown) === "1") next();
            else res.status(500).end();
          },
          () => res.status(503).end(),
        );
      };
      const app = benchApp();
      const { handlers, ...route } = await floorRoute(pipeline, floor, ctx);
      mount(app, pipeline, [...Array.from({ length: trips }, () => roundTrip), ...handlers]);
      return {
        ...route,
        app,
        template: pipeline.template,
        success: pipeline.success,
        commandsSent: () => sent,
        close: async () => {
          await deletePrefix(client, key);
          client.destroy();
        },
      };
    },
  };
}

/** The headers of the pipeline's own success on the memory store, for its ceiling to send too. */
async function pipelineHeaders(pipeline: Pipeline, ctx: ServerContext): Promise<ReplayedHeader[]> {
  if (pipeline.ceilingHandler !== undefined) return [];
  const probe = await libraryScenario(pipeline, memoryStore).start(ctx);
  try {
    return await successHeaders(probe);
  } finally {
    await probe.close();
  }
}

function libraryScenario(pipeline: Pipeline, storeEntry: StoreEntry): Scenario {
  return {
    id: `${pipeline.id}/${storeEntry.id}`,
    title: pipeline.title,
    group: "library",
    kind: pipeline.kind,
    store: storeEntry.id,
    needsRedis: storeEntry.needsRedis,
    ceilingId: `ceiling/${pipeline.ceilingOf ?? pipeline.id}`,
    pipelineId: pipeline.id,
    async start(ctx) {
      const opened = await storeEntry.open(ctx);
      const users = new BenchDirectory();
      for (let i = 0; i < BENCH_USERS; i++) users.add(benchUserId(i));
      const env = { store: opened.store, users, ctx, ...(opened.redisClient === undefined ? {} : { redisClient: opened.redisClient }) };
      const app = benchApp();
      mount(app, pipeline, await pipeline.handlers(env));
      return {
        app,
        template: pipeline.template,
        success: pipeline.success,
        feed: (n) => pipeline.feed(env, n),
        ...(opened.liveSessions === undefined ? {} : { liveSessions: opened.liveSessions }),
        ...(opened.commandsSent === undefined ? {} : { commandsSent: opened.commandsSent }),
        close: () => opened.close(),
      };
    },
  };
}

function peerScenario(peer: PeerEntry): Scenario {
  return {
    id: `peer/${peer.id}`,
    title: peer.title,
    group: "peer",
    kind: peer.kind,
    store: peer.needsRedis ? "redis" : "memory",
    needsRedis: peer.needsRedis,
    ceilingId: `ceiling/${peer.sameRouteAs}`,
    pipelineId: peer.sameRouteAs,
    start: (ctx) => peer.start(ctx),
  };
}

/** Every timed HTTP run, in the order they run: each pipeline's ceiling and floor, then the pipeline on each store; then the peers. */
export function scenarios(): Scenario[] {
  const all: Scenario[] = [];
  for (const pipeline of pipelines) {
    if (pipeline.ceilingOf === undefined) all.push(ceilingScenario(pipeline));
    if (pipeline.floor !== undefined) all.push(floorScenario(pipeline, pipeline.floor));
    // Beside a Redis logout, whose goal against the peer asks most: what its round trips cost the least implementation.
    if (pipeline.floor !== undefined && pipeline.kind === "logout" && (pipeline.stores?.includes("redis") ?? true)) all.push(redisFloorScenario(pipeline, pipeline.floor));
    for (const storeEntry of stores) if (pipeline.stores?.includes(storeEntry.id) ?? true) all.push(libraryScenario(pipeline, storeEntry));
  }
  for (const peer of peers) all.push(peerScenario(peer));
  return all;
}

export function findScenario(id: string): Scenario {
  const found = scenarios().find((s) => s.id === id);
  if (found === undefined) throw new Error(`unknown benchmark scenario ${id}; known: ${scenarios().map((s) => s.id).join(", ")}`);
  return found;
}
