/**
 * The pure part of the benchmark: result types, ratios, targets and the Markdown table. No I/O here, so
 * test/bench-harness.test.ts can check it without running anything.
 */
import type { Scenario } from "../http/types.js";

export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly platform: string;
  readonly date: string;
  /** 1-minute load average at the start and at the end of the run: above ~0.5 something else was running too. */
  readonly loadAverage: readonly [number, number];
}

export interface RunSettings {
  readonly connections: number;
  readonly warmupSeconds: number;
  /** Measured seconds per scenario, split over `rounds` interleaved slices. */
  readonly durationSeconds: number;
  readonly rounds: number;
}

/** One measured slice of one scenario (a round of its comparison group). */
export interface Slice {
  readonly ok: number;
  readonly unexpected: number;
  readonly statusCounts: Readonly<Record<string, number>>;
  readonly errors: number;
  readonly durationSeconds: number;
  /** Latency of every expected answer, ms, ascending. */
  readonly latencies: ArrayLike<number>;
  readonly exhausted: boolean;
  readonly serverElu: number;
  readonly clientCpu: number;
  readonly sessionsEnded: number | undefined;
  readonly sessionsPrepared: number | undefined;
  /** Redis commands the server sent in the slice, when its store counts them. */
  readonly redisCommands?: number | undefined;
}

export interface HttpRow {
  readonly id: string;
  readonly title: string;
  readonly group: "ceiling" | "floor" | "library" | "peer";
  readonly kind: "guard" | "logout";
  readonly store: string;
  readonly pipelineId: string;
  readonly ceilingId: string;
  readonly requestsPerSecond: number;
  /** req/s of each interleaved round, in round order. */
  readonly roundRates: readonly number[];
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Requests answered with the expected status in the timed phase. */
  readonly ok: number;
  readonly unexpected: number;
  readonly errors: number;
  readonly durationSeconds: number;
  /** Server event-loop utilization in the timed phase (1 = saturated, as intended). */
  readonly serverElu: number;
  /** Load generator CPU in the timed phase (near 1 would mean the client, not the server, was the limit). */
  readonly clientCpu: number;
  /** Sessions the timed phase ended (logout rows), from the store's own count. */
  readonly sessionsEnded: number | undefined;
  /** Fresh sessions created for the timed phase (logout rows). */
  readonly sessionsPrepared: number | undefined;
  /** Redis commands (round trips) per answered request, counted at the server's client, when its store counts them. */
  readonly redisCommandsPerRequest?: number | undefined;
  readonly valid: boolean;
  readonly note?: string;
}

export interface ScalingPoint {
  readonly sessions: number;
  readonly nsPerOp: number;
}

export interface StoreOperation {
  readonly id: string;
  readonly title: string;
  readonly points: readonly ScalingPoint[];
}

export interface RevokeUserPoint {
  readonly sessions: number;
  readonly k: number;
  readonly microseconds: number;
}

export interface HeapPoint {
  readonly id: string;
  readonly title: string;
  /** Login sessions (the default), or TOTP attempt records, one per user: then `sessions` counts the users. */
  readonly records?: "sessions" | "totp-users";
  readonly sessions: number;
  readonly sessionsPerUser: number;
  readonly bytesPerSession: number;
}

/** Redis commands and latency of one `RedisSessionStore` operation (bench/store/redis-round-trips.ts). */
export interface RoundTripRow {
  readonly id: string;
  readonly title: string;
  /** Commands per call on the instance whose route cache knows the session. */
  readonly commandsWarm: number;
  /** Commands per call on another instance, route cache off. */
  readonly commandsCold: number;
  readonly microsecondsWarm: number;
  readonly microsecondsCold: number;
}

/** One admin page over HTTP at one store size (bench/store/admin-pages.ts). */
export interface AdminPageRow {
  readonly store: "memory" | "redis";
  readonly id: string;
  readonly title: string;
  /** Live sessions in the store. */
  readonly sessions: number;
  /** Median µs of one request, one at a time over loopback. */
  readonly microseconds: number;
}

export interface StoreScaling {
  readonly store: string;
  /** The operation whose 1 M / 10 k ratio is the target (the logout hot path). */
  readonly targetOperation: string;
  readonly operations: readonly StoreOperation[];
  readonly revokeUser: readonly RevokeUserPoint[];
  readonly heap: readonly HeapPoint[];
  /** The heap point the target is checked on. */
  readonly targetHeap: string;
  /** RedisSessionStore round trips, when a Redis server was there. */
  readonly redis?: readonly RoundTripRow[];
  /** The administrator's pages at 10 k and 1 M sessions, memory and (with a Redis server) Redis. */
  readonly adminPages?: readonly AdminPageRow[];
}

export interface PrimitiveRow {
  readonly id: string;
  readonly title: string;
  readonly microsecondsPerCall: number;
  readonly note?: string;
}

