/**
 * The library's own CPU time per request, without HTTP: each pipeline's handlers, its hand-written floor and
 * its ceiling's handler are called directly with a minimal request and response (which serializes a JSON body
 * as Express does), many times, in interleaved rounds, and the CPU time per call of each is measured. CPU time,
 * not wall time: another process's time does not count against any of them, so this is the reading that holds
 * when the HTTP rows of `npm run bench` are noisy. Then each contender's rounds are profiled (V8's sampler, apart
 * from the timed rounds, which it would slow) and the library's time above the floor is split by where it goes.
 *
 * `npm run bench:overhead` writes `bench/overhead.md` (BENCH_OUT=<dir> elsewhere); ONLY=<pipeline id> for one;
 * N=<requests>, default 20 000. OVERHEAD_PROFILE=<dir> also keeps the library's profiles, one file per round,
 * for `npx tsx bench/profile/summarize.ts <file>`.
 */
import { EventEmitter } from "node:events";
import { mkdir, writeFile } from "node:fs/promises";
import type { HeapProfiler } from "node:inspector";
import { Session } from "node:inspector/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { NextFunction, Request, RequestHandler, Response } from "express";
import { MemorySessionStore } from "#bench/library";
import { BenchDirectory } from "../http/directory.js";
import { pipelines } from "../http/registry.js";
import { BENCH_USERS, benchUserId } from "../http/sessions.js";
import type { Feed, Pipeline } from "../http/types.js";
import { fill } from "../lib/load.js";
import type { CpuProfileData } from "./attribute.js";
import { PARTS, split, type Part } from "./parts.js";

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
  // What Express does with a body before the socket: the ceiling and the floor pay it as the library does.
  json(body: unknown) { return this.send(JSON.stringify(body)); }
  send(body?: unknown) {
    if (typeof body === "string") this.setHeader("content-length", Buffer.byteLength(body));
    return this.end();
  }
  end() {
    this.headersSent = true;
    this.emit("finish");
    return this;
  }
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

/** One contender: its handlers, the requests it is fed (built before timing), the CPU it used and what it allocated. */
interface Contender {
  readonly name: string;
  readonly handlers: readonly RequestHandler[];
  readonly requests: Request[];
  cpu: number;
  readonly profiles: CpuProfileData[];
  /** Bytes allocated per request, garbage included (V8's sampling heap profiler). */
  bytes: number;
}

async function contender(name: string, pipeline: Pipeline, handlers: readonly RequestHandler[], feed: Feed): Promise<Contender> {
  const requests: Request[] = [];
  for (let k = 0; k < REQUESTS; k++) requests.push(requestOf(pipeline, feed, k));
  // Warm up, and check every answer is the pipeline's success: a refusal would be cheaper and prove nothing.
  for (let k = 0; k < N / 4; k++) {
    const res = new FakeResponse();
    await run(handlers, requests[k]!, res);
    if (res.statusCode !== pipeline.success.status) throw new Error(`${pipeline.id} ${name}: answered ${res.statusCode}, expected ${pipeline.success.status}`);
  }
  return { name, handlers, requests, cpu: 0, profiles: [], bytes: 0 };
}

async function measure(c: Contender, from: number, to: number): Promise<void> {
  const t0 = process.cpuUsage();
  for (let k = from; k < to; k++) await run(c.handlers, c.requests[k]!, new FakeResponse());
  const used = process.cpuUsage(t0);
  c.cpu += used.user + used.system;
}

/** The same requests again, under V8's sampler: where the time goes, not how much (the timed rounds say that). */
async function profiled(c: Contender, from: number, to: number): Promise<void> {
  await inspector.post("Profiler.start");
  for (let k = from; k < to; k++) await run(c.handlers, c.requests[k]!, new FakeResponse());
  const { profile } = await inspector.post("Profiler.stop");
  c.profiles.push(profile as unknown as CpuProfileData);
}

/** The bytes sampled in a node of V8's sampling heap profile and every node under it. */
function sampledBytes(node: HeapProfiler.SamplingHeapProfileNode): number {
  let bytes = node.selfSize;
  for (const child of node.children) bytes += sampledBytes(child);
  return bytes;
}

/**
 * The same requests again, under V8's sampling heap profiler with the objects minor and major collections freed
 * counted too: every byte a request allocates, not only what it keeps. The harness's own (the request's response
 * object, the loop) is in every contender's figure alike, the ceiling's included.
 */
