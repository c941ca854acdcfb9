/**
 * `npm run bench`: the whole benchmark in one invocation, written to bench/results.md and bench/results.json.
 *
 * 1. HTTP: for every scenario of http/registry.ts (ceilings, library pipelines on each store, peers), a server
 *    process is started, warmed up, fed its fresh sessions, and measured with autocannon running here, in
 *    this process: load generator and server never share an event loop.
 * 2. Store scaling: memory store operations at 10 k and 1 M sessions, and heap per session, in child processes
 *    with `--expose-gc`.
 * 3. Primitives: TOTP and JWT verification, in a child process.
 *
 * Settings (environment): BENCH_DURATION (s, default 6), BENCH_WARMUP (s, default 2), BENCH_CONNECTIONS
 * (default 10), BENCH_ONLY (comma-separated scenario ids or prefixes; skips store and primitives unless named),
 * BENCH_REDIS_URL (default redis://127.0.0.1:6379), BENCH_OUT (directory for the results, default bench/).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { connectRedis, deletePrefix, redisAvailable } from "./http/redis.js";
import { pending, scenarios } from "./http/registry.js";
import type { Scenario } from "./http/types.js";
import { runChildScript } from "./lib/child.js";
import { runLoad, type LoadResult } from "./lib/load.js";
import { machineInfo } from "./lib/machine.js";
import { evaluateTargets, fmtMs, fmtRate, renderMarkdown, type BenchResults, type HeapPoint, type HttpRow, type PrimitiveRow, type RevokeUserPoint, type StoreOperation, type StoreScaling } from "./lib/report.js";
import { startServerProcess } from "./lib/server-process.js";
import { heapVariants, TARGET_HEAP_VARIANT } from "./store/heap-variants.js";

const settings = {
  connections: Number(process.env.BENCH_CONNECTIONS ?? 10),
  warmupSeconds: Number(process.env.BENCH_WARMUP ?? 2),
  durationSeconds: Number(process.env.BENCH_DURATION ?? 6),
};
const redisUrl = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
const only = (process.env.BENCH_ONLY ?? "").split(",").map((s) => s.trim()).filter(Boolean);
const outDir = process.env.BENCH_OUT ?? fileURLToPath(new URL(".", import.meta.url));
const redisPrefix = `express-logout-bench:${process.pid}-${Date.now()}:`;

/** Requests the warm-up may need at most: sized for a fast machine, so a one-use feed rarely runs out. */
const WARMUP_RATE_GUESS = 20_000;
/** Values for the measured phase: the warm-up's rate times this, so the feed outlasts the phase. */
const FEED_MARGIN = 1.6;

function wanted(id: string): boolean {
  return only.length === 0 || only.some((o) => id === o || id.startsWith(o));
}

function say(message: string): void {
  process.stdout.write(`${message}\n`);
}

async function measureScenario(scenario: Scenario): Promise<HttpRow> {
  const server = await startServerProcess(scenario.id, redisPrefix, redisUrl);
  try {
    const expectStatus = server.success.status;
    const load = (feed: Parameters<typeof runLoad>[0]["feed"], durationSeconds: number, stopWhenExhausted: boolean) =>
      runLoad({ port: server.port, template: server.template, feed, expectStatus, connections: settings.connections, durationSeconds, stopWhenExhausted });

    const warmFeed = await server.feed(Math.ceil(WARMUP_RATE_GUESS * settings.warmupSeconds));
    const warm = await load(warmFeed.feed, settings.warmupSeconds, true);
    if (warm.ok === 0) throw new Error(`warm-up got no ${expectStatus}: ${JSON.stringify(warm.statusCounts)}`);

    let size = Math.ceil(warm.requestsPerSecond * settings.durationSeconds * FEED_MARGIN) + settings.connections * 4 + 1_000;
    for (let attempt = 1; ; attempt++) {
      const { feed, ms } = await server.feed(size);
      const liveBefore = scenario.kind === "logout" && scenario.group !== "ceiling" ? await server.liveSessions() : undefined;
      server.phaseStart();
      const result: LoadResult = await load(feed, settings.durationSeconds, false);
      const phase = await server.phaseEnd();
      const liveAfter = liveBefore === undefined ? undefined : await server.liveSessions();
      if (result.exhausted && attempt < 3) {
        say(`  ${scenario.id}: the feed of ${size} ran out; again with twice as many`);
        size *= 2;
        continue;
      }
      const ended = liveBefore === undefined || liveAfter === undefined ? undefined : liveBefore - liveAfter;
      const problems: string[] = [];
      if (result.exhausted) problems.push("feed ran out");
      if (result.unexpected > 0) problems.push(`${result.unexpected} unexpected answers ${JSON.stringify(result.statusCounts)}`);
      if (result.errors > 0) problems.push(`${result.errors} connection errors`);
      // Every 200 ended one session; a request cut off at the end may have ended one without being counted.
      if (ended !== undefined && (ended < result.ok || ended > result.ok + settings.connections)) problems.push(`${ended} sessions ended for ${result.ok} answers`);
      const row: HttpRow = {
        id: scenario.id,
        title: scenario.title,
        group: scenario.group,
        kind: scenario.kind,
        store: scenario.store,
        pipelineId: scenario.pipelineId,
        ceilingId: scenario.ceilingId,
        requestsPerSecond: result.requestsPerSecond,
        p50Ms: result.p50Ms,
        p99Ms: result.p99Ms,
        ok: result.ok,
        unexpected: result.unexpected,
        errors: result.errors,
        durationSeconds: result.durationSeconds,
        serverElu: phase.elu,
        clientCpu: result.clientCpu,
        sessionsEnded: ended,
        sessionsPrepared: feed.cycle ? undefined : feed.rows.length,
        valid: problems.length === 0,
        ...(problems.length === 0 ? {} : { note: problems.join("; ") }),
      };
      say(
        `  ${scenario.id}: ${fmtRate(row.requestsPerSecond)} req/s, p50 ${fmtMs(row.p50Ms)} ms, p99 ${fmtMs(row.p99Ms)} ms, server busy ${(phase.elu * 100).toFixed(0)} %, client CPU ${(result.clientCpu * 100).toFixed(0)} %` +
          (feed.cycle ? "" : `, ${feed.rows.length} fresh values made in ${(ms / 1000).toFixed(1)} s`) +
          (row.valid ? "" : `  INVALID: ${row.note ?? ""}`),
      );
      return row;
    }
  } finally {
    await server.stop();
  }
}