export interface BenchResults {
  readonly machine: MachineInfo;
  readonly settings: RunSettings;
  readonly http: readonly HttpRow[];
  readonly store: StoreScaling | undefined;
  readonly primitives: readonly PrimitiveRow[];
  /** Scenarios that exist in the design but could not run here, with the reason. */
  readonly notRun: readonly { readonly what: string; readonly why: string }[];
  readonly totalSeconds: number;
  /** Seconds each part of the run took, in the order they ran (HTTP, each store measurement, primitives). */
  readonly phaseSeconds?: Readonly<Record<string, number>>;
}

export type TargetStatus = "pass" | "fail" | "not run";

export interface TargetResult {
  readonly target: string;
  readonly goal: string;
  readonly measured: string;
  readonly status: TargetStatus;
}

/** The goals (not tests) the benchmark is read against. */
export const TARGETS = {
  /** Each pipeline on the memory store against its ceiling's req/s; a pipeline not named here needs the default. */
  shareOfCeiling: {
    "require-session": 0.95,
    "require-session-jwt": 0.85,
    "endor-logout": 0.9,
    "soajs-logout": 0.9,
    "kratos-logout": 0.9,
    "rocket-chat-logout": 0.8,
  } as Readonly<Record<string, number>>,
  defaultShareOfCeiling: 0.9,
  /** A library row on Redis against the peer doing the same kind of work on the same Redis: req/s ratio, and p99 no worse. */
  vsPeer: { logout: 1.5, guard: 1.2 } as const,
  /**
   * Pipelines that run the peer itself with the library added (express-session wrapped by trackSessions): the
   * share of the peer's req/s they keep, and the most their p99 may grow, instead of `vsPeer`.
   */
  vsPeerOf: {
    "express-session-tracked-read": { share: 0.85, p99: 1.2 },
    "express-session-tracked-logout": { share: 0.5, p99: 2 },
  } as Readonly<Record<string, { readonly share: number; readonly p99: number }>>,
  /** Redis round trips per HTTP request of each library pipeline, counted at the client (standalone Redis). */
  redisRoundTrips: 1,
  /**
   * Routes made of more than one store operation, each of which is one round trip (the goal is per operation:
   * a lookup, a logout of one session, an "all"/"others", a TOTP attempt): the sum, and what the operations are.
   */
  redisRoundTripsOf: {
    "rocket-chat-logout": { trips: 3, operations: "the caller's session, the TOTP attempt with its step-up record, then the end of the other user's session" },
    "express-session-tracked-logout": { trips: 3, operations: "express-session's read, the tracked logout, and express-session's own destroy" },
  } as Readonly<Record<string, { readonly trips: number; readonly operations: string }>>,
  /** Memory store: its own time above a bare Map over the same keys, at 1 M sessions against 10 k. */
  maxScalingRatio: 1.3,
  /** Heap per session at 1 M sessions. */
  maxBytesPerSession: 512,
  /** The whole of `npm run bench`, every part of it, in seconds. */
  maxRunSeconds: 600,
} as const;

/**
 * The Redis round trips the target allows one request of the pipeline: one, or one per store operation of a
 * route made of several. The floor on Redis sends as many, so it is held to the same budget as the library.
 */
export function redisRoundTripsAllowed(pipelineId: string): number {
  return TARGETS.redisRoundTripsOf[pipelineId]?.trips ?? TARGETS.redisRoundTrips;
}

/** The round trips of the pipeline's floor on Redis, in words: "one Redis round trip", "3 Redis round trips, one per operation". */
export function redisFloorTrips(pipelineId: string): string {
  const trips = redisRoundTripsAllowed(pipelineId);
  return trips === 1 ? "one Redis round trip" : `${String(trips)} Redis round trips, one per operation`;
}

/** The share of its ceiling a pipeline on the memory store must reach. */
export function ceilingGoal(pipelineId: string): number {
  return TARGETS.shareOfCeiling[pipelineId] ?? TARGETS.defaultShareOfCeiling;
}

/** The q-quantile (0..1) of ascending values, nearest-rank; 0 for none. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? 0;
}

/** Merges ascending arrays into one ascending array. */
export function mergeSorted(parts: readonly ArrayLike<number>[]): Float64Array {
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) for (let i = 0; i < part.length; i++) out[at++] = part[i] ?? 0;
  return out.sort();
}

/**
 * One result row from a scenario's slices: req/s over the summed measured time, percentiles over every
 * answer, and the checks that make a run count (no unexpected answer, no error, the feed never ran out, and for
 * a logout exactly one session ended per answer, give or take the requests cut off at a slice's end).
 */
