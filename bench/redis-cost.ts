/**
 * `npm run bench:redis-cost`: what a guard's lookup and a logout cost Redis itself, next to what
 * express-session + connect-redis asks of it for the same work, in CPU instructions counted by callgrind on a
 * private `redis-server` of its own. A count does not move with the machine's load, as the HTTP rows of
 * `npm run bench` do, so it says how much of a Redis logout's time is the library's script and which part of it.
 *
 * The logout script is also run with parts of it taken out (the announcement on the revocation feed, the user
 * index entry's removal, the record's removal), then with its lookup cut short at one statement after another
 * (the record's read, the key part's escaping, the route's read), through the store itself: each part's cost is
 * the difference.
 * Those variants are measurements only; a store never runs them.
 *
 * Needs `valgrind` and `redis-server` on the PATH (it says so and stops otherwise). Writes bench/redis-cost.md
 * (or `$BENCH_OUT/redis-cost.md`); `N=<calls>` per row, default 1000.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { RedisStore } from "connect-redis";
import type session from "express-session";
import { generateToken, issueSession, RedisSessionStore } from "#bench/library";
import { createClient } from "redis";
import type { BenchRedisClient } from "./http/redis.js";
import { machineInfo } from "./lib/machine.js";
import { logoutScriptParts, type ScriptPart } from "./redis-cost-parts.js";

const run = promisify(execFile);
const N = Number(process.env.N ?? 1000);
const outDir = process.env.BENCH_OUT ?? fileURLToPath(new URL(".", import.meta.url));

async function has(command: string): Promise<boolean> {
  try {
    await run(command, ["--version"]);
    return true;
  } catch {
    return false;
  }
}

/** A `redis-server` under callgrind with counting off until a row turns it on. */
interface CountedRedis {
  readonly client: BenchRedisClient;
  /** Instructions Redis ran for `work`, counting nothing else. */
  count(label: string, work: () => Promise<void>): Promise<number>;
  stop(): Promise<void>;
}