async function allocated(c: Contender, from: number, to: number): Promise<void> {
  await inspector.post("HeapProfiler.startSampling", { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  for (let k = from; k < to; k++) await run(c.handlers, c.requests[k]!, new FakeResponse());
  const { profile } = await inspector.post("HeapProfiler.stopSampling");
  c.bytes = sampledBytes(profile.head) / (to - from);
}

const N = Number(process.env.N ?? 20_000);
const ROUNDS = 4;
/**
 * Each contender's requests: a quarter of N to warm up, N timed, N profiled, a quarter of N for what they
 * allocate (a logout's fresh sessions are used once).
 */
const REQUESTS = N / 4 + 2 * N + N / 4;
const keepDir = process.env.OVERHEAD_PROFILE;
const outDir = process.env.BENCH_OUT ?? fileURLToPath(new URL("..", import.meta.url));
const inspector = new Session();
inspector.connect();
await inspector.post("Profiler.enable");
await inspector.post("Profiler.setSamplingInterval", { interval: 50 });
if (keepDir !== undefined) await mkdir(keepDir, { recursive: true });

/** One figure for each contender; the floor's is absent for a pipeline without one. */
type PerContender = Readonly<Record<"ceiling" | "floor" | "library", number | undefined>>;

interface Measured {
  readonly pipeline: Pipeline;
  /** CPU µs per request. */
  readonly perRequest: PerContender;
  /** Bytes allocated per request. */
  readonly bytes: PerContender;
  readonly split: Readonly<Record<"floor" | "library", Readonly<Record<Part, number>> | undefined>>;
  /** The library's store time by source file, µs per request. */
  readonly storeFiles: readonly { readonly file: string; readonly us: number }[];
}

const measured: Measured[] = [];
const skipped: string[] = [];
const cell = (v: number | undefined, width: number) => (v === undefined ? "" : v.toFixed(2)).padStart(width);
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
    const reason = error instanceof Error ? error.message : String(error);
    skipped.push(`${pipeline.id}: ${reason}`);
    console.log(`${pipeline.id.padEnd(22)} skipped: ${reason}`);
    continue;
  }
  const feed = await pipeline.feed(env, REQUESTS);
  const library = await contender("library", pipeline, handlers, feed);
  // The ceiling's answer, which the floor gives too. The ceiling reads none of the request's values: it is sent
  // the library's requests, and opens no sessions of its own in the library's store.
  const answer = (res: Response, body: unknown = pipeline.success.body) => { res.status(pipeline.success.status).json(body); };
  const ceiling = await contender("ceiling", pipeline, [pipeline.ceilingHandler ?? ((_req, res) => { answer(res); })], feed);
  const contenders = [library, ceiling];
  let floor: Contender | undefined;
  if (pipeline.floor !== undefined) {
    const route = pipeline.floor.start({ users: directory(), answer });
    floor = await contender("floor", pipeline, route.handlers, await route.feed(REQUESTS));
    contenders.push(floor);
  }
  // Rounds alternate the contenders, so drift falls on all of them alike.
  for (let round = 0; round < ROUNDS; round++) {
    const from = N / 4 + (round * N) / ROUNDS;
    for (const c of contenders) await measure(c, from, from + N / ROUNDS);
  }
  for (let round = 0; round < ROUNDS; round++) {
    const from = N / 4 + N + (round * N) / ROUNDS;
    for (const c of [library, ...(floor === undefined ? [] : [floor])]) await profiled(c, from, from + N / ROUNDS);
  }
  for (const c of contenders) await allocated(c, N / 4 + 2 * N, REQUESTS);
  if (keepDir !== undefined) {
    for (const [i, profile] of library.profiles.entries()) await writeFile(join(keepDir, `${pipeline.id}.${String(i)}.cpuprofile`), JSON.stringify(profile));
  }
  const per = (c: Contender | undefined) => (c === undefined ? undefined : c.cpu / N);
  const libraryPart = split(library.profiles, N);
  const result: Measured = {
    pipeline,
    perRequest: { ceiling: per(ceiling), floor: per(floor), library: per(library) },
    bytes: { ceiling: ceiling.bytes, floor: floor?.bytes, library: library.bytes },
    split: { library: libraryPart.parts, floor: floor === undefined ? undefined : split(floor.profiles, N).parts },
    storeFiles: [...libraryPart.storeFiles.entries()].map(([file, us]) => ({ file, us })).sort((a, b) => b.us - a.us),
  };
  measured.push(result);
  const { ceiling: c, floor: f, library: l } = result.perRequest;
  const { floor: fb, library: lb } = result.bytes;
  console.log(`${pipeline.id.padEnd(22)} ${cell(c, 8)} ${cell(f, 8)} ${cell(l, 8)} ${cell(l! - c!, 10)} ${cell(f === undefined ? undefined : l! - f, 8)}   allocated KB: floor ${cell(fb === undefined ? undefined : fb / 1024, 5)}, library ${cell(lb! / 1024, 5)}`);
}
inspector.disconnect();