export function combineSlices(scenario: Pick<Scenario, "id" | "title" | "group" | "kind" | "store" | "pipelineId" | "ceilingId">, slices: readonly Slice[], connections: number): HttpRow {
  const sum = (f: (s: Slice) => number) => slices.reduce((n, s) => n + f(s), 0);
  const ok = sum((s) => s.ok);
  const durationSeconds = sum((s) => s.durationSeconds);
  const latencies = mergeSorted(slices.map((s) => s.latencies));
  const problems: string[] = [];
  if (slices.length === 0) problems.push("no measured slice");
  if (slices.some((s) => s.exhausted)) problems.push("feed ran out");
  const unexpected = sum((s) => s.unexpected);
  if (unexpected > 0) {
    const counts: Record<string, number> = {};
    for (const s of slices) for (const [code, n] of Object.entries(s.statusCounts)) counts[code] = (counts[code] ?? 0) + n;
    problems.push(`${unexpected} unexpected answers ${JSON.stringify(counts)}`);
  }
  const errors = sum((s) => s.errors);
  if (errors > 0) problems.push(`${errors} connection errors`);
  const counted = slices.every((s) => s.sessionsEnded !== undefined);
  const sessionsEnded = counted && slices.length > 0 ? sum((s) => s.sessionsEnded ?? 0) : undefined;
  for (const s of slices) {
    if (s.sessionsEnded !== undefined && (s.sessionsEnded < s.ok || s.sessionsEnded > s.ok + connections)) {
      problems.push(`${s.sessionsEnded} sessions ended for ${s.ok} answers`);
    }
  }
  const prepared = slices.every((s) => s.sessionsPrepared !== undefined) && slices.length > 0 ? sum((s) => s.sessionsPrepared ?? 0) : undefined;
  const answered = ok + unexpected;
  const commandsCounted = slices.length > 0 && slices.every((s) => s.redisCommands !== undefined) && answered > 0;
  const redisCommandsPerRequest = commandsCounted ? sum((s) => s.redisCommands ?? 0) / answered : undefined;
  const weighted = (f: (s: Slice) => number) => (durationSeconds > 0 ? sum((s) => f(s) * s.durationSeconds) / durationSeconds : 0);
  return {
    id: scenario.id,
    title: scenario.title,
    group: scenario.group,
    kind: scenario.kind,
    store: scenario.store,
    pipelineId: scenario.pipelineId,
    ceilingId: scenario.ceilingId,
    requestsPerSecond: durationSeconds > 0 ? ok / durationSeconds : 0,
    roundRates: slices.map((s) => (s.durationSeconds > 0 ? s.ok / s.durationSeconds : 0)),
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    ok,
    unexpected,
    errors,
    durationSeconds,
    serverElu: weighted((s) => s.serverElu),
    clientCpu: weighted((s) => s.clientCpu),
    sessionsEnded,
    sessionsPrepared: prepared,
    ...(redisCommandsPerRequest === undefined ? {} : { redisCommandsPerRequest }),
    valid: problems.length === 0,
    ...(problems.length === 0 ? {} : { note: problems.join("; ") }),
  };
}

/** a / b, or undefined when either is missing or b is not positive. */
export function ratio(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined || b === undefined || !(b > 0) || !Number.isFinite(a)) return undefined;
  return a / b;
}

/**
 * The peer a library row on `store` is compared with: a valid peer row doing the same kind of work (a logout
 * with the peer's logout, a guard with the peer's per-request session read) on the same store backend.
 */
export function peerFor(rows: readonly HttpRow[], row: HttpRow): HttpRow | undefined {
  if (row.group !== "library" || row.store === "memory" || row.store === "none") return undefined;
  return rows.find((r) => r.group === "peer" && r.kind === row.kind && r.store === row.store && r.valid);
}

export function ceilingFor(rows: readonly HttpRow[], row: HttpRow): HttpRow | undefined {
  return rows.find((r) => r.id === row.ceilingId && r.valid);
}

/**
 * The valid run of the row's pipeline's hand-written floor, if there is one: on Redis (with the round trips the
 * target allows) for a Redis row, in-process (`"none"`, no network at all) otherwise or when asked.
 */
export function floorFor(rows: readonly HttpRow[], row: HttpRow, store: "redis" | "none" = row.store === "redis" ? "redis" : "none"): HttpRow | undefined {
  return rows.find((r) => r.group === "floor" && r.pipelineId === row.pipelineId && r.store === store && r.valid);
}

export interface RatioRow {
  readonly row: HttpRow;
  readonly vsCeiling: number | undefined;
  /** Lowest and highest ratio of one round to the same round of the ceiling. */
  readonly vsCeilingRange: readonly [number, number] | undefined;
  readonly vsPeer: number | undefined;
}

/** Per-round ratios of `row` to `other` (rounds of one group ran back to back), as [min, max]. */
export function roundRange(row: HttpRow, other: HttpRow | undefined): [number, number] | undefined {
  if (other === undefined || row.roundRates.length === 0 || row.roundRates.length !== other.roundRates.length) return undefined;
  const ratios = row.roundRates.map((r, i) => ratio(r, other.roundRates[i])).filter((r): r is number => r !== undefined);
  if (ratios.length === 0) return undefined;
  return [Math.min(...ratios), Math.max(...ratios)];
}

