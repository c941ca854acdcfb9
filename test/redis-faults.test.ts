import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LogoutEvents, RedisSessionStore, hashSecret, issueSession, type IssuedSession } from "../src/index.js";
import { createExampleApp } from "../examples/app/index.js";
import { startRedisServer, type RedisServer } from "./helpers/redis-server.js";
import { connectRedisV5, connectRedisV6, scanKeys, type RedisV5Client } from "./helpers/redis.js";
import { hasExecutable, needService } from "./helpers/services.js";

const tools = await needService("redis-server on the PATH (to crash and restart a private Redis)", () => hasExecutable("redis-server"));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const PREFIX = "faults:";

type Phase = "up" | "stopping" | "down" | "restarting" | "back";

interface Answer {
  readonly token: string;
  readonly kind: "whoami" | "logout";
  readonly phase: Phase;
  readonly status: number;
  readonly retryAfter: string | null;
  readonly body: string;
  readonly ms: number;
}

/** The client the store sends its commands through, as docs/redis.md configures each one. */
interface ClientUnderTest {
  sendCommand(args: string[]): Promise<unknown>;
  readonly isReady: () => boolean;
  close(): Promise<unknown>;
}

const clients = [
  {
    name: "redis v5",
    connect: async (url: string): Promise<ClientUnderTest> => {
      const c = await connectRedisV5(url);
      return { sendCommand: (args) => c.sendCommand(args), isReady: () => c.isReady, close: () => c.close() };
    },
  },
  {
    name: "redis v6",
    connect: async (url: string): Promise<ClientUnderTest> => {
      const c = await connectRedisV6(url);
      return { sendCommand: (args) => c.sendCommand(args), isReady: () => c.isReady, close: () => c.close() };
    },
  },
];

