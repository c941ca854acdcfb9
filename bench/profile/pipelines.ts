/**
 * `npm run bench:profile`: where each pipeline's time goes, per request, next to its ceiling's. Every pipeline on
 * the memory store and its ceiling run in their own server process, as in `npm run bench`, with a V8 CPU
 * profile taken of the measured phases only; each profile is attributed per answered request (attribute.ts)
 * and the difference with the ceiling is the library's cost, split by where it lands. Writes
 * bench/profile.md (or `$BENCH_OUT/profile.md`; against the floor or the peer, profile-floor.md or profile-peer.md).
 *
 * `PROFILE_ONLY=require-session,kratos-logout` for some pipelines; `PROFILE_SECONDS` measured seconds per
 * server (default 6) in `PROFILE_PHASES` phases (default 3), each server's phases interleaved with the other's;
 * `PROFILE_STORE=redis` for the Redis rows instead; `PROFILE_DEBUG=<category>` also prints the frames charged to
 * one category, most first; `PROFILE_AGAINST=floor` compares each pipeline with its hand-written floor instead of
 * its ceiling; `PROFILE_AGAINST=peer` compares each pipeline on Redis with the express-session + connect-redis peer
 * doing the same kind of work (the only way to profile the express-session pipelines, which run on Redis only).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { peers, pipelines } from "../http/registry.js";
import type { Pipeline } from "../http/types.js";
import { BENCH_PREFIX_ROOT, connectRedis, deletePrefix } from "../http/redis.js";
import { runLoad } from "../lib/load.js";
import { machineInfo } from "../lib/machine.js";
import { startServerProcess } from "../lib/server-process.js";
import { ceilingGoal } from "../lib/report.js";
import { attribute, CATEGORIES, type Attribution, type Category, type CpuProfileData } from "./attribute.js";

/** The parts of a route's cost that no implementation can skip (see `section`); the `floor/` rows of `npm run bench` measure the whole of it. */
const UNSKIPPABLE: readonly Category[] = ["crypto (SHA-256, HMAC, random)", "library: store", "Redis client"];

const only = (process.env.PROFILE_ONLY ?? "").split(",").filter(Boolean);
const seconds = Number(process.env.PROFILE_SECONDS ?? 6);
// `floor`: each pipeline against its hand-written floor (`Pipeline.floor`) instead of its bare route, which shows
// what the library does beyond the work no implementation can skip. `peer`: against what a user would pick instead.
const against = process.env.PROFILE_AGAINST === "floor" || process.env.PROFILE_AGAINST === "peer" ? process.env.PROFILE_AGAINST : "ceiling";
const store = process.env.PROFILE_STORE ?? (against === "peer" ? "redis" : "memory");
const redisUrl = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
const outDir = process.env.BENCH_OUT ?? fileURLToPath(new URL("..", import.meta.url));
const redisPrefix = `${BENCH_PREFIX_ROOT}${process.pid}-${Date.now()}:`;
// More, shorter phases interleave a drifting machine's minutes more finely.
const PHASES = Number(process.env.PROFILE_PHASES ?? 3);
const CONNECTIONS = 10;

interface Profiled {
  readonly attribution: Attribution;
  readonly requests: number;
  readonly requestsPerSecond: number;
}

/** One server under profile: its process, its feed's warm rate, and what its measured phases gathered. */
interface ProfiledServer {
  readonly id: string;
  readonly server: Awaited<ReturnType<typeof startServerProcess>>;
  readonly warmRequestsPerSecond: number;
  readonly profiles: CpuProfileData[];
  requests: number;
  busySeconds: number;
}

