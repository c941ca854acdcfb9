import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { FromServer, ServerPhase, ToServer } from "../http/protocol.js";
import type { Feed, RequestTemplate, SuccessReply } from "../http/types.js";

const serverEntry = fileURLToPath(new URL("../http/server.ts", import.meta.url));

/** The parent's handle on one scenario's server process. */
export interface ServerProcess {
  readonly port: number;
  readonly template: RequestTemplate;
  readonly success: SuccessReply;
  feed(n: number): Promise<{ feed: Feed; ms: number }>;
  phaseStart(): void;
  phaseEnd(): Promise<ServerPhase>;
  liveSessions(): Promise<number | undefined>;
  stop(): Promise<void>;
}

/**
 * Starts `bench/http/server.ts` for one scenario in its own Node process (`--expose-gc`, tsx loader), and
 * talks to it over IPC. Every wait is bounded; on stop the process is ended by its own pid if it lingers.
 */
export async function startServerProcess(scenarioId: string, redisPrefix: string, redisUrl: string, options: { readonly env?: Readonly<Record<string, string>> } = {}): Promise<ServerProcess> {
  const child: ChildProcess = fork(serverEntry, [scenarioId, redisPrefix, redisUrl], {
    // BENCH_CPU_PROF=<dir> writes a V8 CPU profile of every server process there (open it in Chrome DevTools).
    execArgv: ["--expose-gc", ...(process.env.BENCH_CPU_PROF === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]), "--import", "tsx"],
    env: { ...process.env, ...options.env, NODE_ENV: "production" },
    serialization: "advanced",
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => { resolve(); }));

  function next<T extends FromServer["type"]>(type: T, timeoutMs: number): Promise<Extract<FromServer, { type: T }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${scenarioId}: no "${type}" from the server process within ${timeoutMs} ms`));
      }, timeoutMs);
      const onMessage = (message: FromServer) => {
        if (message.type === "failed") {
          cleanup();
          reject(new Error(`${scenarioId}: server process failed: ${message.message}`));
        } else if (message.type === type) {
          cleanup();
          resolve(message as Extract<FromServer, { type: T }>);
        }
      };
      const onExit = (code: number | null) => {
        cleanup();
        reject(new Error(`${scenarioId}: server process exited (code ${String(code)}) while waiting for "${type}"`));
      };
      function cleanup(): void {
        clearTimeout(timer);
        child.off("message", onMessage);
        child.off("exit", onExit);
      }
      child.on("message", onMessage);
      child.once("exit", onExit);
    });
  }

  function send(message: ToServer): void {
    child.send(message);
  }

  async function kill(): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3_000))]);
    // The child may have exited while we waited: check again (the compiler cannot see the event in between).
    if ((child.exitCode as number | null) === null && (child.signalCode as NodeJS.Signals | null) === null) child.kill("SIGKILL");
  }

  let ready;
  try {
    ready = await next("ready", 60_000);
  } catch (error) {
    await kill();
    throw error;
  }
  return {
    port: ready.port,
    template: ready.template,
    success: ready.success,
    async feed(n) {
      const reply = next("feed", 180_000);
      send({ type: "feed", n });
      const { feed, ms } = await reply;
      return { feed, ms };
    },
    phaseStart() {
      send({ type: "phase-start" });
    },
    async phaseEnd() {
      const reply = next("phase", 10_000);
      send({ type: "phase-end" });
      return (await reply).phase;
    },
    async liveSessions() {
      const reply = next("live", 60_000);
      send({ type: "live" });
      return (await reply).live;
    },
    async stop() {
      try {
        if (child.connected) {
          const reply = next("stopped", 60_000);
          send({ type: "stop" });
          await reply;
        }
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
      } finally {
        await kill();
      }
    },
  };
}
