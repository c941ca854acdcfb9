/**
 * `npm run bench`: the whole benchmark in one invocation, written to bench/results.md and bench/results.json.
 *
 * 1. HTTP: for every scenario of http/registry.ts (ceilings, library pipelines on each store, peers), a server
 *    process is started, warmed up, fed its fresh sessions, and measured with autocannon running here, in
 *    this process: load generator and server never share an event loop. A ceiling and the rows compared with
 *    it are measured in interleaved rounds (lib/measure.ts).
 * 2. Store scaling: memory store operations at 10 k and 1 M sessions, heap per session, and the administrator's
 *    pages (every session, one user's) at 10 k and 1 M sessions on memory and Redis, in child processes with
 *    `--expose-gc`.
 * 3. Primitives: TOTP and JWT verification, in a child process.
 *
 * Settings (environment): BENCH_DURATION (measured s per scenario, default 6), BENCH_ROUNDS (interleaved
 * rounds it is split in, default 3), BENCH_WARMUP (s, default 1), BENCH_CONNECTIONS
 * (default 10), BENCH_ONLY (comma-separated scenario ids or prefixes; skips store and primitives unless named),
 * BENCH_REDIS_URL (default redis://127.0.0.1:6379), BENCH_OUT (directory for the results, default bench/).
 */
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { BENCH_PREFIX_ROOT, connectRedis, deletePrefix, redisAvailable, sweepStaleRuns } from "./http/redis.js";
import { pending, scenarios } from "./http/registry.js";
import type { Scenario } from "./http/types.js";
import { runChildScript } from "./lib/child.js";
import { machineInfo } from "./lib/machine.js";
import type { AdminPageRow, BenchResults, HeapPoint, HttpRow, PrimitiveRow, RevokeUserPoint, RoundTripRow, StoreOperation, StoreScaling } from "./lib/report.js";
import { measureGroup } from "./lib/measure.js";
import { writeResults } from "./lib/write-results.js";
import { heapVariants, TARGET_HEAP_VARIANT } from "./store/heap-variants.js";

const settings = {
  connections: Number(process.env.BENCH_CONNECTIONS ?? 10),
  warmupSeconds: Number(process.env.BENCH_WARMUP ?? 1),
  durationSeconds: Number(process.env.BENCH_DURATION ?? 6),
  rounds: Number(process.env.BENCH_ROUNDS ?? 3),
};
const redisUrl = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
const only = (process.env.BENCH_ONLY ?? "").split(",").map((s) => s.trim()).filter(Boolean);
const outDir = process.env.BENCH_OUT ?? fileURLToPath(new URL(".", import.meta.url));
const redisPrefix = `${BENCH_PREFIX_ROOT}${process.pid}-${Date.now()}:`;

function wanted(id: string): boolean {
  return only.length === 0 || only.some((o) => id === o || id.startsWith(o));
}

function say(message: string): void {
  process.stdout.write(`${message}\n`);
}

/** Seconds each part of the run took, for the report: the whole run must stay within ten minutes. */
const phaseSeconds: Record<string, number> = {};
async function timed<T>(name: string, part: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await part();
  } finally {
    phaseSeconds[name] = (performance.now() - t0) / 1000;
    say(`  (${name}: ${phaseSeconds[name].toFixed(0)} s)`);
  }
}