/** A table row of one pipeline: its ceiling's, floor's and library's figures, then the library's above the floor. */
function contenderRow(title: string, figures: PerContender, format: (value: number) => string): string {
  const { ceiling, floor, library } = figures;
  const cell = (value: number | undefined) => (value === undefined ? "" : format(value));
  return `| ${title} | ${cell(ceiling)} | ${cell(floor)} | ${cell(library)} | ${floor === undefined || library === undefined ? "" : `+${format(library - floor)}`} |`;
}

function report(): string {
  const lines = [
    "# The library's own cost per request, without HTTP",
    "",
    `Produced by \`npm run bench:overhead\` on ${new Date().toISOString()}. ${N} requests per contender in ${ROUNDS} interleaved rounds, memory store. Method: [docs/benchmarks.md](../docs/benchmarks.md), "The library's own cost".`,
    "",
    "Each pipeline's handlers, its hand-written floor and its ceiling's handler are called directly, with the request already parsed and a response that serializes the JSON body as Express does: no socket, no HTTP parser, no Express router. The figures are CPU time per request (so another process on the machine does not count), and hold where the HTTP rows of `npm run bench` swing with the machine's load.",
    "",
    "| pipeline | ceiling µs | floor µs | library µs | library above the floor |",
    "| --- | ---: | ---: | ---: | ---: |",
  ];
  for (const m of measured) lines.push(contenderRow(m.pipeline.title, m.perRequest, (us) => us.toFixed(2)));
  lines.push(
    "",
    "Bytes each request allocates, garbage included (V8's sampling heap profiler, counting what minor and major collections freed), in KB; the harness's own share is in every column alike, the ceiling's included:",
    "",
    "| pipeline | ceiling KB | floor KB | library KB | library above the floor |",
    "| --- | ---: | ---: | ---: | ---: |",
  );
  for (const m of measured) lines.push(contenderRow(m.pipeline.title, m.bytes, (bytes) => (bytes / 1024).toFixed(1)));
  for (const reason of skipped) lines.push("", `Not measured here: ${reason}.`);
  lines.push("", "## Where the library's time above the floor goes", "", "Profiled rounds of the same requests, apart from the timed ones (the sampler slows what it watches: read the split, not the sum). The floor does only what no implementation can skip, in two plain Maps (its \"store\" is bench/http/floor/sessions.ts); the library's store keeps more, each a guarantee the floor does not give: a user's sessions for \"all\"/\"others\", expiry buckets so nothing is ever scanned, creation order for the administrator's listing, the TOTP throttle and the step-up record. \"The route's own work\" is the rest of the route: the floor's one function against the library's handlers, shapes, deadline guards and request state.", "");
  for (const m of measured) {
    const { library, floor } = m.split;
    if (library === undefined || floor === undefined) continue;
    lines.push(`### ${m.pipeline.title}`, "", "| where | floor µs | library µs | added |", "| --- | ---: | ---: | ---: |");
    for (const part of PARTS) {
      const a = floor[part];
      const b = library[part];
      if (a < 0.005 && b < 0.005) continue;
      lines.push(`| ${part} | ${a.toFixed(2)} | ${b.toFixed(2)} | ${b - a >= 0 ? "+" : ""}${(b - a).toFixed(2)} |`);
    }
    if (m.storeFiles.length > 0) lines.push("", `The library's store time by file (µs per request): ${m.storeFiles.slice(0, 6).map((f) => `\`${f.file}\` ${f.us.toFixed(2)}`).join(", ")}.`);
    lines.push("");
  }
  return `${lines.join("\n").trimEnd()}\n`;
}

if (process.env.ONLY === undefined) {
  await writeFile(join(outDir, "overhead.md"), report());
  console.log(`written: ${join(outDir, "overhead.md")}`);
}