async function startProfiled(id: string, dir: string): Promise<ProfiledServer> {
  const server = await startServerProcess(id, redisPrefix, redisUrl, { env: { BENCH_PROFILE_DIR: dir } });
  try {
    const warm = await server.feed(20_000);
    const warmed = await runLoad({ port: server.port, template: server.template, feed: warm.feed, expectStatus: server.success.status, connections: CONNECTIONS, durationSeconds: 1.5, stopWhenExhausted: true });
    return { id, server, warmRequestsPerSecond: warmed.requestsPerSecond, profiles: [], requests: 0, busySeconds: 0 };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

async function measurePhase(target: ProfiledServer): Promise<void> {
  const { server, id } = target;
  const { feed } = await server.feed(Math.ceil(target.warmRequestsPerSecond * (seconds / PHASES) * 1.6) + 1_000);
  server.phaseStart();
  const result = await runLoad({ port: server.port, template: server.template, feed, expectStatus: server.success.status, connections: CONNECTIONS, durationSeconds: seconds / PHASES, stopWhenExhausted: false });
  const measured = await server.phaseEnd();
  if (result.unexpected > 0 || result.errors > 0 || result.exhausted) throw new Error(`${id}: ${result.unexpected} unexpected answers, ${result.errors} errors${result.exhausted ? ", feed ran out" : ""}`);
  if (measured.profile === undefined) throw new Error(`${id}: the server process wrote no profile`);
  target.profiles.push(JSON.parse(await readFile(measured.profile, "utf8")) as CpuProfileData);
  target.requests += result.ok;
  target.busySeconds += result.durationSeconds;
}

/** `PROFILE_DEBUG`: the category whose frames each server's attribution lists. */
const debugCategory = CATEGORIES.find((c) => c === process.env.PROFILE_DEBUG);

function profiled(target: ProfiledServer): Profiled {
  const attribution = attribute(target.profiles, target.requests, debugCategory);
  if (debugCategory !== undefined) {
    process.stdout.write(`  ${target.id}, frames charged to "${debugCategory}" (µs per request):\n`);
    for (const frame of attribution.debugFrames.slice(0, 60)) process.stdout.write(`    ${frame.us.toFixed(2)}  ${frame.name}\n`);
  }
  return { attribution, requests: target.requests, requestsPerSecond: target.requests / target.busySeconds };
}

/**
 * A ceiling and its pipeline, both servers up at once and their measured phases interleaved (ceiling, pipeline,
 * ceiling, ...): the machine's speed drifts by a quarter over a minute here, and phases run one after the other
 * would charge that drift to the library.
 */
async function profilePair(ceilingId: string, rowId: string, dir: string): Promise<{ ceiling: Profiled; row: Profiled }> {
  const ceiling = await startProfiled(ceilingId, dir);
  try {
    const row = await startProfiled(rowId, dir);
    try {
      for (let phase = 0; phase < PHASES; phase++) {
        await measurePhase(ceiling);
        await measurePhase(row);
      }
      return { ceiling: profiled(ceiling), row: profiled(row) };
    } finally {
      await row.server.stop();
    }
  } finally {
    await ceiling.server.stop();
  }
}

function us(value: number): string {
  return value.toFixed(1);
}

function section(title: string, goal: number | undefined, ceiling: Profiled, row: Profiled): string[] {
  const c = ceiling.attribution;
  const r = row.attribution;
  const added = r.total - c.total;
  const lines = [
    `### ${title}`,
    "",
    `${Math.round(row.requestsPerSecond)} vs ${Math.round(ceiling.requestsPerSecond)} req/s while profiled; CPU per answered request ${us(r.total)} µs vs the ${against}'s ${us(c.total)} µs: ${
      against === "peer"
        ? `${us(Math.abs(added))} µs ${added >= 0 ? "more" : "less"} than the peer, ${((100 * r.total) / c.total).toFixed(0)} % of its CPU per request`
        : `the library adds ${us(added)} µs, a share of the ${against} of ${((100 * c.total) / r.total).toFixed(0)} %`
    }${goal === undefined ? "" : ` (goal ${(100 * goal).toFixed(0)} %, which allows ${us(c.total / goal - c.total)} µs)`}.`,
    "",
    `| where the time goes | ${against} µs/request | pipeline µs/request | added |`,
    "| --- | ---: | ---: | ---: |",
  ];
  for (const category of CATEGORIES) {
    const a = c.perRequest[category];
    const b = r.perRequest[category];
    if (a < 0.05 && b < 0.05) continue;
    lines.push(`| ${category} | ${us(a)} | ${us(b)} | ${b - a >= 0 ? "+" : ""}${us(b - a)} |`);
  }
  lines.push(`| all | ${us(c.total)} | ${us(r.total)} | ${added >= 0 ? "+" : ""}${us(added)} |`, "");
  // What no implementation of the route can skip: hashing and HMAC of its secrets, the store's own work, and on
  // Redis the client's. If that alone costs more than the goal allows, the goal is out of reach on this machine.
  const unskippable = UNSKIPPABLE.reduce((sum, category) => sum + r.perRequest[category] - c.perRequest[category], 0);
  if (goal !== undefined) {
    const allowed = c.total / goal - c.total;
    lines.push(
      unskippable > allowed
        ? `**Unskippable work:** ${UNSKIPPABLE.join(", ")}, which no implementation of this route can skip, cost ${us(unskippable)} µs a request, more than the ${us(allowed)} µs the goal allows: the goal is out of reach on this machine, whatever the rest of the library costs.`
        : `**Unskippable work:** ${UNSKIPPABLE.join(", ")}, which no implementation of this route can skip, cost ${us(unskippable)} µs a request, within the ${us(allowed)} µs the goal allows; the other ${us(added - unskippable)} µs are the library's handlers, the promise hops between them and what they ask of Node and Express.`,
      "",
    );
  }
  const top = r.libraryFunctions.slice(0, 8).filter((f) => f.us >= 0.05);
  if (top.length > 0) {
    lines.push(`The library's functions with the most self time (µs per request): ${top.map((f) => `\`${f.name}\` ${f.us.toFixed(2)}`).join(", ")}.`, "");
  }
  return lines;
}

/** The scenario a pipeline is profiled against: its bare route, its floor, or the peer doing its kind of work on Redis. */
function againstIdOf(pipeline: Pipeline): string | undefined {
  if (against === "floor") return pipeline.floor === undefined ? undefined : `floor/${pipeline.id}`;
  if (against === "peer") {
    const peer = store === "redis" ? peers.find((p) => p.kind === pipeline.kind) : undefined;
    return peer === undefined ? undefined : `peer/${peer.id}`;
  }
  // A pipeline measured against another's bare route (express-session's) is profiled against that one.
  return `ceiling/${pipeline.ceilingOf ?? pipeline.id}`;
}

function profilable(pipeline: Pipeline): boolean {
  return (pipeline.stores === undefined || pipeline.stores.includes(store)) && againstIdOf(pipeline) !== undefined;
}

const wanted = pipelines.filter((p) => (only.length === 0 || only.includes(p.id)) && profilable(p));
if (wanted.length === 0) {
  process.stderr.write(`PROFILE_ONLY=${only.join(",")} names no pipeline this can profile against the ${against} on the ${store} store; pick from: ${pipelines.filter(profilable).map((p) => p.id).join(", ")}\n`);
  process.exit(2);
}
await mkdir(outDir, { recursive: true });
const dir = await mkdtemp(join(tmpdir(), "express-logout-profile-"));
const started = new Date();
const out: string[] = [
  "# Where the time goes: each pipeline's CPU per request, profiled",
  "",
  `Produced by \`npm run bench:profile\` on ${started.toISOString()}. ${machineInfo(started).cpuModel}, Node ${process.version}; store: ${store}. Method: docs/benchmarks.md, "Profiles".`,
  "",
  `Each server runs in its own process under the same load as in \`npm run bench\` (10 connections), a pipeline and its ${against} side by side with their measured phases interleaved (${seconds} s each, in ${PHASES} phases); a V8 CPU profile is taken of the measured phases only, and every sample is charged to where it was taken. Profiling itself slows the servers a little, so the req/s here are below the benchmark's; the split is what to read.`,
  "",
];
try {
  for (const pipeline of wanted) {
    process.stdout.write(`${pipeline.id}: ${against} and ${store}, phases interleaved\n`);
    const { ceiling, row } = await profilePair(againstIdOf(pipeline) ?? "", `${pipeline.id}/${store}`, dir);
    const goal = store === "memory" && against === "ceiling" ? ceilingGoal(pipeline.id) : undefined;
    out.push(...section(pipeline.title, goal, ceiling, row));
    process.stdout.write(`  ${us(ceiling.attribution.total)} → ${us(row.attribution.total)} µs per request\n`);
  }
} finally {
  if (process.env.PROFILE_KEEP === undefined) await rm(dir, { recursive: true, force: true });
  else process.stdout.write(`profiles kept in ${dir}\n`);
  if (store === "redis") {
    const client = await connectRedis(redisUrl);
    await deletePrefix(client, redisPrefix);
    client.destroy();
  }
}
// Against the ceiling: bench/profile.md; against the floor or the peer, a file of its own beside it.
await writeFile(join(outDir, against === "ceiling" ? "profile.md" : `profile-${against}.md`), `${out.join("\n").trimEnd()}\n`);
process.stdout.write(`\n${out.join("\n")}\n`);
