/**
 * The library's own CPU time per request, without HTTP: each pipeline's handlers, its hand-written floor and
 * its ceiling's handler are called directly with a minimal request and response, many times, in interleaved
 * rounds, and the CPU time per call of each is printed. CPU time, not wall time: on a machine busy with other
 * work, another process's time does not count against any of them, so this is the reading that holds when the
 * HTTP rows of `npm run bench` are noisy.
 *
 * `npx tsx bench/profile/overhead.ts` (ONLY=<pipeline id> for one; N=<requests>, default 20 000).
 * OVERHEAD_PROFILE=<dir> writes a V8 CPU profile of the library's measured rounds alone (not the setup, not the
 * floor or the ceiling), one file per pipeline, for `npx tsx bench/profile/summarize.ts <file>`.
 * A bare Express route on this machine costs ~150–200 µs of server CPU per request, so an overhead of x µs
 * reads as a share of the ceiling of about 175 / (175 + x).
 */
import { EventEmitter } from "node:events";
import { mkdir, writeFile } from "node:fs/promises";
import { Session } from "node:inspector/promises";
import { join } from "node:path";
import type { NextFunction, Request, RequestHandler, Response } from "express";
import { MemorySessionStore } from "#bench/library";
import { BenchDirectory } from "../http/directory.js";
import { pipelines } from "../http/registry.js";
import { BENCH_USERS, benchUserId } from "../http/sessions.js";
import type { Feed, Pipeline } from "../http/types.js";
import { fill } from "../lib/load.js";

class FakeResponse extends EventEmitter {
  statusCode = 200;
  headersSent = false;
  readonly headers = new Map<string, unknown>();
  status(code: number) { this.statusCode = code; return this; }
  setHeader(name: string, value: unknown) { this.headers.set(name.toLowerCase(), value); return this; }
  getHeader(name: string) { return this.headers.get(name.toLowerCase()); }
  hasHeader(name: string) { return this.headers.has(name.toLowerCase()); }
  removeHeader(name: string) { this.headers.delete(name.toLowerCase()); }
  append() { return this; }
  cookie() { return this; }
  clearCookie() { return this; }
  redirect() { this.end(); }
  json() { this.end(); return this; }
  send() { this.end(); return this; }
  end() { this.headersSent = true; this.emit("finish"); return this; }
}

function run(handlers: readonly RequestHandler[], req: Request, res: FakeResponse): Promise<void> {
  return new Promise((resolve, reject) => {
    let i = 0;
    res.once("finish", () => resolve());
    const next: NextFunction = (error?: unknown) => {
      if (error !== undefined) { reject(error instanceof Error ? error : new Error(`next() was called with ${JSON.stringify(error)}`)); return; }
      const h = handlers[i++];
      if (h === undefined) { res.end(); return; }
      void h(req, res as unknown as Response, next);
    };
    next();
  });
}

function directory(): BenchDirectory {
  const users = new BenchDirectory();
  for (let i = 0; i < BENCH_USERS; i++) users.add(benchUserId(i));
  return users;
}

/** The route's parameters for `path`, as Express would match them (`/v1/auth/:source/logout`). */
function paramsOf(route: string, path: string): Record<string, string> {
  const names: string[] = [];
  const pattern = new RegExp(`^${route.replace(/:(\w+)/g, (_m, name: string) => { names.push(name); return "([^/]+)"; })}$`);
  const match = pattern.exec(path);
  return Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(match?.[i + 1] ?? "")]));
}

/** The request of row `k` of a feed, as Express would hand it over (body already parsed). */
function requestOf(pipeline: Pipeline, feed: Feed, k: number): Request {
  const row = feed.rows[k % feed.rows.length]!;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(pipeline.template.headers)) headers[name.toLowerCase()] = fill(value, row);
  const path = fill(pipeline.template.path, row);
  const url = new URL(path, "http://127.0.0.1");
  const body = pipeline.template.body === undefined ? undefined : (JSON.parse(fill(pipeline.template.body, row)) as unknown);
  return { method: pipeline.template.method, url: path, originalUrl: path, path: url.pathname, query: Object.fromEntries(url.searchParams), headers, body, cookies: undefined, params: paramsOf(pipeline.route, url.pathname), ip: "127.0.0.1", get: (n: string) => headers[n.toLowerCase()], header: (n: string) => headers[n.toLowerCase()], protocol: "http", secure: false, hostname: "127.0.0.1" } as unknown as Request;
}

/** One contender: its handlers, the requests it is fed (built before timing) and the CPU it used. */
interface Contender {
  readonly name: string;
  readonly handlers: readonly RequestHandler[];
  readonly requests: Request[];
  cpu: number;
}