export function withRatios(rows: readonly HttpRow[]): RatioRow[] {
  return rows.map((row) => {
    const ceiling = ceilingFor(rows, row);
    return {
      row,
      vsCeiling: row.valid ? ratio(row.requestsPerSecond, ceiling?.requestsPerSecond) : undefined,
      vsCeilingRange: row.valid && row.group !== "ceiling" ? roundRange(row, ceiling) : undefined,
      vsPeer: row.valid ? ratio(row.requestsPerSecond, peerFor(rows, row)?.requestsPerSecond) : undefined,
    };
  });
}

function pct(value: number): string {
  return `${(value * 100).toFixed(0)} %`;
}

/** Evaluates every target against the results; a target with nothing to measure is "not run", never a pass. */
/**
 * A peer goal read against the route's own ceiling: "the goal is 7,400 req/s, 97 % of the bare route's". A goal
 * near or above the bare route asks the library to cost next to nothing while it also talks to Redis.
 */
function goalAgainstCeiling(rows: readonly HttpRow[], row: HttpRow, goalRate: number): string {
  const ceiling = ceilingFor(rows, row);
  if (ceiling === undefined || !ceiling.valid || row.group !== "library" || TARGETS.vsPeerOf[row.pipelineId] !== undefined) return "";
  const share = goalRate / ceiling.requestsPerSecond;
  const said = `; the goal is ${fmtRate(goalRate)} req/s, ${pct(share)} of the bare route's`;
  // Read against the route's own floor, in its own interleaved rounds: on Redis with the round trips the target
  // allows where there is one (the least any Redis implementation of the route may do), else in-process.
  const floor = floorFor(rows, row) ?? floorFor(rows, row, "none");
  if (floor === undefined) return said;
  const which = floor.store === "redis" ? `the hand-written floor with ${redisFloorTrips(row.pipelineId)}` : "the route's in-process floor";
  const best = roundRange(floor, ceiling)?.[1] ?? floor.requestsPerSecond / ceiling.requestsPerSecond;
  return share > best ? `${said}, above the ${pct(best)} ${which} reached in its best round: out of reach on this machine, whatever the library does` : `${said}; ${which} reached ${pct(best)} in its best round`;
}

/**
 * What the pipeline's hand-written floor reached in the same rounds, and what that says of the goal: a floor
 * below the goal means no implementation mounted this way reaches it on this machine.
 */
function floorReading(rows: readonly HttpRow[], row: HttpRow, ceiling: HttpRow | undefined, goal: number): string {
  const floor = floorFor(rows, row);
  const floorShare = floor === undefined ? undefined : ratio(floor.requestsPerSecond, ceiling?.requestsPerSecond);
  if (floor === undefined || floorShare === undefined) return "";
  const range = roundRange(floor, ceiling);
  const library = `the library reaches ${pct(row.requestsPerSecond / floor.requestsPerSecond)} of the floor`;
  // Only a floor that misses the goal in every round shows it out of reach; one that misses it on average only
  // is at the edge, where the machine's noise decides.
  const reach =
    (range?.[1] ?? floorShare) < goal
      ? "out of reach: the floor itself misses the goal in every round"
      : floorShare < goal
        ? `at the edge: the floor itself misses the goal on average; ${library}`
        : library;
  return `; the hand-written floor ${pct(floorShare)}${range === undefined ? "" : ` (${pct(range[0])}–${pct(range[1])})`}, ${reach}`;
}

