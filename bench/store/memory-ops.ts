/**
 * `MemorySessionStore` per-operation time at 10 k and at 1 M live sessions, and the cost of ending all sessions
 * of one user with k sessions at both sizes: `node --expose-gc --import tsx bench/store/memory-ops.ts`.
 * Prints one JSON `{ operations, revokeUser }`.
 *
 * Every operation runs with two access patterns, keys drawn with a fixed seed:
 * - `active`: requests go to a fixed working set of 10 000 active sessions among the N live ones (at any moment
 *   a few of a million sessions are in use). The memory touched per request is the same at both sizes, so the
 *   ratio shows whether the store's own work grows with N: this is the O(1) check.
 * - `uniform`: any of the N sessions. At 1 M this mostly misses the CPU caches and the TLB; a bare `Map.get`
 *   over the same keys is measured alongside to show how much of that is the memory, not the store.
 */
import { randomUUID } from "node:crypto";
import { generateToken, hashSecret, issueSession, MemorySessionStore, type SessionRecord } from "#bench/library";
import type { RevokeUserPoint, StoreOperation } from "../lib/report.js";
import { log, median, randomIndexes, requireGc } from "../lib/timing.js";

const SIZES = [10_000, 1_000_000];
const ACTIVE = 10_000;
// Per round, median of three: enough for the shortest operation to run for tens of milliseconds at 10 k.
const ITERATIONS = 50_000;
const ROUNDS = 3;
const SESSIONS_PER_USER = 4;
const REVOKE_KS = [1, 10, 100, 1000];

const gc = requireGc();

function record(userId: string, now: number): SessionRecord {
  const token = generateToken();
  return { id: randomUUID(), userId, tokenHash: hashSecret(token), createdAt: now, expiresAt: now + 86_400_000, lastSeenAt: now, authenticationSource: "login" };
}

interface Live {
  readonly store: MemorySessionStore;
  readonly ids: string[];
  readonly hashes: string[];
  /** The first sessions again in a bare Map, with their ids, for the baseline (logout + login does not touch them). */
  readonly plain: Map<string, SessionRecord>;
  readonly plainIds: readonly string[];
  /** The same sessions in a store made of bare Maps (`BareStore`), for the floor of logout + login. */
  readonly bare: BareStore;
}

/**
 * The least a store with the memory store's lookups can do: bare Maps by id, by token hash and by user, and
 * the sessions filed by the minute they end (what lets expiry run without a scan). No checks, no events, no
 * admin index. Its logout + login at 1 M against 10 k is the floor of that target: what the memory hierarchy
 * alone makes such a store grow by.
 */
class BareStore {
  readonly byId = new Map<string, SessionRecord>();
  readonly byHash = new Map<string, string>();
  readonly byUser = new Map<string, Set<string>>();
  readonly byMinute = new Map<number, Set<string>>();
  readonly hashes: string[] = [];

  add(session: SessionRecord): void {
    this.byId.set(session.id, session);
    this.byHash.set(session.tokenHash, session.id);
    let mine = this.byUser.get(session.userId);
    if (mine === undefined) this.byUser.set(session.userId, (mine = new Set()));
    mine.add(session.id);
    const minute = Math.floor(session.expiresAt / 60_000);
    let due = this.byMinute.get(minute);
    if (due === undefined) this.byMinute.set(minute, (due = new Set()));
    due.add(session.id);
  }

  /** Finds the session of a token hash and removes it from every index. */
  take(tokenHash: string): SessionRecord | undefined {
    const id = this.byHash.get(tokenHash);
    const session = id === undefined ? undefined : this.byId.get(id);
    if (session === undefined) return undefined;
    this.byId.delete(session.id);
    this.byHash.delete(tokenHash);
    const mine = this.byUser.get(session.userId);
    mine?.delete(session.id);
    if (mine?.size === 0) this.byUser.delete(session.userId);
    this.byMinute.get(Math.floor(session.expiresAt / 60_000))?.delete(session.id);
    return session;
  }
}

async function fill(size: number): Promise<Live> {
  const store = new MemorySessionStore();
  const ids = new Array<string>(size);
  const hashes = new Array<string>(size);
  const plain = new Map<string, SessionRecord>();
  const bare = new BareStore();
  for (let i = 0; i < size; i++) {
    const { session } = await issueSession(store, { userId: `user-${Math.floor(i / SESSIONS_PER_USER)}`, authenticationSource: "login" });
    ids[i] = session.id;
    hashes[i] = session.tokenHash;
    plain.set(session.id, session);
    bare.add(session);
    bare.hashes.push(session.tokenHash);
  }
  return { store, ids, hashes, plain, plainIds: [...ids], bare };
}

type Op = { id: string; title: string; prepare?: () => SessionRecord[]; run: (live: Live, picks: Uint32Array, fresh: SessionRecord[]) => Promise<void> };