async function contender(name: string, pipeline: Pipeline, handlers: readonly RequestHandler[], feed: Feed): Promise<Contender> {
  const requests: Request[] = [];
  for (let k = 0; k < N + N / 4; k++) requests.push(requestOf(pipeline, feed, k));
  // Warm up, and check every answer is the pipeline's success: a refusal would be cheaper and prove nothing.
  for (let k = 0; k < N / 4; k++) {
    const res = new FakeResponse();
    await run(handlers, requests[k]!, res);
    if (res.statusCode !== pipeline.success.status) throw new Error(`${pipeline.id} ${name}: answered ${res.statusCode}, expected ${pipeline.success.status}`);
  }
  return { name, handlers, requests, cpu: 0 };
}

async function measure(c: Contender, from: number, to: number): Promise<void> {
  const t0 = process.cpuUsage();
  for (let k = from; k < to; k++) await run(c.handlers, c.requests[k]!, new FakeResponse());
  const used = process.cpuUsage(t0);
  c.cpu += used.user + used.system;
}

const N = Number(process.env.N ?? 20_000);
const ROUNDS = 4;
const profileDir = process.env.OVERHEAD_PROFILE;
const inspector = profileDir === undefined ? undefined : new Session();
if (inspector !== undefined && profileDir !== undefined) {
  await mkdir(profileDir, { recursive: true });
  inspector.connect();
  await inspector.post("Profiler.enable");
  await inspector.post("Profiler.setSamplingInterval", { interval: 50 });
}

console.log(`CPU µs per request, ${N} requests each in ${ROUNDS} interleaved rounds; no HTTP, memory store`);
console.log(`${"pipeline".padEnd(22)} ${"ceiling".padStart(8)} ${"floor".padStart(8)} ${"library".padStart(8)} ${"− ceiling".padStart(10)} ${"− floor".padStart(8)}`);
for (const pipeline of pipelines.filter((p) => process.env.ONLY === undefined || p.id === process.env.ONLY)) {
  const store = new MemorySessionStore();
  const users = directory();
  const env = { store, users };
  let handlers: RequestHandler[];
  try {
    handlers = await pipeline.handlers(env);
  } catch (error) {
    // express-session's pipelines need their own Redis client and an HTTP server: not measurable here.
    console.log(`${pipeline.id.padEnd(22)} skipped: ${error instanceof Error ? error.message : String(error)}`);
    continue;
  }
  const library = await contender("library", pipeline, handlers, await pipeline.feed(env, N * 2));
  const ceilingHandler: RequestHandler = pipeline.ceilingHandler ?? ((_req, res) => { res.status(pipeline.success.status).json(pipeline.success.body); });
  const ceiling = await contender("ceiling", pipeline, [ceilingHandler], await pipeline.feed(env, N * 2));
  const contenders = [library, ceiling];
  if (pipeline.floor !== undefined) {
    const answer = (res: Response, body: unknown = pipeline.success.body) => { res.status(pipeline.success.status).json(body); };
    const route = pipeline.floor.start({ users: directory(), answer });
    contenders.push(await contender("floor", pipeline, route.handlers, await route.feed(N * 2)));
  }
  const profiled = inspector === undefined ? undefined : inspector;
  for (let round = 0; round < ROUNDS; round++) {
    const from = N / 4 + (round * N) / ROUNDS;
    const to = from + N / ROUNDS;
    // Rounds alternate the contenders, so drift falls on all of them alike.
    for (const c of contenders) {
      if (profiled !== undefined && c === library) await profiled.post("Profiler.start");
      await measure(c, from, to);
      if (profiled !== undefined && c === library) {
        const { profile } = await profiled.post("Profiler.stop");
        await writeFile(join(profileDir ?? ".", `${pipeline.id}.${String(round)}.cpuprofile`), JSON.stringify(profile));
      }
    }
  }
  const per = (c: Contender | undefined) => (c === undefined ? undefined : c.cpu / N);
  const floor = per(contenders.find((c) => c.name === "floor"));
  const cell = (v: number | undefined, width: number) => (v === undefined ? "" : v.toFixed(2)).padStart(width);
  console.log(`${pipeline.id.padEnd(22)} ${cell(per(ceiling), 8)} ${cell(floor, 8)} ${cell(per(library), 8)} ${cell(per(library)! - per(ceiling)!, 10)} ${cell(floor === undefined ? undefined : per(library)! - floor, 8)}`);
}
inspector?.disconnect();