async function storeScaling(): Promise<StoreScaling> {
  const heap: HeapPoint[] = [];
  for (const id of Object.keys(heapVariants)) {
    heap.push(await runChildScript<HeapPoint>("store/memory-heap.ts", [id], { timeoutMs: 180_000, maxOldSpaceMb: 4096 }));
    const last = heap.at(-1);
    if (last !== undefined) say(`  heap, ${last.title}: ${last.bytesPerSession.toFixed(0)} bytes per session at ${last.sessions}`);
  }
  const ops = await runChildScript<{ operations: StoreOperation[]; revokeUser: RevokeUserPoint[] }>("store/memory-ops.ts", [], { timeoutMs: 300_000, maxOldSpaceMb: 4096 });
  return { store: "MemorySessionStore", targetOperation: "logout-login", operations: ops.operations, revokeUser: ops.revokeUser, heap, targetHeap: TARGET_HEAP_VARIANT };
}

const started = performance.now();
const machine = machineInfo();
const all = scenarios().filter((s) => wanted(s.id));
const hasRedis = await redisAvailable(redisUrl);
const notRun: { what: string; why: string }[] = [...pending];
const runnable = all.filter((s) => {
  if (s.needsRedis && !hasRedis) {
    notRun.push({ what: s.title, why: `no Redis at ${redisUrl}` });
    return false;
  }
  return true;
});
const runStore = only.length === 0 || only.includes("store");
const runPrimitives = only.length === 0 || only.includes("primitives");
const perScenario = settings.warmupSeconds + settings.durationSeconds + 5;
say(`express-logout benchmark: ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}`);
say(
  `${runnable.length} HTTP scenarios × ~${perScenario} s${runStore ? " + store scaling (~90 s)" : ""}${runPrimitives ? " + primitives (~15 s)" : ""}: about ${Math.ceil((runnable.length * perScenario + (runStore ? 90 : 0) + (runPrimitives ? 15 : 0)) / 60)} min`,
);

const http: HttpRow[] = [];
try {
  for (const scenario of runnable) {
    say(scenario.id);
    http.push(await measureScenario(scenario));
  }
} finally {
  if (hasRedis) {
    // The servers delete their own keys; this catches what a crashed one left behind.
    const client = await connectRedis(redisUrl);
    await deletePrefix(client, redisPrefix);
    client.destroy();
  }
}

let store: StoreScaling | undefined;
if (runStore) {
  say("store scaling (MemorySessionStore)");
  store = await storeScaling();
}
let primitives: PrimitiveRow[] = [];
if (runPrimitives) {
  say("primitives");
  primitives = await runChildScript<PrimitiveRow[]>("primitives.ts", [], { timeoutMs: 120_000 });
}


const results: BenchResults = { machine, settings, http, store, primitives, notRun, totalSeconds: (performance.now() - started) / 1000 };
const targets = evaluateTargets(results);
const markdown = renderMarkdown(results, targets);
await mkdir(outDir, { recursive: true });
await writeFile(join(outDir, "results.json"), `${JSON.stringify({ ...results, targets }, null, 2)}\n`);
await writeFile(join(outDir, "results.md"), markdown);
say("");
say(markdown);