const operations: Op[] = [
  {
    id: "logout-login",
    title: "logout + login: findSessionByTokenHash, revokeSession, createSession",
    prepare: () => {
      const now = Date.now();
      return Array.from({ length: ITERATIONS }, (_, i) => record(`fresh-${i % 50_000}`, now));
    },
    async run({ store, ids, hashes }, picks, fresh) {
      for (let i = 0; i < ITERATIONS; i++) {
        const j = picks[i]!;
        const found = await store.findSessionByTokenHash(hashes[j]!);
        if (found === undefined) throw new Error("lost a live session");
        await store.revokeSession(found.id);
        const next = fresh[i]!;
        await store.createSession(next);
        ids[j] = next.id;
        hashes[j] = next.tokenHash;
      }
    },
  },
  {
    id: "find-by-token-hash",
    title: "findSessionByTokenHash (requireSession's lookup)",
    async run({ store, hashes }, picks) {
      for (let i = 0; i < ITERATIONS; i++) if ((await store.findSessionByTokenHash(hashes[picks[i]!]!)) === undefined) throw new Error("miss");
    },
  },
  {
    id: "get-session",
    title: "getSession",
    async run({ store, ids }, picks) {
      for (let i = 0; i < ITERATIONS; i++) if ((await store.getSession(ids[picks[i]!]!)) === undefined) throw new Error("miss");
    },
  },
  {
    id: "touch-session",
    title: "touchSession",
    async run({ store, ids }, picks) {
      const now = Date.now();
      for (let i = 0; i < ITERATIONS; i++) await store.touchSession(ids[picks[i]!]!, now + i);
    },
  },
  {
    id: "baseline-bare-store",
    title: "floor: logout + login in a store of bare Maps (by id, token hash, user and expiry minute)",
    prepare: () => {
      const now = Date.now();
      return Array.from({ length: ITERATIONS }, (_, i) => record(`fresh-${i % 50_000}`, now));
    },
    run({ bare }, picks, fresh) {
      for (let i = 0; i < ITERATIONS; i++) {
        const j = picks[i]!;
        if (bare.take(bare.hashes[j]!) === undefined) throw new Error("lost a live session");
        const next = fresh[i]!;
        bare.add(next);
        bare.hashes[j] = next.tokenHash;
      }
      return Promise.resolve();
    },
  },
  {
    id: "baseline-map-get",
    title: "baseline: a bare Map.get over as many ids (no store)",
    run({ plain, plainIds }, picks) {
      for (let i = 0; i < ITERATIONS; i++) if (plain.get(plainIds[picks[i]!]!) === undefined) throw new Error("miss");
      return Promise.resolve();
    },
  },
];

const patterns = [
  { id: "active", title: "10 k active sessions" },
  { id: "uniform", title: "any live session" },
] as const;

/** Indexes of live sessions for one round: from the fixed active set, or from all `size`. */
function picksFor(pattern: "active" | "uniform", size: number, round: number): Uint32Array {
  const uniform = randomIndexes(ITERATIONS, size, 0x9e3779b9 + round);
  if (pattern === "uniform" || size <= ACTIVE) return uniform;
  const active = randomIndexes(ACTIVE, size, 0x51ed270b);
  const slots = randomIndexes(ITERATIONS, ACTIVE, 0x9e3779b9 + round);
  return slots.map((slot) => active[slot]!);
}

const results = new Map<string, { id: string; title: string; points: { sessions: number; nsPerOp: number }[] }>();
const revokeUser: RevokeUserPoint[] = [];

for (const size of SIZES) {
  log(`store ops: filling ${size} sessions`);
  const live = await fill(size);
  for (const pattern of patterns) {
    for (const op of operations) {
      const samples: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const picks = picksFor(pattern.id, size, round);
        const fresh = op.prepare?.() ?? [];
        // The whole heap once per operation, the young generation (where a round's garbage lives) before each
        // later round: a full collection of a million sessions' heap takes about a second here, and ran 36 times.
        gc(round === 0 ? undefined : { type: "minor" });
        const t0 = process.hrtime.bigint();
        await op.run(live, picks, fresh);
        samples.push(Number(process.hrtime.bigint() - t0) / ITERATIONS);
      }
      if (live.store.size !== size) throw new Error(`${op.id} changed the number of live sessions`);
      const id = `${op.id}/${pattern.id}`;
      const entry = results.get(id) ?? { id, title: `${op.title}, ${pattern.title}`, points: [] };
      entry.points.push({ sessions: size, nsPerOp: median(samples) });
      results.set(id, entry);
      log(`store ops: ${id} at ${size}: ${median(samples).toFixed(0)} ns/op`);
    }
  }
  for (const k of REVOKE_KS) {
    const reps = k <= 10 ? 400 : k <= 100 ? 100 : 20;
    const now = Date.now();
    const times: number[] = [];
    gc();
    for (let rep = 0; rep < reps; rep++) {
      const userId = `victim-${k}-${rep}`;
      for (let s = 0; s < k; s++) await live.store.createSession(record(userId, now));
      if (rep % 50 === 49) gc({ type: "minor" });
      const t0 = process.hrtime.bigint();
      const ended = await live.store.revokeUserSessions(userId);
      times.push(Number(process.hrtime.bigint() - t0) / 1000);
      if (ended !== k) throw new Error(`revokeUserSessions ended ${ended} of ${k}`);
    }
    revokeUser.push({ sessions: size, k, microseconds: median(times) });
    log(`store ops: revokeUserSessions k=${k} at ${size}: ${median(times).toFixed(1)} µs`);
  }
  live.store.close();
}

const operationsOut: StoreOperation[] = [...results.values()];
process.stdout.write(`${JSON.stringify({ operations: operationsOut, revokeUser })}\n`);
