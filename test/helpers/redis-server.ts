import { spawn, execFile, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Children still running, killed if the test process exits without stopping them. */
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** Whether a loopback port can be bound now. */
function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => { resolve(false); });
    server.listen(port, "127.0.0.1", () => {
      server.close(() => { resolve(true); });
    });
  });
}

/**
 * A free loopback port in a high range. With `alsoFree` the ports at those offsets must be free too (a
 * cluster node also binds its bus port, port + 10000).
 */
export async function freePort(alsoFree: readonly number[] = []): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 25_000);
    if (!(await canBind(port))) continue;
    let ok = true;
    for (const offset of alsoFree) if (!(await canBind(port + offset))) ok = false;
    if (ok) return port;
  }
  throw new Error("no free loopback port found");
}

/** Sends one inline command over a raw socket and answers the first reply line (no client needed). */
export function rawCommand(port: number, command: string, timeoutMs = 1_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ port, host: "127.0.0.1" });
    let data = "";
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      reject(new Error(`${command}: no answer from port ${port}`));
    });
    socket.once("error", reject);
    socket.once("connect", () => socket.write(`${command}\r\n`));
    socket.on("data", (chunk) => {
      data += chunk.toString("utf8");
      if (data.includes("\r\n")) {
        socket.destroy();
        resolve(data);
      }
    });
  });
}

async function waitForPing(port: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const reply = await rawCommand(port, "PING", 500).catch(() => "");
    if (reply.startsWith("+PONG")) return;
    await sleep(50);
  }
  throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms`);
}

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  /** Starts it again on the same port and directory (after `kill`). */
  start(): Promise<void>;
  /** Kills it with a signal and waits for the exit (`SIGKILL`: an abrupt crash). */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Freezes the process (`SIGSTOP`): connections stay open, commands get no answer. */
  pause(): void;
  /** Thaws a paused process (`SIGCONT`). */
  resume(): void;
  /** Kills it and removes its directory. */
  stop(): Promise<void>;
}

export interface RedisServerOptions {
  readonly port?: number;
  /** Extra `redis-server` arguments, e.g. `["--appendonly", "yes"]`. Later ones win. */
  readonly args?: readonly string[];
}

/**
 * Starts a private `redis-server` on a loopback port of its own, with persistence off and a temporary
 * directory, so a test can crash, freeze and restart it without touching the shared server on 6379.
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), "express-logout-redis-"));
  let child: ChildProcess | undefined;

  const start = async () => {
    const args = ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no", "--protected-mode", "no", "--loglevel", "warning", ...(options.args ?? [])];
    const proc = spawn("redis-server", args, { stdio: ["ignore", "ignore", "pipe"] });
    child = proc;
    running.add(proc);
    proc.once("exit", () => running.delete(proc));
    await waitForPing(port);
  };

  const kill = async (signal: NodeJS.Signals = "SIGKILL") => {
    const proc = child;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once("exit", resolve));
    if (signal !== "SIGCONT") proc.kill("SIGCONT");
    proc.kill(signal);
    await exited;
  };

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    start,
    kill,
    pause: () => { child?.kill("SIGSTOP"); },
    resume: () => { child?.kill("SIGCONT"); },
    stop: async () => {
      await kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RedisCluster {
  readonly nodes: readonly RedisServer[];
  readonly rootNodes: readonly { url: string }[];
  stop(): Promise<void>;
}

function execFileText(file: string, args: readonly string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error !== null) reject(new Error(`${file} ${args.join(" ")} failed: ${stderr || error.message}`));
      else resolve(stdout);
    });
  });
}

/**
 * Starts a Redis Cluster of `size` primaries (no replicas) on free loopback ports, creates it with
 * `redis-cli --cluster create`, and waits until every node reports `cluster_state:ok`.
 */
export async function startRedisCluster(size = 3): Promise<RedisCluster> {
  const nodes: RedisServer[] = [];
  try {
    for (let i = 0; i < size; i++) {
      const port = await freePort([10_000]);
      nodes.push(await startRedisServer({
        port,
        args: ["--cluster-enabled", "yes", "--cluster-config-file", `nodes-${port}.conf`, "--cluster-node-timeout", "2000"],
      }));
    }
    await execFileText("redis-cli", ["--cluster", "create", ...nodes.map((n) => `127.0.0.1:${n.port}`), "--cluster-replicas", "0", "--cluster-yes"], 30_000);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const states = await Promise.all(nodes.map((n) => execFileText("redis-cli", ["-p", String(n.port), "cluster", "info"], 2_000).catch(() => "")));
      if (states.every((s) => s.includes("cluster_state:ok"))) break;
      if (Date.now() > deadline) throw new Error("the Redis Cluster did not reach cluster_state:ok within 30 s");
      await sleep(100);
    }
  } catch (error) {
    await Promise.all(nodes.map((n) => n.stop()));
    throw error;
  }
  return {
    nodes,
    rootNodes: nodes.map((n) => ({ url: n.url })),
    stop: async () => { await Promise.all(nodes.map((n) => n.stop())); },
  };
}
