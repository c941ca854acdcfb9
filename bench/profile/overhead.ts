/**
 * The library's own time per request, without HTTP: each pipeline's handlers are called directly with a
 * minimal request and response, many times, and the CPU time per call is printed.
 * `npx tsx bench/profile/overhead.ts` (ONLY=<pipeline id> for one; N=<requests>, default 20 000). With
 * `node --cpu-prof --import tsx bench/profile/overhead.ts` it writes a profile for bench/profile/summarize.ts.
 * A bare Express route on this machine costs ~60–70 µs of server CPU per request, so an overhead of x µs
 * reads as a share of the ceiling of about 65 / (65 + x).
 */
import { EventEmitter } from "node:events";
import type { NextFunction, Request, RequestHandler, Response } from "express";
import { MemorySessionStore } from "#bench/library";
import { BenchDirectory } from "../http/directory.js";
import { pipelines } from "../http/registry.js";
import { BENCH_USERS, benchUserId } from "../http/sessions.js";
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

function run(handlers: RequestHandler[], req: Request, res: Response): Promise<void> {
  return new Promise((resolve, reject) => {
    let i = 0;
    res.once("finish", () => resolve());
    const next: NextFunction = (error?: unknown) => {
      if (error !== undefined) { reject(error instanceof Error ? error : new Error(`next() was called with ${JSON.stringify(error)}`)); return; }
      const h = handlers[i++];
      if (h === undefined) { (res as unknown as FakeResponse).end(); return; }
      void h(req, res, next);
    };
    next();
  });
}

const N = Number(process.env.N ?? 20_000);
for (const pipeline of pipelines.filter((p) => process.env.ONLY === undefined || p.id === process.env.ONLY)) {
  const store = new MemorySessionStore();
  const users = new BenchDirectory();
  for (let i = 0; i < BENCH_USERS; i++) users.add(benchUserId(i));
  const env = { store, users };
  // The host's own middleware (a body parser) is left out: the body is handed over already parsed.
  const handlers = await pipeline.handlers(env);
  const feed = await pipeline.feed(env, N * 2);
  const make = (k: number) => {
    const row = feed.rows[k % feed.rows.length]!;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(pipeline.template.headers)) headers[name.toLowerCase()] = fill(value, row);
    const path = fill(pipeline.template.path, row);
    const url = new URL(path, "http://127.0.0.1");
    const body = pipeline.template.body === undefined ? undefined : (JSON.parse(fill(pipeline.template.body, row)) as unknown);
    return { method: pipeline.template.method, url: path, originalUrl: path, path: url.pathname, query: Object.fromEntries(url.searchParams), headers, body, cookies: undefined, params: {}, ip: "127.0.0.1", get: (n: string) => headers[n.toLowerCase()], header: (n: string) => headers[n.toLowerCase()], protocol: "http", secure: false, hostname: "127.0.0.1" } as unknown as Request;
  };
  // Warm up, then measure.
  for (let k = 0; k < N / 4; k++) {
    const res = new FakeResponse();
    await run(handlers, make(k), res as unknown as Response);
    if (res.statusCode !== pipeline.success.status) throw new Error(`${pipeline.id}: answered ${res.statusCode}, expected ${pipeline.success.status}`);
  }
  // The same requests through the ceiling's handler alone: what this harness and the host code cost.
  const ceiling: RequestHandler[] = [pipeline.ceilingHandler ?? ((_req, res) => { res.status(pipeline.success.status).json(pipeline.success.body); })];
  // CPU time, not wall time: on a shared machine another process's work does not count against the pipeline.
  // Rounds alternate library and ceiling, so drift falls on both alike.
  let library = 0;
  let bare = 0;
  const ROUNDS = 4;
  for (let round = 0; round < ROUNDS; round++) {
    const from = N / 4 + (round * N) / ROUNDS;
    const to = from + N / ROUNDS;
    let t0 = process.cpuUsage();
    for (let k = from; k < to; k++) await run(handlers, make(k), new FakeResponse() as unknown as Response);
    let used = process.cpuUsage(t0);
    library += used.user + used.system;
    t0 = process.cpuUsage();
    for (let k = from; k < to; k++) await run(ceiling, make(k), new FakeResponse() as unknown as Response);
    used = process.cpuUsage(t0);
    bare += used.user + used.system;
  }
  console.log(`${pipeline.id.padEnd(22)} ${((library - bare) / N).toFixed(2)} µs of CPU per request above the ceiling's handler (${(library / N).toFixed(2)} vs ${(bare / N).toFixed(2)})`);
}
