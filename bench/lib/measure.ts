import type { Scenario } from "../http/types.js";
import { runLoad, type LoadResult } from "./load.js";
import { combineSlices, type HttpRow, type RunSettings, type Slice } from "./report.js";
import { startServerProcess, type ServerProcess } from "./server-process.js";

/**
 * Sessions made for a warm-up of a one-use feed: a second of the fastest library route on a fast machine. A
 * warm-up that runs out stops early, and its rate is still read over the time it ran; 20 000 cost a run half a
 * minute of logins on Redis that no warm-up used.
 */
const WARMUP_RATE_GUESS = 8_000;
/** Values made for a measured slice: the warm-up's rate times this, so the feed outlasts the slice. */
const FEED_MARGIN = 1.6;

export interface GroupContext {
  readonly settings: RunSettings;
  readonly redisPrefix: string;
  readonly redisUrl: string;
  readonly say: (message: string) => void;
}

interface Member {
  readonly scenario: Scenario;
  readonly server: ServerProcess;
  rate: number;
  readonly slices: Slice[];
  ms: number;
}

async function runSlice(member: Member, ctx: GroupContext, seconds: number): Promise<Slice> {
  const { scenario, server } = member;
  const { connections } = ctx.settings;
  let size = Math.ceil(member.rate * seconds * FEED_MARGIN) + connections * 4 + 1_000;
  for (let attempt = 1; ; attempt++) {
    const { feed, ms } = await server.feed(size);
    member.ms += ms;
    const counts = scenario.kind === "logout" && scenario.group !== "ceiling";
    const liveBefore = counts ? await server.liveSessions() : undefined;
    server.phaseStart();
    const result: LoadResult = await runLoad({
      port: server.port,
      template: server.template,
      feed,
      expectStatus: server.success.status,
      connections,
      durationSeconds: seconds,
      stopWhenExhausted: false,
    });
    const phase = await server.phaseEnd();
    const liveAfter = liveBefore === undefined ? undefined : await server.liveSessions();
    if (result.exhausted && attempt < 3) {
      ctx.say(`  ${scenario.id}: the feed of ${size} ran out; this slice again with twice as many`);
      size *= 2;
      continue;
    }
    return {
      ok: result.ok,
      unexpected: result.unexpected,
      statusCounts: result.statusCounts,
      errors: result.errors,
      durationSeconds: result.durationSeconds,
      latencies: result.latencies,
      exhausted: result.exhausted,
      serverElu: phase.elu,
      clientCpu: result.clientCpu,
      redisCommands: phase.redisCommands,
      sessionsEnded: liveBefore === undefined || liveAfter === undefined ? undefined : liveBefore - liveAfter,
      sessionsPrepared: feed.cycle ? undefined : feed.rows.length,
    };
  }
}

/**
 * Measures a comparison group (a ceiling and every row compared with it) in interleaved slices: all its server
 * processes start and warm up, then each round gives every member one slice of `duration / rounds` seconds,
 * the order rotating each round. Drift of a shared machine (another job, CPU frequency) then falls on every
 * member alike instead of on whichever ran last, and the per-round ratios show how much the numbers move.
 */
export async function measureGroup(scenarios: readonly Scenario[], ctx: GroupContext): Promise<HttpRow[]> {
  const { settings } = ctx;
  const members: Member[] = [];
  try {
    // Started together: nothing is measured while a server starts, and one at a time cost a whole run a minute.
    const started = await Promise.allSettled(scenarios.map((scenario) => startServerProcess(scenario.id, ctx.redisPrefix, ctx.redisUrl)));
    started.forEach((start, i) => {
      if (start.status === "fulfilled") members.push({ scenario: scenarios[i]!, server: start.value, rate: WARMUP_RATE_GUESS, slices: [], ms: 0 });
    });
    const failed = started.find((start) => start.status === "rejected");
    if (failed !== undefined) throw failed.reason;
    for (const member of members) {
      const { feed } = await member.server.feed(Math.ceil(WARMUP_RATE_GUESS * settings.warmupSeconds));
      const warm = await runLoad({
        port: member.server.port,
        template: member.server.template,
        feed,
        expectStatus: member.server.success.status,
        connections: settings.connections,
        durationSeconds: settings.warmupSeconds,
        stopWhenExhausted: true,
      });
      if (warm.ok === 0) throw new Error(`${member.scenario.id}: the warm-up got no ${member.server.success.status}: ${JSON.stringify(warm.statusCounts)}`);
      member.rate = warm.requestsPerSecond;
    }
    const seconds = settings.durationSeconds / settings.rounds;
    for (let round = 0; round < settings.rounds; round++) {
      for (let i = 0; i < members.length; i++) {
        const member = members[(i + round) % members.length]!;
        member.slices.push(await runSlice(member, ctx, seconds));
      }
    }
    return members.map((member) => {
      const row: HttpRow = combineSlices(member.scenario, member.slices, settings.connections);
      ctx.say(
        `  ${row.id}: ${Math.round(row.requestsPerSecond)} req/s (rounds ${row.roundRates.map((r) => Math.round(r)).join(", ")}), p50 ${row.p50Ms.toFixed(2)} ms, p99 ${row.p99Ms.toFixed(2)} ms, server busy ${(row.serverElu * 100).toFixed(0)} %, client CPU ${(row.clientCpu * 100).toFixed(0)} %` +
          (row.sessionsPrepared === undefined ? "" : `, ${row.sessionsPrepared} fresh sessions made in ${(member.ms / 1000).toFixed(1)} s`) +
          (row.valid ? "" : `  INVALID: ${row.note ?? ""}`),
      );
      return row;
    });
  } finally {
    await Promise.all(members.map((member) => member.server.stop()));
  }
}