describe.skipIf(!tools).each(clients)("RedisSessionStore when Redis crashes or freezes under load, through $name", ({ connect }) => {
  let redis: RedisServer;
  /** Reads what Redis holds, for the checks; the store under test talks through `under`. */
  let client: RedisV5Client;
  let under: ClientUnderTest;
  let store: RedisSessionStore;
  let http: Server;
  let url: string;
  const events = new LogoutEvents();
  const ended: string[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => { unhandled.push(reason); };
  let phase: Phase = "up";
  const answers: Answer[] = [];

  beforeAll(async () => {
    process.on("unhandledRejection", onUnhandled);
    // Persistence on, fsync on every write: a SIGKILL loses nothing Redis acknowledged, so after the restart
    // the test can check what each answered request really did.
    redis = await startRedisServer({ args: ["--appendonly", "yes", "--appendfsync", "always"] });
    client = await connectRedisV5(redis.url);
    under = await connect(redis.url);
    expect(await client.configGet("appendonly")).toEqual({ appendonly: "yes" });
    store = new RedisSessionStore({ sendCommand: (args) => under.sendCommand(args), prefix: PREFIX, isReady: under.isReady });
    events.on("session.ended", (e) => ended.push(e.sessionId));
    const { app } = createExampleApp({ store, events, publicUrl: "http://127.0.0.1" });
    http = await new Promise<Server>((resolve) => {
      const s = app.listen(0, "127.0.0.1", () => { resolve(s); });
    });
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    process.off("unhandledRejection", onUnhandled);
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
    await client.close().catch(() => undefined);
    await under.close().catch(() => undefined);
    await redis.stop();
  });

  async function ask(kind: Answer["kind"], token: string): Promise<Answer> {
    const started = performance.now();
    const at = phase;
    const res = await fetch(`${url}${kind === "whoami" ? "/v1/auth" : "/v1/auth/login/logout"}`, { headers: { authorization: `Bearer ${token}` } });
    const answer: Answer = { token, kind, phase: at, status: res.status, retryAfter: res.headers.get("retry-after"), body: await res.text(), ms: performance.now() - started };
    answers.push(answer);
    return answer;
  }

  function login(count: number): Promise<IssuedSession[]> {
    return Promise.all(Array.from({ length: count }, () => issueSession(store, { userId: "alice", ttlMs: 10 * 60_000 })));
  }

  /** What Redis holds for a session, read both ways: raw keys, and through a store with no cached routes. */
  async function stateOf(s: IssuedSession): Promise<boolean[]> {
    const base = `${PREFIX}user:{alice}:`;
    const fresh = new RedisSessionStore({ sendCommand: (args) => client.sendCommand(args), prefix: PREFIX, routeCacheSize: 0 });
    return [
      (await client.exists(`${base}session:${s.session.id}`)) === 1,
      (await client.exists(`${base}token:${s.session.tokenHash}`)) === 1,
      (await client.zScore(`${base}sessions`, s.session.id)) !== null,
      (await fresh.getSession(s.session.id)) !== undefined,
      (await fresh.findSessionByTokenHash(hashSecret(s.token))) !== undefined,
    ];
  }

  /** Runs `work` on each item with `concurrency` workers, a few ms apart, so the load spans the fault. */
  async function load<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
    const queue = [...items];
    await Promise.all(Array.from({ length: concurrency }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
        await work(item);
        await sleep(5);
      }
    }));
  }

  const successfulLogouts = (token: string) => answers.filter((a) => a.token === token && a.kind === "logout" && a.status === 200).length;

  it("answers 503 through a crash, recovers after the restart, and leaves nothing half-done", async () => {
    const sessions = await login(30);
    const inLoad = sessions.slice(0, 15);
    const duringOutage = sessions.slice(15, 25);
    const untouched = sessions.slice(25);

    // Load: each session is looked at, then logged out. After the fifth logout answers, Redis is killed while
    // the other workers' requests are in flight.
    let logouts = 0;
    let crash: Promise<void> | undefined;
    await load(inLoad, 5, async (s) => {
      await ask("whoami", s.token);
      await ask("logout", s.token);
      logouts += 1;
      if (logouts === 5) {
        phase = "stopping";
        crash = redis.kill("SIGKILL").then(() => { phase = "down"; });
      }
    });
    await crash;
    expect(phase).toBe("down");

    // The outage: every request answers 503 with Retry-After, quickly (the offline queue is off).
    await load(duringOutage, 4, async (s) => {
      await ask("whoami", s.token);
      await ask("logout", s.token);
    });

    // Redis comes back on the same port with its data; the same app, never restarted, serves again.
    phase = "restarting";
    await redis.start();
    const deadline = Date.now() + 15_000;
    while (!(under.isReady() && client.isReady) && Date.now() < deadline) await sleep(50);
    phase = "back";
    expect((await ask("whoami", untouched[0]!.token)).status).toBe(200);

    // What answered 503 during the outage did nothing: those sessions are still there to log out now.
    for (const s of duringOutage) expect((await ask("logout", s.token)).status).toBe(200);

    // Every answer is a success, a 503 or (for a session already gone) a 401: never a 500.
    for (const a of answers) expect([200, 401, 503], JSON.stringify(a)).toContain(a.status);
    const outage = answers.filter((a) => a.phase === "down");
    expect(outage.length).toBeGreaterThanOrEqual(duringOutage.length * 2);
    for (const a of outage) {
      expect(a.status, JSON.stringify(a)).toBe(503);
      expect(a.retryAfter).toBe("5");
      expect(JSON.parse(a.body)).toMatchObject({ code: 14 });
      expect(a.ms).toBeLessThan(1_500);
    }
    expect(answers.some((a) => a.phase === "up" && a.kind === "logout" && a.status === 200)).toBe(true);

    // Afterwards: each session is wholly present or wholly gone, by raw keys and through the store; every
    // logout that answered 200 really ended its session; the untouched ones live.
    for (const s of sessions) {
      const state = await stateOf(s);
      expect(new Set(state).size, `${s.session.id}: ${state.join(",")}`).toBe(1);
      if (successfulLogouts(s.token) > 0) expect(state[0]).toBe(false);
      if (untouched.includes(s)) expect(state[0]).toBe(true);
    }
    // Nothing claims more than happened: one "ended" event per logout that answered 200.
    expect(ended.length).toBe(answers.filter((a) => a.kind === "logout" && a.status === 200).length);
    for (const key of await scanKeys(client, PREFIX)) expect(await client.pTTL(key), key).toBeGreaterThan(0);
    expect(unhandled).toEqual([]);
  });

  it("answers 503 within the handler timeout while Redis is frozen, and a late command never turns into a success", async () => {
    phase = "up";
    const sessions = await login(8);
    const endedBefore = ended.length;
    answers.length = 0;

    // SIGSTOP: the connection stays open and commands get no answer, the way a stuck server behaves. Half the
    // requests start just before the freeze (caught at any step), half while frozen.
    const early = sessions.slice(0, 4).map((s, i) => (i % 2 === 0 ? ask("logout", s.token) : ask("whoami", s.token)));
    await sleep(2);
    redis.pause();
    phase = "down";
    const late = sessions.slice(4).map((s, i) => (i % 2 === 0 ? ask("logout", s.token) : ask("whoami", s.token)));
    const frozen = await Promise.all([...early, ...late]);
    redis.resume();
    phase = "back";

    for (const a of frozen) {
      expect([200, 503], JSON.stringify(a)).toContain(a.status);
      // Bounded by the handler's 2 s store timeout, never by the client or the server.
      expect(a.ms).toBeLessThan(3_500);
    }
    for (const a of frozen.slice(4)) {
      expect(a.status, JSON.stringify(a)).toBe(503);
      expect(a.ms).toBeGreaterThan(1_900);
    }

    // Commands that ran late (after their request got its 503) may have ended a session, but only wholly.
    await sleep(200);
    for (const s of sessions) {
      const state = await stateOf(s);
      expect(new Set(state).size, `${s.session.id}: ${state.join(",")}`).toBe(1);
    }
    // No success was claimed for anything that answered 503.
    expect(ended.length - endedBefore).toBe(frozen.filter((a) => a.kind === "logout" && a.status === 200).length);

    // Recovered: every session can now be logged out (or is already gone), and then is refused.
    for (const s of sessions) {
      expect([200, 401]).toContain((await ask("logout", s.token)).status);
      expect((await ask("whoami", s.token)).status).toBe(401);
    }
    expect(unhandled).toEqual([]);
  });
});