export function evaluateTargets(results: BenchResults): TargetResult[] {
  const out: TargetResult[] = [];
  const rows = results.http;

  const memoryRows = rows.filter((r) => r.group === "library" && r.store === "memory");
  for (const row of memoryRows) {
    const ceiling = ceilingFor(rows, row);
    const goal = ceilingGoal(row.pipelineId);
    const share = row.valid ? ratio(row.requestsPerSecond, ceiling?.requestsPerSecond) : undefined;
    const range = row.valid ? roundRange(row, ceiling) : undefined;
    out.push({
      target: `${row.id}: ${row.title} vs its ceiling`,
      goal: `≥ ${pct(goal)} of the ceiling's req/s`,
      measured:
        share === undefined
          ? row.valid
            ? "no valid ceiling run"
            : `invalid run${row.note === undefined ? "" : `: ${row.note}`}`
          : `${pct(share)}${range === undefined ? "" : ` (rounds ${pct(range[0])}–${pct(range[1])})`}${floorReading(rows, row, ceiling, goal)}`,
      status: share === undefined ? "not run" : share >= goal ? "pass" : "fail",
    });
  }
  if (memoryRows.length === 0) {
    out.push({ target: "library pipelines (memory) vs ceiling", goal: `≥ ${pct(TARGETS.defaultShareOfCeiling)} of the ceiling's req/s`, measured: "no run", status: "not run" });
  }

  const sharedRows = rows.filter((r) => r.group === "library" && r.store !== "memory" && r.store !== "none");
  for (const row of sharedRows) {
    const peer = peerFor(rows, row);
    const own = TARGETS.vsPeerOf[row.pipelineId];
    const needed = own?.share ?? TARGETS.vsPeer[row.kind];
    const goal =
      own !== undefined
        ? `≥ ${needed}× the peer's req/s, p99 ≤ ${own.p99}× the peer's`
        : row.kind === "logout"
          ? `≥ ${needed}× the peer's req/s, p99 ≤ the peer's`
          : `≥ ${needed}× the peer's req/s`;
    if (!row.valid || peer === undefined) {
      out.push({ target: `${row.id}: ${row.title} vs the peer`, goal, measured: row.valid ? "no valid peer run" : "invalid run", status: "not run" });
      continue;
    }
    const times = row.requestsPerSecond / peer.requestsPerSecond;
    const tail = own !== undefined ? row.p99Ms <= own.p99 * peer.p99Ms : row.kind === "guard" || row.p99Ms <= peer.p99Ms;
    out.push({
      target: `${row.id}: ${row.title} vs ${peer.title}`,
      goal,
      measured: `${fmtRate(row.requestsPerSecond)} vs ${fmtRate(peer.requestsPerSecond)} req/s (${times.toFixed(2)}×); p99 ${fmtMs(row.p99Ms)} vs ${fmtMs(peer.p99Ms)} ms${goalAgainstCeiling(rows, row, needed * peer.requestsPerSecond)}`,
      status: times >= needed && tail ? "pass" : "fail",
    });
  }
  if (sharedRows.length === 0) {
    out.push({ target: "library rows on Redis vs express-session + connect-redis", goal: `≥ ${TARGETS.vsPeer.logout}× (logouts), ≥ ${TARGETS.vsPeer.guard}× (guards)`, measured: "no Redis rows in this run", status: "not run" });
  }

  const counted = sharedRows.filter((r) => r.redisCommandsPerRequest !== undefined && r.valid);
  for (const row of counted) {
    const perRequest = row.redisCommandsPerRequest ?? 0;
    const route = TARGETS.redisRoundTripsOf[row.pipelineId];
    const allowed = redisRoundTripsAllowed(row.pipelineId);
    // A request cut off at a slice's end (one per connection at most) may have sent all its commands without
    // being counted as answered: allow for those.
    const slack = (allowed * results.settings.connections * Math.max(1, row.roundRates.length)) / Math.max(1, row.ok + row.unexpected) + 1e-9;
    out.push({
      target: `${row.id}: Redis round trips per request`,
      goal: route === undefined ? `${allowed}` : `${allowed}, one per operation: ${route.operations}`,
      measured: perRequest.toFixed(2),
      status: perRequest <= allowed + slack ? "pass" : "fail",
    });
  }

  const store = results.store;
  const op = store?.operations.find((o) => o.id === store.targetOperation);
  const pattern = store?.targetOperation.split("/")[1];
  const baseline = store?.operations.find((o) => o.id === `baseline-map-get/${pattern ?? ""}`);
  const own = (sessions: number): number | undefined => {
    const total = op?.points.find((p) => p.sessions === sessions)?.nsPerOp;
    const bare = baseline?.points.find((p) => p.sessions === sessions)?.nsPerOp;
    return total === undefined || bare === undefined ? undefined : total - bare;
  };
  const small = own(10_000);
  const large = own(1_000_000);
  const scaling = ratio(large, small);
  // The floor: the same logout + login in a store of bare Maps with the same lookups, read the same way.
  const floorOp = store?.operations.find((o) => o.id === `baseline-bare-store/${pattern ?? ""}`);
  const floorOwn = (sessions: number): number | undefined => {
    const total = floorOp?.points.find((p) => p.sessions === sessions)?.nsPerOp;
    const bare = baseline?.points.find((p) => p.sessions === sessions)?.nsPerOp;
    return total === undefined || bare === undefined ? undefined : total - bare;
  };
  const floorScaling = ratio(floorOwn(1_000_000), floorOwn(10_000));
  const floorNote = floorScaling === undefined ? "" : `; a store of bare Maps with the same lookups: ${floorScaling.toFixed(2)}×`;
  out.push({
    target: `memory store: ${op?.title ?? "per-operation time"}, the store's own time above a bare Map, at 1 M vs 10 k sessions`,
    goal: `≤ ${TARGETS.maxScalingRatio.toFixed(1)}×`,
    measured: scaling === undefined || small === undefined || large === undefined ? "no run" : `${fmtNs(large)} vs ${fmtNs(small)} = ${scaling.toFixed(2)}×${floorNote}`,
    status: scaling === undefined ? "not run" : scaling <= TARGETS.maxScalingRatio ? "pass" : "fail",
  });

  const heap = store?.heap.find((h) => h.id === store.targetHeap);
  out.push({
    target: `memory store: heap per session at 1 M${heap === undefined ? "" : ` (${heap.title})`}`,
    goal: `≤ ${TARGETS.maxBytesPerSession} bytes`,
    measured: heap === undefined ? "no run" : `${heap.bytesPerSession.toFixed(0)} bytes`,
    status: heap === undefined ? "not run" : heap.bytesPerSession <= TARGETS.maxBytesPerSession ? "pass" : "fail",
  });

  // Only a whole run is held to it: a run of some scenarios (BENCH_ONLY) leaves parts out.
  const whole = store !== undefined && results.primitives.length > 0;
  out.push({
    target: "the whole run of `npm run bench`",
    goal: `≤ ${TARGETS.maxRunSeconds / 60} minutes (${TARGETS.maxRunSeconds} s)`,
    measured: whole ? `${Math.round(results.totalSeconds)} s${phases(results)}` : "not a whole run",
    status: !whole ? "not run" : results.totalSeconds <= TARGETS.maxRunSeconds ? "pass" : "fail",
  });
  return out;
}

