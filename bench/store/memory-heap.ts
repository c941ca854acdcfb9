/**
 * Heap bytes per session of `MemorySessionStore` at 1 M live sessions, in a fresh process:
 * `node --expose-gc --import tsx bench/store/memory-heap.ts <variant>`. Prints one JSON `HeapPoint`.
 *
 * Sessions are opened with `issueSession`, exactly as a login does; the benchmark keeps no token, so what the
 * heap grows by is the store's records, strings and indexes. Each user id is a fresh string per login, as it
 * would be when read from a database or a request. The `totp-users` variant measures the TOTP attempt records
 * instead: one right code per user (`attemptTotp`, as `requireTotp` calls it), its step and the one before spent.
 */
import { DEFAULT_TOTP_FAILURE_WINDOW_MS, DEFAULT_TOTP_MAX_FAILURES, DEFAULT_TOTP_MAX_LOCKOUTS_PER_DAY, issueSession, MemorySessionStore } from "#bench/library";
import type { HeapPoint } from "../lib/report.js";
import { log, requireGc } from "../lib/timing.js";
import { heapVariants, type HeapVariant } from "./heap-variants.js";

const SESSIONS = Number(process.env.BENCH_HEAP_SESSIONS ?? 1_000_000);
const USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";

/** A flat copy of a string, as the HTTP parser hands header values over (not a rope of two parts). */
function flat(text: string): string {
  return Buffer.from(text, "latin1").toString("latin1");
}

const id = process.argv[2] ?? "login-4-per-user";
const variant = heapVariants[id];
if (variant === undefined) throw new Error(`unknown heap variant ${id}`);

const gc = requireGc();
function settledHeap(): number {
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed;
}

/** Opens the variant's login sessions with `issueSession`, exactly as a login does. */
async function openSessions(store: MemorySessionStore, variant: HeapVariant): Promise<void> {
  for (let i = 0; i < SESSIONS; i++) {
    const userId = `user-${String(Math.floor(i / variant.perUser)).padStart(7, "0")}`;
    await issueSession(store, {
      userId,
      authenticationSource: "login",
      ...(variant.clientDetails ? { ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, userAgent: flat(`${USER_AGENT.slice(0, 100)}${String(i).padStart(10, "0")}`) } : {}),
    });
    if (i % 250_000 === 249_999) log(`heap ${id}: ${i + 1} sessions`);
  }
  if (store.size !== SESSIONS) throw new Error(`expected ${SESSIONS} live sessions, the store holds ${store.size}`);
}

/** One right code per user, as `requireTotp` attempts it with its defaults: its step and the one before spent. */
async function attemptOncePerUser(store: MemorySessionStore): Promise<void> {
  const periodMs = 30_000;
  const now = Date.now();
  const step = Math.floor(now / periodMs);
  const throttle = { periodMs, window: 1, maxFailures: DEFAULT_TOTP_MAX_FAILURES, failureWindowMs: DEFAULT_TOTP_FAILURE_WINDOW_MS, maxLockoutsPerDay: DEFAULT_TOTP_MAX_LOCKOUTS_PER_DAY };
  for (let i = 0; i < SESSIONS; i++) {
    const userId = `admin-${String(i).padStart(7, "0")}`;
    const result = await store.attemptTotp({ userId, now, step, olderSteps: [step - 1], ...throttle });
    if (result.outcome !== "passed") throw new Error(`a first right code of ${userId} was answered ${result.outcome}`);
    if (i % 250_000 === 249_999) log(`heap ${id}: ${i + 1} users`);
  }
}

const before = settledHeap();
const store = new MemorySessionStore();
if (variant.records === "totp-users") await attemptOncePerUser(store);
else await openSessions(store, variant);
const after = settledHeap();
const point: HeapPoint = {
  id,
  title: variant.title,
  ...(variant.records === undefined ? {} : { records: variant.records }),
  sessions: SESSIONS,
  sessionsPerUser: variant.perUser,
  bytesPerSession: (after - before) / SESSIONS,
};
store.close();
process.stdout.write(`${JSON.stringify(point)}\n`);
