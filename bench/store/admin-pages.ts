/**
 * The administrator's pages with a million sessions in the store: how long one page of every session, and one
 * page of one user's sessions, takes at 10 k and at 1 M live sessions, on `MemorySessionStore` and on
 * `RedisSessionStore` (`indexAllSessions: true`). Run by bench/run.ts as
 * `node --expose-gc --max-old-space-size=6144 --import tsx bench/store/admin-pages.ts [redisUrl] [prefix]`;
 * prints one JSON array of `AdminPageRow`. Without a Redis URL only the memory store is measured. Every Redis key
 * lives under the prefix and is deleted at the end. `ADMIN_BENCH_SIZES` (comma-separated, default
 * `10000,1000000`) sets the store sizes, e.g. `ADMIN_BENCH_SIZES=2000,20000` for a quick check.
 *
 * Each row is the whole library path, as an operator's client sees it: an HTTP request to Kratos' admin routes
 * (`adminListSessions`, `adminListUserSessions` behind an admin API key) on a server in this process, one request
 * at a time over loopback, median of `CALLS`. The ratio of the 1 M time to the 10 k time is the check that a
 * page costs O(page), never O(sessions): the store's all-sessions index and its per-user index, never a scan.
 */
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { randomUUID } from "node:crypto";
import express from "express";
import {
  adminListSessions,
  adminListUserSessions,
  hashSecret,
  kratosAdminShape,
  MemorySessionStore,
  RedisSessionStore,
  shapes,
  type SessionDirectory,
  type SessionRecord,
  type SessionStore,
} from "#bench/library";
import { BenchDirectory } from "../http/directory.js";
import { connectRedis, deletePrefix } from "../http/redis.js";
import type { AdminPageRow } from "../lib/report.js";
import { log, median } from "../lib/timing.js";

const [redisUrl = "", prefix = `express-logout-bench:admin-pages:${String(process.pid)}:`] = process.argv.slice(2);
function sizes(text: string): number[] {
  return text.split(",").map(Number).filter((n) => Number.isInteger(n) && n >= 2000);
}
const SIZES = sizes(process.env.ADMIN_BENCH_SIZES ?? "10000,1000000");
/**
 * Redis is filled through the store's own createSession, 3 000 to 6 000 sessions a second from one Node process:
 * a million would take three to six minutes of a ten-minute benchmark. By default it is measured at 10 k and
 * 100 k (ten times as many); `ADMIN_BENCH_REDIS_SIZES=10000,1000000` runs the million too.
 */
const REDIS_SIZES = sizes(process.env.ADMIN_BENCH_REDIS_SIZES ?? process.env.ADMIN_BENCH_SIZES ?? "10000,100000");
const CALLS = 100;
const PAGE = 250;
/** Most users have 4 sessions; one has 1000, to page through a big per-user index too. */
const SESSIONS_PER_USER = 4;
const BIG_USER_SESSIONS = 1000;
const ADMIN_KEY = "bench-admin-api-key-0123456789abcdef";

/** Kratos' page token for the sessions after this one (`MapPageToken{id, created_at}`, unpadded base64). */
function pageToken(s: SessionRecord): string {
  const iso = new Date(s.createdAt).toISOString();
  const fraction = iso.slice(20, 23).replace(/0+$/, "");
  return Buffer.from(`id=${s.id}/created_at=${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction === "" ? "" : `.${fraction}`}`).toString("base64").replace(/=+$/, "");
}

interface Filled {
  readonly users: BenchDirectory;
  /** A session in the middle of the creation order, to start a deep page after it. */
  readonly middle: SessionRecord;
  readonly smallUser: string;
  readonly bigUser: string;
}

/** N live sessions, created oldest first one millisecond apart, written straight to the store in batches. */
async function fill(store: SessionStore, size: number): Promise<Filled> {
  const users = new BenchDirectory();
  const base = Date.now() - size - 1000;
  const expiresAt = Date.now() + 86_400_000;
  const bigUser = "user-big";
  users.add(bigUser);
  let middle: SessionRecord | undefined;
  const BATCH = 1000;
  for (let start = 0; start < size; start += BATCH) {
    const batch: Promise<unknown>[] = [];
    for (let i = start; i < Math.min(size, start + BATCH); i++) {
      const userId = i < BIG_USER_SESSIONS ? bigUser : `user-${String(Math.floor(i / SESSIONS_PER_USER))}`;
      if (i >= BIG_USER_SESSIONS && i % SESSIONS_PER_USER === 0) users.add(userId);
      const record: SessionRecord = { id: randomUUID(), userId, tokenHash: hashSecret(randomUUID()), createdAt: base + i, expiresAt, lastSeenAt: base + i, authenticationSource: "password", userAgent: "bench/1.0", ip: "198.51.100.7" };
      if (i === Math.floor(size / 2)) middle = record;
      batch.push(store.createSession(record));
    }
    await Promise.all(batch);
    if (start % 100_000 === 0 && start > 0) log(`admin pages: ${String(start)} of ${String(size)} sessions written`);
  }
  if (middle === undefined) throw new Error("no middle session");
  return { users, middle, smallUser: `user-${String(Math.floor((size - 1) / SESSIONS_PER_USER))}`, bigUser };
}

