/**
 * `RedisSessionStore`: Redis commands (round trips) and time per store operation, with 10 000 live sessions,
 * run by bench/run.ts as `node --expose-gc --import tsx bench/store/redis-round-trips.ts <redisUrl> <prefix>`.
 * Prints one JSON array of `RoundTripRow`. Every key lives under the given prefix and is deleted at the end.
 *
 * Each operation is measured twice: on the instance that created the sessions (its route cache knows which
 * user a session id or token hash belongs to) and on a second instance sharing the same Redis with the cache
 * off, as another app server would be when the login happened elsewhere.
 */
import { issueSession, RedisSessionStore, type IssuedSession, type CompleteSessionStore } from "#bench/library";
import { connectRedis, deletePrefix } from "../http/redis.js";
import type { RoundTripRow } from "../lib/report.js";
import { log, median } from "../lib/timing.js";

const [redisUrl, prefix] = process.argv.slice(2);
if (redisUrl === undefined || prefix === undefined) throw new Error("usage: redis-round-trips.ts <redisUrl> <prefix>");

const LIVE = 10_000;
const CALLS = 2_000;
const client = await connectRedis(redisUrl);
let commands = 0;
const send = (args: string[]) => {
  commands += 1;
  return client.sendCommand(args);
};
const warm = new RedisSessionStore({ sendCommand: send, prefix, isReady: () => client.isReady });
const cold = new RedisSessionStore({ sendCommand: send, prefix, isReady: () => client.isReady, routeCacheSize: 0 });

try {
  // Scripts loaded once, as a long-running server has them; the first EVALSHA would otherwise pay a NOSCRIPT.
  await warm.loadScripts();
  log(`redis: opening ${LIVE} sessions`);
  const live: IssuedSession[] = [];
  for (let i = 0; i < LIVE; i += 250) {
    live.push(...(await Promise.all(Array.from({ length: 250 }, (_, j) => issueSession(warm, { userId: `user-${(i + j) % 2_500}`, authenticationSource: "login" })))));
  }

  // The most recent logins: their routes fit the route cache (10 000 entries, two per session) of `warm`.
  const recent = (i: number) => live[LIVE - CALLS + (i % CALLS)]!;
  let victims = 0;
  type Op = { id: string; title: string; call: (store: CompleteSessionStore, i: number) => Promise<unknown>; prepare?: (store: CompleteSessionStore) => Promise<void> };
  const fresh: IssuedSession[] = [];
  const ops: Op[] = [
    { id: "create", title: "createSession (issueSession at login)", call: (s, i) => issueSession(s, { userId: `new-${i % 500}` }) },
    { id: "find-by-token-hash", title: "findSessionByTokenHash (every authenticated request)", call: (s, i) => s.findSessionByTokenHash(recent(i).session.tokenHash) },
    { id: "get", title: "getSession", call: (s, i) => s.getSession(recent(i).session.id) },
    { id: "touch", title: "touchSession", call: (s, i) => s.touchSession(recent(i).session.id, Date.now()) },
    {
      id: "revoke",
      title: "revokeSession (logout)",
      prepare: async () => {
        fresh.length = 0;
        for (let i = 0; i < CALLS; i += 250) fresh.push(...(await Promise.all(Array.from({ length: 250 }, (_, j) => issueSession(warm, { userId: `user-${(i + j) % 2_500}` })))));
      },
      call: (s, i) => s.revokeSession(fresh[i]!.session.id),
    },
    {
      id: "revoke-user-10",
      title: "revokeUserSessions, a user with 10 sessions",
      prepare: async () => {
        victims += 1;
        for (let i = 0; i < CALLS; i++) await Promise.all(Array.from({ length: 10 }, () => issueSession(warm, { userId: `victim-${victims}-${i}` })));
      },
      call: (s, i) => s.revokeUserSessions(`victim-${victims}-${i}`),
    },
    { id: "claim", title: "claim (a TOTP step)", call: (s, i) => s.claim(`bench-claim-${victims}-${Math.random()}-${i}`, 90_000) },
    { id: "jwt-revocation", title: "jwtRevocation (every JWT request)", call: (s, i) => s.jwtRevocation(`user-${i % 2_500}`, `jti-${i}`) },
  ];

  const rows: RoundTripRow[] = [];
  for (const op of ops) {
    const result: Record<"warm" | "cold", { commands: number; microseconds: number }> = { warm: { commands: 0, microseconds: 0 }, cold: { commands: 0, microseconds: 0 } };
    for (const [which, store] of [["warm", warm], ["cold", cold]] as const) {
      await op.prepare?.(store);
      const times: number[] = [];
      const before = commands;
      // One call at a time: the time is one operation's latency over loopback, not a throughput.
      for (let i = 0; i < CALLS; i++) {
        const t0 = process.hrtime.bigint();
        await op.call(store, i);
        times.push(Number(process.hrtime.bigint() - t0) / 1000);
      }
      result[which] = { commands: (commands - before) / CALLS, microseconds: median(times) };
    }
    rows.push({ id: op.id, title: op.title, commandsWarm: result.warm.commands, commandsCold: result.cold.commands, microsecondsWarm: result.warm.microseconds, microsecondsCold: result.cold.microseconds });
    log(`redis ${op.id}: ${result.warm.commands.toFixed(2)} / ${result.cold.commands.toFixed(2)} commands, ${result.warm.microseconds.toFixed(0)} / ${result.cold.microseconds.toFixed(0)} µs`);
  }
  process.stdout.write(`${JSON.stringify(rows)}\n`);
} finally {
  await deletePrefix(client, prefix);
  client.destroy();
}
