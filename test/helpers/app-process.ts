import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { freePort } from "./redis-server.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** App processes still running, killed if the test process exits without stopping them. */
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export interface ExampleAppProcess {
  /** The URL the app printed, e.g. `http://127.0.0.1:31234`. */
  readonly url: string;
  readonly pid: number;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** SIGTERM, then SIGKILL if it has not exited within 5 s. */
  stop(): Promise<void>;
}

export interface StartExampleAppOptions {
  /** Extra environment, e.g. `{ REDIS_URL, REDIS_PREFIX }`. `HOST` and `PORT` are chosen unless given. */
  readonly env?: Readonly<Record<string, string>>;
  /** How long to wait for the printed URL. Default 30 s. */
  readonly timeoutMs?: number;
}

/**
 * Runs `examples/server.ts` (what `npm start` runs) as a child process on a free loopback port, and resolves
 * once it has printed the URL it listens on.
 */
export async function startExampleApp(options: StartExampleAppOptions = {}): Promise<ExampleAppProcess> {
  const port = options.env?.PORT ?? String(await freePort());
  const child = spawn(process.execPath, ["--import", "tsx", "examples/server.ts"], {
    cwd: root,
    env: { ...process.env, HOST: "127.0.0.1", PORT: port, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => { output += chunk.toString("utf8"); });
  child.stderr.on("data", (chunk: Buffer) => { output += chunk.toString("utf8"); });
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => {
      running.delete(child);
      resolve();
    });
  });

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  };

  const timeoutMs = options.timeoutMs ?? 30_000;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`the example app printed no URL within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = () => {
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1] !== undefined) {
        cleanup();
        resolve(match[1]);
      }
    };
    const onExit = () => {
      cleanup();
      reject(new Error(`the example app exited before it listened:\n${output}`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout.off("data", onData);
      child.off("exit", onExit);
    };
    child.stdout.on("data", onData);
    child.once("exit", onExit);
  }).catch(async (error: unknown) => {
    await stop();
    throw error;
  });

  return { url, pid: child.pid ?? -1, output: () => output, stop };
}