async function startCountedRedis(): Promise<CountedRedis> {
  const dir = await mkdtemp(join(tmpdir(), "express-logout-redis-cost-"));
  // A Unix socket of its own, no TCP port: nothing else on the machine can reach or collide with this server.
  const socket = join(dir, "redis.sock");
  const child: ChildProcess = spawn(
    "valgrind",
    ["--tool=callgrind", "--instr-atstart=no", `--callgrind-out-file=${join(dir, "cg.out")}`, "redis-server", "--port", "0", "--unixsocket", socket, "--save", "", "--appendonly", "no", "--dir", dir],
    { stdio: "ignore" },
  );
  const pid = String(child.pid);
  let client: BenchRedisClient | undefined;
  // Under valgrind the server takes a few seconds to listen.
  for (let attempt = 0; client === undefined; attempt++) {
    try {
      const candidate = createClient({ disableOfflineQueue: true, socket: { path: socket, reconnectStrategy: false } });
      candidate.on("error", () => undefined);
      client = await candidate.connect();
    } catch (error) {
      if (attempt > 100) throw new Error(`redis-server under valgrind did not answer on ${socket}`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  const connected = client;
  let dumps = 0;
  return {
    client: connected,
    async count(label, work) {
      await run("callgrind_control", ["--zero", pid]);
      await run("callgrind_control", ["--instr=on", pid]);
      await work();
      await run("callgrind_control", ["--instr=off", pid]);
      await run("callgrind_control", [`--dump=${label}`, pid]);
      dumps += 1;
      const text = await readFile(join(dir, `cg.out.${String(dumps)}`), "utf8");
      const totals = /^totals: (\d+)/m.exec(text);
      if (totals === null) throw new Error(`callgrind wrote no totals for ${label}`);
      return Number(totals[1]);
    },
    async stop() {
      connected.destroy();
      child.kill("SIGKILL");
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** SCRIPT LOAD's answer. */
function shaOf(reply: unknown): string {
  if (typeof reply !== "string") throw new Error(`SCRIPT LOAD answered ${JSON.stringify(reply)}`);
  return reply;
}

interface Row {
  readonly what: string;
  readonly instructions: number;
  readonly commands: number;
}

if (!(await has("valgrind")) || !(await has("redis-server"))) {
  console.log("bench:redis-cost needs valgrind and redis-server on the PATH (Debian: apt-get install valgrind redis-server); nothing measured.");
  process.exit(0);
}

const redis = await startCountedRedis();
const rows: Row[] = [];
try {
  const client = redis.client;
  const prefix = "express-logout:bench-cost:";
  // Every command the store sends passes here: SCRIPT LOAD tells each script's source by its SHA, and a row that
  // measures a variant of the logout script has the store's EVALSHA of it run that variant instead.
  const sources = new Map<string, string>();
  let sent = 0;
  let replaced: { readonly from: string; readonly to: string } | undefined;
  let lastScript = "";
  const store = new RedisSessionStore({
    prefix,
    sendCommand: (args) => {
      sent += 1;
      if (args[0] === "SCRIPT" && args[1] === "LOAD") {
        const text = args[2] ?? "";
        return client.sendCommand([...args]).then((sha) => { sources.set(shaOf(sha), text); return sha; });
      }
      if (args[0] === "EVALSHA") {
        lastScript = args[1] ?? "";
        if (replaced !== undefined && args[1] === replaced.from) return client.sendCommand(["EVALSHA", replaced.to, ...args.slice(2)]);
      }
      return client.sendCommand([...args]);
    },
  });
  await store.loadScripts();
  const open = async (n: number) => {
    const hashes: string[] = [];
    for (let i = 0; i < n; i++) hashes.push((await issueSession(store, { userId: `cost-user-${String(i % 250)}` })).session.tokenHash);
    return hashes;
  };

  /** One row: calls prepared uncounted, then `N` of them counted, with the commands sent per call (`sentNow`). */
  async function measure(what: string, prepare: (n: number) => Promise<string[]>, call: (item: string) => Promise<unknown>, sentNow = () => sent): Promise<void> {
    const items = await prepare(N + 20);
    // The first calls warm the server's script cache and allocator; they are not counted.
    for (const item of items.slice(0, 20)) await call(item);
    const before = sentNow();
    const instructions = await redis.count(what.replaceAll(/\W+/g, "-"), async () => {
      for (const item of items.slice(20)) await call(item);
    });
    rows.push({ what, instructions: instructions / N, commands: (sentNow() - before) / N });
    console.log(`  ${what}: ${(instructions / N).toFixed(0)} instructions per call`);
  }

  await measure("requireSession's lookup: findSessionByTokenHash, one script", open, (h) => store.findSessionByTokenHash(h));
  await measure("a logout: endSessionByTokenHash, one script", open, (h) => store.endSessionByTokenHash(h));

  // The logout script's parts: the source the store loaded for the logout, with parts taken out.
  const probe = await open(1);
  await store.endSessionByTokenHash(probe[0] ?? "");
  const logoutSha = lastScript;
  const logoutSource = sources.get(logoutSha);
  if (logoutSource === undefined) throw new Error("the store's logout script was not among the scripts it loaded");
  for (const part of logoutScriptParts(logoutSource) satisfies readonly ScriptPart[]) {
    const sha = shaOf(await client.sendCommand(["SCRIPT", "LOAD", part.source]));
    replaced = { from: logoutSha, to: sha };
    await measure(`the logout script ${part.without}`, open, (h) => store.endSessionByTokenHash(h));
    replaced = undefined;
  }

  // express-session + connect-redis 9 on the same server: the session read of every request (GET), and a
  // logout with req.session.destroy() after that read (GET, then DEL).
  let peerSent = 0;
  const counted = new Set(["get", "set", "del", "expire", "mGet"]);
  const peerClient = new Proxy(client, {
    get(target, name, receiver) {
      const value: unknown = Reflect.get(target, name, receiver);
      if (typeof name !== "string" || !counted.has(name) || typeof value !== "function") return value;
      return (...args: unknown[]) => { peerSent += 1; return (value as (...a: unknown[]) => unknown).apply(target, args); };
    },
  });
  const peer = new RedisStore({ client: peerClient, prefix: `${prefix}sess:`, ttl: 86_400 });
  const peerSessions = async (n: number) => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      // express-session's own ids: 32 base64url characters.
      const sid = generateToken().slice(0, 32);
      const data = { cookie: { originalMaxAge: 86_400_000, expires: new Date(Date.now() + 86_400_000).toISOString(), httpOnly: true, path: "/" }, userId: `cost-user-${String(i % 250)}` };
      await peer.set(sid, data as unknown as session.SessionData);
      ids.push(sid);
    }
    return ids;
  };
  const peerSentNow = () => peerSent;
  await measure("express-session + connect-redis 9: the session read (GET)", peerSessions, (sid) => peer.get(sid), peerSentNow);
  await measure("express-session + connect-redis 9: the read, then destroy() (GET, DEL)", peerSessions, async (sid) => { await peer.get(sid); await peer.destroy(sid); }, peerSentNow);
} finally {
  await redis.stop();
}

const byName = (start: string) => rows.find((r) => r.what.startsWith(start))?.instructions ?? Number.NaN;
const logout = byName("a logout");
const lines = [
  "# What a lookup and a logout cost Redis",
  "",
  `Produced by \`npm run bench:redis-cost\` on ${new Date().toISOString()}. ${machineInfo().cpuModel}, ${String(N)} calls a row, one at a time. Method: [docs/benchmarks.md](../docs/benchmarks.md), "What Redis spends".`,
  "",
  "CPU instructions the Redis server ran per call (callgrind, on a server of this run's own): the count is the same whatever else the machine does, so rows compare exactly where the HTTP rows of `npm run bench` swing with the load. Commands are the round trips the client sent per call.",
  "",
  "| operation | Redis instructions per call | × the logout | commands per call |",
  "| --- | ---: | ---: | ---: |",
  ...rows.map((r) => `| ${r.what} | ${r.instructions.toFixed(0)} | ${(r.instructions / logout).toFixed(2)} | ${r.commands.toFixed(2)} |`),
  "",
  "A part's cost is the full logout's count less the row without it; the rows cut short split the lookup, each the row above it less that row. A variant's commands are the store's own (it is run through the store); a variant is never run outside this measurement.",
  "",
];
await writeFile(join(outDir, "redis-cost.md"), lines.join("\n"));
console.log(`wrote ${join(outDir, "redis-cost.md")}`);