/** ` (HTTP 300 s, heap 60 s, ...)`: where the run's time went, when it was recorded. */
function phases(results: BenchResults): string {
  const parts = Object.entries(results.phaseSeconds ?? {});
  return parts.length === 0 ? "" : ` (${parts.map(([name, seconds]) => `${name} ${Math.round(seconds)} s`).join(", ")})`;
}

export function fmtRate(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}

export function fmtMs(value: number): string {
  return value < 10 ? value.toFixed(2) : value.toFixed(1);
}

export function fmtNs(value: number): string {
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} µs` : `${Math.round(value)} ns`;
}

function fmtRatio(value: number | undefined): string {
  return value === undefined ? "" : `${value.toFixed(2)}×`;
}

function fmtCount(n: number): string {
  return n >= 1_000_000 ? `${n / 1_000_000} M` : n >= 1_000 ? `${n / 1_000} k` : String(n);
}

const statusMark: Readonly<Record<TargetStatus, string>> = { pass: "PASS", fail: "FAIL", "not run": "not run" };

/** The Markdown report: machine, HTTP table with ratios, store scaling, primitives, targets. */
export function renderMarkdown(results: BenchResults, targets: readonly TargetResult[] = evaluateTargets(results)): string {
  const m = results.machine;
  const s = results.settings;
  const lines: string[] = [];
  lines.push("# express-logout benchmark results", "");
  lines.push(`Produced by \`npm run bench\` on ${m.date}. Method: [docs/benchmarks.md](../docs/benchmarks.md).`, "");
  lines.push("![Ratios per pipeline against its ceiling and against the peer](results.svg)", "");
  lines.push(`- Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB.toFixed(1)} GiB memory, ${m.platform}`);
  lines.push(`- 1-minute load average at start / end: ${m.loadAverage[0].toFixed(2)} / ${m.loadAverage[1].toFixed(2)} (the benchmark itself adds about 1 while it runs; more means other work shared the machine)`);
  lines.push(`- Node ${m.node}; Express 5; load generator autocannon in the parent process, server in a child process`);
  lines.push(
    `- ${s.connections} connections, pipelining 1; per scenario ${s.warmupSeconds} s warm-up, then ${s.durationSeconds} s measured in ${s.rounds} interleaved rounds with the rows it is compared with; whole run ${Math.round(results.totalSeconds)} s${phases(results)}`,
    "",
  );

  lines.push("## HTTP throughput and latency", "");
  lines.push("| scenario | store | req/s | p50 ms | p99 ms | × ceiling | × peer | Redis round trips / request | server busy |");
  lines.push("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const { row, vsCeiling, vsCeilingRange, vsPeer } of withRatios(results.http)) {
    const name = row.valid ? row.title : `${row.title} (invalid run${row.note === undefined ? "" : `: ${row.note}`})`;
    const range = vsCeilingRange === undefined ? "" : ` (${vsCeilingRange[0].toFixed(2)}–${vsCeilingRange[1].toFixed(2)})`;
    lines.push(
      `| ${name} | ${row.store} | ${fmtRate(row.requestsPerSecond)} | ${fmtMs(row.p50Ms)} | ${fmtMs(row.p99Ms)} | ${row.group === "ceiling" ? "1.00×" : `${fmtRatio(vsCeiling)}${range}`} | ${row.group === "peer" ? "1.00×" : fmtRatio(vsPeer)} | ${row.redisCommandsPerRequest === undefined ? "" : row.redisCommandsPerRequest.toFixed(2)} | ${pct(row.serverElu)} |`,
    );
  }
  lines.push("");
  lines.push("Each ceiling is a bare Express 5 route at the same path answering the same status and JSON body with no library code; × ceiling compares a row with its own ceiling (in brackets: the lowest and highest ratio of a single round). × peer compares a row with express-session + connect-redis on the same Redis doing the same kind of work (a logout with `req.session.destroy()`, a guard with the per-request session read). Redis round trips are the commands the server's client sent per answered request (a script is one). Server busy is the server's event-loop utilization during the measured phase.", "");

  if (results.store !== undefined) {
    const st = results.store;
    lines.push(`## Store scaling (${st.store})`, "");
    const sizes = [...new Set(st.operations.flatMap((o) => o.points.map((p) => p.sessions)))].sort((a, b) => a - b);
    lines.push(`| operation | ${sizes.map((n) => `${fmtCount(n)} sessions`).join(" | ")} | ${fmtCount(sizes.at(-1) ?? 0)} / ${fmtCount(sizes[0] ?? 0)} |`);
    lines.push(`| --- | ${sizes.map(() => "---:").join(" | ")} | ---: |`);
    for (const o of st.operations) {
      const cells = sizes.map((n) => {
        const p = o.points.find((q) => q.sessions === n);
        return p === undefined ? "" : `${fmtNs(p.nsPerOp)} (${fmtRate(1e9 / p.nsPerOp)} ops/s)`;
      });
      const first = o.points.find((p) => p.sessions === sizes[0]);
      const last = o.points.find((p) => p.sessions === sizes.at(-1));
      lines.push(`| ${o.title} | ${cells.join(" | ")} | ${fmtRatio(ratio(last?.nsPerOp, first?.nsPerOp))} |`);
    }
    lines.push("");
    const ks = [...new Set(st.revokeUser.map((p) => p.k))].sort((a, b) => a - b);
    const ns = [...new Set(st.revokeUser.map((p) => p.sessions))].sort((a, b) => a - b);
    if (ks.length > 0) {
      lines.push("Ending all sessions of one user (`revokeUserSessions`), µs per call:", "");
      lines.push(`| k sessions of the user | ${ns.map((n) => `N = ${fmtCount(n)}`).join(" | ")} |`);
      lines.push(`| ---: | ${ns.map(() => "---:").join(" | ")} |`);
      for (const k of ks) {
        lines.push(`| ${k} | ${ns.map((n) => { const p = st.revokeUser.find((q) => q.k === k && q.sessions === n); return p === undefined ? "" : p.microseconds.toFixed(1); }).join(" | ")} |`);
      }
      lines.push("");
    }
    if (st.redis !== undefined && st.redis.length > 0) {
      lines.push("RedisSessionStore, one call at a time over loopback, 10 k live sessions: Redis commands (each one round trip) and median latency per call, on the instance that opened the sessions (route cache warm) and on another instance (route cache off):", "");
      lines.push("| operation | commands, warm | commands, other instance | µs, warm | µs, other instance |");
      lines.push("| --- | ---: | ---: | ---: | ---: |");
      for (const r of st.redis) lines.push(`| ${r.title} | ${r.commandsWarm.toFixed(2)} | ${r.commandsCold.toFixed(2)} | ${r.microsecondsWarm.toFixed(0)} | ${r.microsecondsCold.toFixed(0)} |`);
      lines.push("");
    }
    if (st.adminPages !== undefined && st.adminPages.length > 0) {
      const pages = st.adminPages;
      const sizes = [...new Set(pages.map((p) => p.sessions))].sort((a, b) => a - b);
      lines.push("The administrator's pages (Kratos' admin routes, `adminListSessions` and `adminListUserSessions`), one HTTP request at a time over loopback, median µs per request; the last column is each store's time at its largest size over its smallest (≈ 1× means a page costs O(page), not O(sessions)):", "");
      lines.push(`| page | store | ${sizes.map((n) => `N = ${fmtCount(n)}`).join(" | ")} | ratio |`);
      lines.push(`| --- | --- | ${sizes.map(() => "---:").join(" | ")} | ---: |`);
      for (const key of [...new Set(pages.map((p) => `${p.store}|${p.id}`))]) {
        // Each store is measured at its own sizes: the ratio is its largest over its smallest.
        const points = pages.filter((p) => `${p.store}|${p.id}` === key).sort((a, b) => a.sessions - b.sessions);
        const first = points[0];
        const last = points.at(-1);
        lines.push(`| ${points[0]?.title ?? ""} | ${points[0]?.store ?? ""} | ${sizes.map((n) => points.find((p) => p.sessions === n)?.microseconds.toFixed(0) ?? "").join(" | ")} | ${fmtRatio(ratio(last?.microseconds, first?.microseconds))} |`);
      }
      lines.push("");
    }
    const sessionHeap = st.heap.filter((h) => h.records !== "totp-users");
    if (sessionHeap.length > 0) {
      lines.push("| heap per session | sessions | sessions per user | bytes per session |");
      lines.push("| --- | ---: | ---: | ---: |");
      for (const h of sessionHeap) lines.push(`| ${h.title} | ${fmtCount(h.sessions)} | ${h.sessionsPerUser} | ${h.bytesPerSession.toFixed(0)} |`);
      lines.push("");
    }
    const totpHeap = st.heap.filter((h) => h.records === "totp-users");
    if (totpHeap.length > 0) {
      lines.push("| heap per TOTP attempt record | users | bytes per user |");
      lines.push("| --- | ---: | ---: |");
      for (const h of totpHeap) lines.push(`| ${h.title} | ${fmtCount(h.sessions)} | ${h.bytesPerSession.toFixed(0)} |`);
      lines.push("");
    }
  }

  if (results.primitives.length > 0) {
    lines.push("## Primitives", "");
    lines.push("| primitive | µs per call | calls/s |");
    lines.push("| --- | ---: | ---: |");
    for (const p of results.primitives) {
      lines.push(`| ${p.title}${p.note === undefined ? "" : ` (${p.note})`} | ${p.microsecondsPerCall.toFixed(2)} | ${fmtRate(1e6 / p.microsecondsPerCall)} |`);
    }
    lines.push("");
  }

  lines.push("## Targets (goals, not tests)", "");
  lines.push("| target | goal | measured | result |");
  lines.push("| --- | --- | --- | --- |");
  for (const t of targets) lines.push(`| ${t.target} | ${t.goal} | ${t.measured} | ${statusMark[t.status]} |`);
  lines.push("");

  if (results.notRun.length > 0) {
    lines.push("## Not measured in this run", "");
    for (const n of results.notRun) lines.push(`- ${n.what}: ${n.why}`);
    lines.push("");
  }
  return lines.join("\n");
}