async function storeScaling(withRedis: boolean): Promise<StoreScaling> {
  const heap: HeapPoint[] = [];
  await timed("heap", async () => {
    // A heap is read in its own process and nothing here is timed: two variants at a time, one per core.
    const ids = Object.keys(heapVariants);
    for (let i = 0; i < ids.length; i += 2) {
      const points = await Promise.all(ids.slice(i, i + 2).map((id) => runChildScript<HeapPoint>("store/memory-heap.ts", [id], { timeoutMs: 180_000, maxOldSpaceMb: 4096 })));
      for (const point of points) {
        heap.push(point);
        say(`  heap, ${point.title}: ${point.bytesPerSession.toFixed(0)} bytes per ${point.records === "totp-users" ? "user" : "session"} at ${point.sessions}`);
      }
    }
  });
  const ops = await timed("store operations", () => runChildScript<{ operations: StoreOperation[]; revokeUser: RevokeUserPoint[] }>("store/memory-ops.ts", [], { timeoutMs: 300_000, maxOldSpaceMb: 4096 }));
  const redis = withRedis ? await timed("Redis round trips", () => runChildScript<RoundTripRow[]>("store/redis-round-trips.ts", [redisUrl, `${redisPrefix}round-trips:`], { timeoutMs: 180_000 })) : undefined;
  // The administrator's pages with a million sessions: memory, and Redis when there is one (writing 1 M sessions
  // to Redis takes a few minutes).
  const adminPages = await timed("admin pages", () => runChildScript<AdminPageRow[]>("store/admin-pages.ts", withRedis ? [redisUrl, `${redisPrefix}admin-pages:`] : [], { timeoutMs: 1_800_000, maxOldSpaceMb: 6144 }));
  return {
    store: "MemorySessionStore",
    targetOperation: "logout-login/active",
    operations: ops.operations,
    revokeUser: ops.revokeUser,
    heap,
    targetHeap: TARGET_HEAP_VARIANT,
    ...(redis === undefined ? {} : { redis }),
    adminPages,
  };
}

const started = performance.now();
const startedAt = new Date();
const loadAtStart = loadavg()[0] ?? 0;
const machine = machineInfo(startedAt, loadAtStart);
const all = scenarios().filter((s) => wanted(s.id));
const hasRedis = await redisAvailable(redisUrl);
if (hasRedis) {
  const client = await connectRedis(redisUrl);
  const swept = await sweepStaleRuns(client);
  client.destroy();
  if (swept > 0) say(`deleted ${swept} Redis keys left by earlier benchmark runs that were stopped before their clean-up`);
}
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
const perScenario = settings.warmupSeconds + settings.durationSeconds + 2 + settings.rounds;
say(`express-logout benchmark: ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}`);
say(
  `${runnable.length} HTTP scenarios × ~${perScenario} s${runStore ? " + store scaling (~90 s)" : ""}${runPrimitives ? " + primitives (~15 s)" : ""}: about ${Math.ceil((runnable.length * perScenario + (runStore ? 90 : 0) + (runPrimitives ? 15 : 0)) / 60)} min`,
);

const http: HttpRow[] = [];
try {
  // A comparison group is a ceiling and every row compared with it; its members run interleaved.
  const groups = new Map<string, Scenario[]>();
  for (const scenario of runnable) groups.set(scenario.ceilingId, [...(groups.get(scenario.ceilingId) ?? []), scenario]);
  await timed("HTTP", async () => {
    for (const [ceilingId, members] of groups) {
      say(`${ceilingId.replace(/^ceiling\//, "")}: ${members.map((m) => m.id).join(", ")}`);
      http.push(...(await measureGroup(members, { settings, redisPrefix, redisUrl, say })));
    }
  });
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
  store = await storeScaling(hasRedis);
}
let primitives: PrimitiveRow[] = [];
if (runPrimitives) {
  say("primitives");
  primitives = await timed("primitives", () => runChildScript<PrimitiveRow[]>("primitives.ts", [], { timeoutMs: 120_000 }));
}


const results: BenchResults = { machine: machineInfo(startedAt, loadAtStart), settings, http, store, primitives, notRun, totalSeconds: (performance.now() - started) / 1000, phaseSeconds };
// A full run into the repository's own bench/ also refreshes the README's summary, so it never lags the results.
const { markdown, readme } = await writeResults(results, outDir, only.length === 0 && process.env.BENCH_OUT === undefined);
if (readme === "no markers") say("README.md has no benchmark summary markers: its Performance section was not refreshed");
say("");
say(markdown);
