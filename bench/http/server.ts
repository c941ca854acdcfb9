/**
 * The server process of one HTTP scenario: `node --expose-gc --import tsx bench/http/server.ts <scenario>`,
 * started by bench/run.ts with an IPC channel. It builds the scenario's app, listens on a free loopback port,
 * and answers the parent's messages (make a feed, mark a phase, count live sessions, stop). The load generator
 * runs in the parent: the two never share a core's event loop.
 */
import { writeFile } from "node:fs/promises";
import { Session } from "node:inspector/promises";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { findScenario } from "./registry.js";
import type { FromServer, ToServer } from "./protocol.js";

function send(message: FromServer): void {
  process.send?.(message);
}

const [scenarioId, redisPrefix, redisUrl] = process.argv.slice(2);
if (scenarioId === undefined || redisPrefix === undefined || redisUrl === undefined || process.send === undefined) {
  console.error("usage: started by bench/run.ts with an IPC channel: server.ts <scenario> <redisPrefix> <redisUrl>");
  process.exit(2);
}

const collect = (globalThis as { gc?: () => void }).gc;

/**
 * `BENCH_PROFILE_DIR`: a V8 CPU profile of each measured phase only (not the start, the feeds or the warm-up),
 * written there as `<scenario>.<n>.cpuprofile` for bench/profile/pipelines.ts to attribute per request.
 */
const profileDir = process.env.BENCH_PROFILE_DIR;
const profiler = profileDir === undefined ? undefined : new Session();
let profiles = 0;
if (profiler !== undefined) {
  profiler.connect();
  await profiler.post("Profiler.enable");
  await profiler.post("Profiler.setSamplingInterval", { interval: 100 });
}

try {
  const running = await findScenario(scenarioId).start({ redisPrefix, redisUrl });
  const server = running.app.listen(0, "127.0.0.1");
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  server.keepAliveTimeout = 60_000;
  const { port } = server.address() as AddressInfo;

  let elu = performance.eventLoopUtilization();
  let cpu = process.cpuUsage();
  let started = performance.now();
  let commandsAtStart = running.commandsSent?.() ?? 0;

  process.on("message", (message: ToServer) => {
    void handle(message).catch((error: unknown) => {
      send({ type: "failed", message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    });
  });

  async function handle(message: ToServer): Promise<void> {
    switch (message.type) {
      case "feed": {
        const t0 = performance.now();
        const feed = await running.feed(message.n);
        // Start the timed phase with the minting garbage already collected, the same for every scenario.
        collect?.();
        send({ type: "feed", feed, ms: performance.now() - t0 });
        return;
      }
      case "phase-start":
        await profiler?.post("Profiler.start");
        elu = performance.eventLoopUtilization();
        cpu = process.cpuUsage();
        started = performance.now();
        commandsAtStart = running.commandsSent?.() ?? 0;
        return;
      case "phase-end": {
        const wallMs = performance.now() - started;
        const used = process.cpuUsage(cpu);
        const phaseElu = performance.eventLoopUtilization(elu).utilization;
        let profile: string | undefined;
        if (profiler !== undefined && profileDir !== undefined) {
          const { profile: taken } = await profiler.post("Profiler.stop");
          profile = join(profileDir, `${(scenarioId ?? "scenario").replace(/\//g, "__")}.${++profiles}.cpuprofile`);
          await writeFile(profile, JSON.stringify(taken));
        }
        send({
          type: "phase",
          phase: {
            elu: phaseElu,
            cpu: (used.user + used.system) / 1000 / wallMs,
            heapUsedBytes: process.memoryUsage().heapUsed,
            redisCommands: running.commandsSent === undefined ? undefined : running.commandsSent() - commandsAtStart,
            profile,
          },
        });
        return;
      }
      case "live":
        send({ type: "live", live: running.liveSessions === undefined ? undefined : await running.liveSessions() });
        return;
      case "stop":
        server.closeAllConnections();
        server.close();
        await running.close();
        send({ type: "stopped" });
        process.disconnect();
        return;
    }
  }

  send({ type: "ready", port, template: running.template, success: running.success });
} catch (error) {
  send({ type: "failed", message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exitCode = 1;
  process.disconnect();
}