/** Where `npm run bench` writes its summary into the README: everything between the two markers is replaced. */
export const README_MARKERS = { start: "<!-- bench:summary:start (written by npm run bench) -->", end: "<!-- bench:summary:end -->" } as const;

/**
 * The README's Performance summary: the run's machine and load, the chart, each library row with its ratios, and
 * every target with its result. Paths are relative to the repository root, where the README sits.
 */
export function renderReadmeSummary(results: BenchResults, targets: readonly TargetResult[] = evaluateTargets(results)): string {
  const m = results.machine;
  const lines: string[] = [];
  lines.push(
    `Latest run: ${m.date.slice(0, 10)}, ${m.cpuModel}, ${m.cores} cores, Node ${m.node}, Express 5, whole run ${Math.round(results.totalSeconds)} s; 1-minute load average ${m.loadAverage[0].toFixed(2)} at the start and ${m.loadAverage[1].toFixed(2)} at the end (the benchmark itself adds about 1). Full tables: [bench/results.md](bench/results.md).`,
    "",
    "![Ratios per pipeline against its ceiling and against the peer](bench/results.svg)",
    "",
    "| scenario | store | req/s | p99 ms | × ceiling (min–max of rounds) | × peer | Redis round trips |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
  );
  for (const { row, vsCeiling, vsCeilingRange, vsPeer } of withRatios(results.http)) {
    if (row.group === "ceiling" || !row.valid) continue;
    const range = vsCeilingRange === undefined ? "" : ` (${vsCeilingRange[0].toFixed(2)}–${vsCeilingRange[1].toFixed(2)})`;
    const ceiling = row.group === "peer" ? "" : `${fmtRatio(vsCeiling)}${range}`;
    const peer = row.group === "peer" ? "1.00×" : fmtRatio(vsPeer);
    const trips = row.redisCommandsPerRequest === undefined ? "" : row.redisCommandsPerRequest.toFixed(2);
    lines.push(`| ${row.title} | ${row.store} | ${fmtRate(row.requestsPerSecond)} | ${fmtMs(row.p99Ms)} | ${ceiling} | ${peer} | ${trips} |`);
  }
  lines.push("", "| target | goal | measured | result |", "| --- | --- | --- | --- |");
  for (const t of targets) lines.push(`| ${t.target} | ${t.goal} | ${t.measured} | ${statusMark[t.status]} |`);
  return lines.join("\n");
}

/** `readme` with its summary between the markers replaced; `undefined` when the markers are missing. */
export function withReadmeSummary(readme: string, summary: string): string | undefined {
  const start = readme.indexOf(README_MARKERS.start);
  const end = readme.indexOf(README_MARKERS.end);
  if (start < 0 || end < start) return undefined;
  return `${readme.slice(0, start + README_MARKERS.start.length)}\n${summary}\n${readme.slice(end)}`;
}