async function serve(store: SessionStore & SessionDirectory, users: BenchDirectory): Promise<{ url: string; close: () => Promise<void> }> {
  const app = express();
  const admin = { store, users, shape: { ...shapes.kratos, admin: kratosAdminShape({ parseIdentityId: (text) => text }) }, gate: { apiKeyHashes: [hashSecret(ADMIN_KEY)] } } as const;
  app.get("/admin/sessions", adminListSessions(admin));
  app.get("/admin/identities/:id/sessions", adminListUserSessions(admin));
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => { resolve(s); });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${String(port)}`,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => { resolve(); });
    }),
  };
}

/** Median µs of one request, one at a time; each answer is checked to be a full page of the expected size. */
async function timed(url: string, expected: number): Promise<number> {
  const headers = { Authorization: `Bearer ${ADMIN_KEY}` };
  const check = async () => {
    const res = await fetch(url, { headers });
    const body = (await res.json()) as unknown[];
    if (res.status !== 200 || body.length !== expected) throw new Error(`${url}: ${String(res.status)}, ${String(body.length)} sessions, expected ${String(expected)}`);
  };
  for (let i = 0; i < 10; i++) await check();
  const times: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const t0 = process.hrtime.bigint();
    await check();
    times.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  return median(times);
}

async function measure(storeName: "memory" | "redis", store: SessionStore & SessionDirectory, size: number): Promise<AdminPageRow[]> {
  log(`admin pages, ${storeName}: writing ${String(size)} sessions`);
  const filled = await fill(store, size);
  const server = await serve(store, filled.users);
  try {
    const cases = [
      { id: "all-first", title: `every session, first page of ${String(PAGE)} (GET /admin/sessions)`, path: `/admin/sessions?page_size=${String(PAGE)}`, expected: PAGE },
      { id: "all-deep", title: `every session, a page of ${String(PAGE)} half-way through (page_token)`, path: `/admin/sessions?page_size=${String(PAGE)}&page_token=${encodeURIComponent(pageToken(filled.middle))}`, expected: PAGE },
      { id: "user-small", title: `one user's sessions, a user with ${String(SESSIONS_PER_USER)} (GET /admin/identities/{id}/sessions)`, path: `/admin/identities/${filled.smallUser}/sessions`, expected: SESSIONS_PER_USER },
      { id: "user-big", title: `one user's sessions, a page of ${String(PAGE)} of a user with ${String(BIG_USER_SESSIONS)}`, path: `/admin/identities/${filled.bigUser}/sessions?per_page=${String(PAGE)}`, expected: PAGE },
    ];
    const rows: AdminPageRow[] = [];
    for (const c of cases) {
      const microseconds = await timed(`${server.url}${c.path}`, c.expected);
      rows.push({ store: storeName, id: c.id, title: c.title, sessions: size, microseconds });
      log(`admin pages, ${storeName}, ${String(size)} sessions, ${c.id}: ${microseconds.toFixed(0)} µs`);
    }
    return rows;
  } finally {
    await server.close();
  }
}

const rows: AdminPageRow[] = [];
for (const size of SIZES) {
  const memory = new MemorySessionStore({ sweepIntervalMs: 600_000 });
  rows.push(...(await measure("memory", memory, size)));
  memory.close();
}
if (redisUrl !== "") {
  const client = await connectRedis(redisUrl);
  try {
    for (const size of REDIS_SIZES) {
      const sizePrefix = `${prefix}${String(size)}:`;
      const store = new RedisSessionStore({ sendCommand: (args) => client.sendCommand(args), prefix: sizePrefix, isReady: () => client.isReady, indexAllSessions: true });
      await store.loadScripts();
      try {
        rows.push(...(await measure("redis", store, size)));
      } finally {
        await deletePrefix(client, sizePrefix);
      }
    }
  } finally {
    await deletePrefix(client, prefix);
    client.destroy();
  }
}
process.stdout.write(`${JSON.stringify(rows)}\n`);
