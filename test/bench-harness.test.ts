import { describe, expect, it } from "vitest";
import { fill } from "../bench/lib/load.js";
import {
  combineSlices,
  evaluateTargets,
  percentile,
  ratio,
  README_MARKERS,
  renderMarkdown,
  renderReadmeSummary,
  withReadmeSummary,
  withRatios,
  type BenchResults,
  type HttpRow,
  type Slice,
  type StoreScaling,
} from "../bench/lib/report.js";
import { placeholderCount } from "../bench/http/registry.js";
import { renderChart } from "../bench/lib/chart.js";

// The harness's pure parts only: nothing here starts a server or runs a load.

function row(over: Partial<HttpRow> & Pick<HttpRow, "id" | "group" | "store" | "requestsPerSecond">): HttpRow {
  return {
    title: over.id,
    kind: "logout",
    pipelineId: "endor-logout",
    ceilingId: "ceiling/endor-logout",
    roundRates: [over.requestsPerSecond],
    p50Ms: 1,
    p99Ms: 4,
    ok: 1000,
    unexpected: 0,
    errors: 0,
    durationSeconds: 6,
    serverElu: 0.98,
    clientCpu: 0.3,
    sessionsEnded: undefined,
    sessionsPrepared: undefined,
    valid: true,
    ...over,
  };
}

function slice(over: Partial<Slice> = {}): Slice {
  return {
    ok: 1000,
    unexpected: 0,
    statusCounts: { 200: 1000 },
    errors: 0,
    durationSeconds: 2,
    latencies: [0.5, 1, 2],
    exhausted: false,
    serverElu: 1,
    clientCpu: 0.25,
    sessionsEnded: 1000,
    sessionsPrepared: 1200,
    ...over,
  };
}

const scaling: StoreScaling = {
  store: "MemorySessionStore",
  targetOperation: "logout-login/active",
  operations: [
    { id: "logout-login/active", title: "logout + login", points: [{ sessions: 10_000, nsPerOp: 1000 }, { sessions: 1_000_000, nsPerOp: 1250 }] },
    { id: "baseline-map-get/active", title: "bare Map", points: [{ sessions: 10_000, nsPerOp: 200 }, { sessions: 1_000_000, nsPerOp: 300 }] },
  ],
  revokeUser: [{ sessions: 10_000, k: 10, microseconds: 3 }],
  heap: [
    { id: "login-4-per-user", title: "login sessions, 4 per user", sessions: 1_000_000, sessionsPerUser: 4, bytesPerSession: 600 },
    { id: "totp-users", title: "TOTP attempt records", records: "totp-users", sessions: 1_000_000, sessionsPerUser: 1, bytesPerSession: 442 },
  ],
  targetHeap: "login-4-per-user",
};

function results(http: HttpRow[]): BenchResults {
  return {
    machine: { cpuModel: "Test CPU", cores: 2, memoryGiB: 4, node: "v20.0.0", platform: "linux", date: "2026-01-01T00:00:00.000Z", loadAverage: [0.1, 0.2] },
    settings: { connections: 10, warmupSeconds: 2, durationSeconds: 6, rounds: 3 },
    http,
    store: scaling,
    primitives: [{ id: "totp", title: "TOTP", microsecondsPerCall: 50 }],
    notRun: [],
    totalSeconds: 100,
  };
}

describe("bench harness: numbers", () => {
  it("takes nearest-rank percentiles and refuses ratios to nothing", () => {
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.5)).toBe(5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.99)).toBe(10);
    expect(percentile([], 0.5)).toBe(0);
    expect(ratio(8, 10)).toBe(0.8);
    expect(ratio(8, 0)).toBeUndefined();
    expect(ratio(8, undefined)).toBeUndefined();
  });

  it("fills every {{n}} placeholder from the row and counts them", () => {
    expect(fill('{"sessionId":"{{3}}"} {{0}}{{0}}', ["a", "b", "c", "d"])).toBe('{"sessionId":"d"} aa');
    expect(placeholderCount({ method: "GET", path: "/x?token={{1}}", headers: { cookie: "s={{0}}" } })).toBe(2);
    expect(placeholderCount({ method: "GET", path: "/x", headers: {} })).toBe(0);
  });

  it("combines slices: rate over the summed time, merged percentiles, one rate per round", () => {
    const combined = combineSlices(row({ id: "endor-logout/memory", group: "library", store: "memory", requestsPerSecond: 0 }), [slice(), slice({ ok: 500, durationSeconds: 1, sessionsEnded: 503, latencies: [3, 9] })], 10);
    expect(combined.requestsPerSecond).toBe(500);
    expect(combined.roundRates).toEqual([500, 500]);
    expect(combined.p50Ms).toBe(2);
    expect(combined.sessionsEnded).toBe(1503);
    expect(combined.valid).toBe(true);
  });

  it("voids a run with unexpected answers, errors, a feed that ran out, or a session count that does not match", () => {
    const base = row({ id: "x", group: "library", store: "memory", requestsPerSecond: 0 });
    expect(combineSlices(base, [slice({ unexpected: 3, statusCounts: { 200: 997, 401: 3 } })], 10).note).toContain("3 unexpected answers");
    expect(combineSlices(base, [slice({ errors: 2 })], 10).valid).toBe(false);
    expect(combineSlices(base, [slice({ exhausted: true })], 10).note).toContain("feed ran out");
    expect(combineSlices(base, [slice({ sessionsEnded: 990 })], 10).note).toContain("990 sessions ended for 1000 answers");
    expect(combineSlices(base, [slice({ sessionsEnded: 1011 })], 10).valid).toBe(false);
    expect(combineSlices(base, [slice({ sessionsEnded: 1010 })], 10).valid).toBe(true);
  });

  it("compares a row with its own ceiling and, on Redis, with the peer on Redis; per-round ratios give the range", () => {
    const rows = [
      row({ id: "ceiling/endor-logout", group: "ceiling", store: "none", requestsPerSecond: 10_000, roundRates: [10_000, 9_000] }),
      row({ id: "endor-logout/memory", group: "library", store: "memory", requestsPerSecond: 8_500, roundRates: [9_000, 7_200] }),
      row({ id: "endor-logout/redis", group: "library", store: "redis", requestsPerSecond: 5_000, roundRates: [5_000, 5_000] }),
      row({ id: "peer/express-session", group: "peer", store: "redis", requestsPerSecond: 4_000, roundRates: [4_000, 4_000] }),
    ];
    const [, memory, redis] = withRatios(rows);
    expect(memory?.vsCeiling).toBeCloseTo(0.85);
    expect(memory?.vsCeilingRange).toEqual([0.8, 0.9]);
    expect(memory?.vsPeer).toBeUndefined();
    expect(redis?.vsPeer).toBeCloseTo(1.25);
  });
});

describe("bench harness: targets", () => {
  it("holds each pipeline to its own share of the ceiling; an invalid run is not run, never a pass", () => {
    const targets = evaluateTargets(
      results([
        row({ id: "ceiling/endor-logout", group: "ceiling", store: "none", requestsPerSecond: 10_000 }),
        row({ id: "endor-logout/memory", group: "library", store: "memory", requestsPerSecond: 9_000 }),
        row({ id: "soajs-logout/memory", group: "library", store: "memory", requestsPerSecond: 8_999, pipelineId: "soajs-logout" }),
        row({ id: "rocket-chat-logout/memory", group: "library", store: "memory", requestsPerSecond: 8_000, pipelineId: "rocket-chat-logout" }),
        row({ id: "require-session/memory", group: "library", kind: "guard", store: "memory", requestsPerSecond: 9_499, pipelineId: "require-session" }),
        row({ id: "kratos-logout/memory", group: "library", store: "memory", requestsPerSecond: 9_000, valid: false, note: "feed ran out" }),
      ]),
    );
    const status = (prefix: string) => targets.find((t) => t.target.startsWith(prefix))?.status;
    expect(status("endor-logout/memory")).toBe("pass");
    expect(status("soajs-logout/memory")).toBe("fail");
    expect(status("rocket-chat-logout/memory")).toBe("pass");
    expect(status("require-session/memory")).toBe("fail");
    expect(status("kratos-logout/memory")).toBe("not run");
    expect(targets.find((t) => t.target.startsWith("require-session/memory"))?.goal).toBe("≥ 95 % of the ceiling's req/s");
  });

  it("reads a share of the ceiling against the pipeline's floor: a floor below the goal puts it out of reach", () => {
    const targets = evaluateTargets(
      results([
        row({ id: "ceiling/endor-logout", group: "ceiling", store: "none", requestsPerSecond: 10_000 }),
        row({ id: "floor/endor-logout", group: "floor", store: "none", requestsPerSecond: 9_500 }),
        row({ id: "endor-logout/memory", group: "library", store: "memory", requestsPerSecond: 8_000 }),
        row({ id: "ceiling/require-session", group: "ceiling", store: "none", requestsPerSecond: 10_000, pipelineId: "require-session", ceilingId: "ceiling/require-session" }),
        row({ id: "floor/require-session", group: "floor", store: "none", requestsPerSecond: 9_000, pipelineId: "require-session", ceilingId: "ceiling/require-session" }),
        row({ id: "require-session/memory", group: "library", kind: "guard", store: "memory", requestsPerSecond: 8_500, pipelineId: "require-session", ceilingId: "ceiling/require-session" }),
      ]),
    );
    const endor = targets.find((t) => t.target.startsWith("endor-logout/memory"));
    expect(endor?.status).toBe("fail");
    expect(endor?.measured).toContain("the hand-written floor 95 %");
    expect(endor?.measured).toContain("the library reaches 84 % of the floor");
    const guard = targets.find((t) => t.target.startsWith("require-session/memory"));
    expect(guard?.status).toBe("fail");
    expect(guard?.measured).toContain("the hand-written floor 90 %");
    expect(guard?.measured).toContain("out of reach: the floor itself misses the goal in every round");
    expect(targets.some((t) => t.target.startsWith("floor/"))).toBe(false);
  });

  it("calls a floor that misses the goal on average but not in its best round at the edge, not out of reach", () => {
    const targets = evaluateTargets(
      results([
        row({ id: "ceiling/endor-logout", group: "ceiling", store: "none", requestsPerSecond: 10_000, roundRates: [10_000, 10_000] }),
        row({ id: "floor/endor-logout", group: "floor", store: "none", requestsPerSecond: 8_500, roundRates: [7_500, 9_500] }),
        row({ id: "endor-logout/memory", group: "library", store: "memory", requestsPerSecond: 8_000, roundRates: [8_000, 8_000] }),
      ]),
    );
    const measured = targets.find((t) => t.target.startsWith("endor-logout/memory"))?.measured;
    expect(measured).toContain("the hand-written floor 85 % (75 %–95 %), at the edge: the floor itself misses the goal on average; the library reaches 94 % of the floor");
  });

  it("needs 1.5× the peer's req/s and no worse p99 for a logout on Redis, 1.2× the peer's session read for a guard", () => {
    const peer = row({ id: "peer/express-session", group: "peer", store: "redis", requestsPerSecond: 4_000, p99Ms: 5 });
    const readPeer = row({ id: "peer/express-session-read", group: "peer", kind: "guard", store: "redis", requestsPerSecond: 5_000, p99Ms: 5 });
    const faster = row({ id: "endor-logout/redis", group: "library", store: "redis", requestsPerSecond: 6_000, p99Ms: 5 });
    const slowTail = row({ id: "soajs-logout/redis", group: "library", store: "redis", requestsPerSecond: 6_100, p99Ms: 5.5, pipelineId: "soajs-logout" });
    const notEnough = row({ id: "kratos-logout/redis", group: "library", store: "redis", requestsPerSecond: 5_999, p99Ms: 4, pipelineId: "kratos-logout" });
    const guard = row({ id: "require-session/redis", group: "library", kind: "guard", store: "redis", requestsPerSecond: 6_000, p99Ms: 9, pipelineId: "require-session" });
    const targets = evaluateTargets(results([peer, readPeer, faster, slowTail, notEnough, guard]));
    const status = (prefix: string) => targets.find((t) => t.target.startsWith(prefix))?.status;
    expect(status("endor-logout/redis")).toBe("pass");
    expect(status("soajs-logout/redis")).toBe("fail");
    expect(status("kratos-logout/redis")).toBe("fail");
    expect(status("require-session/redis")).toBe("pass");
    expect(targets.find((t) => t.target.startsWith("require-session/redis"))?.target).toContain("peer/express-session-read");
  });

  it("holds a whole run to ten minutes, and says where its time went", () => {
    const target = (r: BenchResults) => evaluateTargets(r).find((t) => t.target === "the whole run of `npm run bench`");
    const quick = { ...results([]), totalSeconds: 580, phaseSeconds: { HTTP: 400, heap: 180 } };
    expect(target(quick)).toMatchObject({ status: "pass", goal: "≤ 10 minutes (600 s)", measured: "580 s (HTTP 400 s, heap 180 s)" });
    expect(target({ ...quick, totalSeconds: 864 })).toMatchObject({ status: "fail" });
    // A run of some scenarios only is not held to it.
    expect(target({ ...quick, totalSeconds: 900, store: undefined })).toMatchObject({ status: "not run", measured: "not a whole run" });
    expect(target({ ...quick, totalSeconds: 900, primitives: [] })).toMatchObject({ status: "not run" });
  });

  it("counts Redis round trips per request against one, allowing only for the requests cut off at a slice's end", () => {
    const one = row({ id: "endor-logout/redis", group: "library", store: "redis", requestsPerSecond: 5_000, redisCommandsPerRequest: 1.004 });
    const two = row({ id: "soajs-logout/redis", group: "library", store: "redis", requestsPerSecond: 5_000, redisCommandsPerRequest: 2, pipelineId: "soajs-logout" });
    const targets = evaluateTargets(results([one, two]));
    expect(targets.find((t) => t.target === "endor-logout/redis: Redis round trips per request")).toMatchObject({ status: "pass", measured: "1.00" });
    expect(targets.find((t) => t.target === "soajs-logout/redis: Redis round trips per request")).toMatchObject({ status: "fail", measured: "2.00" });
  });

  it("holds a route of several store operations to one round trip each, and names them", () => {
    const kratos = row({ id: "kratos-logout/redis", group: "library", store: "redis", requestsPerSecond: 5_000, redisCommandsPerRequest: 2, pipelineId: "kratos-logout" });
    const rocket = row({ id: "rocket-chat-logout/redis", group: "library", store: "redis", requestsPerSecond: 3_000, redisCommandsPerRequest: 3, pipelineId: "rocket-chat-logout" });
    const rocketTwice = row({ id: "rocket-chat-logout/redis", group: "library", store: "redis", requestsPerSecond: 3_000, redisCommandsPerRequest: 4, pipelineId: "rocket-chat-logout" });
    const targets = evaluateTargets(results([kratos, rocket]));
    // Kratos' logout is one store operation (the logout token is checked before it): held to one.
    const kratosTarget = targets.find((t) => t.target === "kratos-logout/redis: Redis round trips per request");
    expect(kratosTarget).toMatchObject({ status: "fail", measured: "2.00", goal: "1" });
    const rocketTarget = targets.find((t) => t.target === "rocket-chat-logout/redis: Redis round trips per request");
    expect(rocketTarget).toMatchObject({ status: "pass", measured: "3.00" });
    expect(rocketTarget?.goal).toMatch(/^3, one per operation: the caller's session/);
    const over = evaluateTargets(results([rocketTwice])).find((t) => t.target === "rocket-chat-logout/redis: Redis round trips per request");
    expect(over).toMatchObject({ status: "fail", measured: "4.00" });
  });

  it("reads a peer goal against the route's own ceiling", () => {
    const ceiling = row({ id: "ceiling/endor-logout", group: "ceiling", store: "none", requestsPerSecond: 8_000 });
    const peer = row({ id: "peer/express-session", group: "peer", store: "redis", requestsPerSecond: 5_000, p99Ms: 5 });
    const library = row({ id: "endor-logout/redis", group: "library", store: "redis", requestsPerSecond: 6_000, p99Ms: 5 });
    const target = evaluateTargets(results([ceiling, peer, library])).find((t) => t.target.startsWith("endor-logout/redis") && t.target.includes("peer"));
    expect(target?.measured).toContain("the goal is 7,500 req/s, 94 % of the bare route's");
    expect(target?.measured).not.toContain("floor");
  });

  it("calls a Redis goal above the route's in-process floor (its best round) out of reach", () => {
    const ceiling = row({ id: "ceiling/endor-logout", group: "ceiling", store: "none", requestsPerSecond: 8_000, roundRates: [8_000, 8_000] });
    const peer = row({ id: "peer/express-session", group: "peer", store: "redis", requestsPerSecond: 5_000, p99Ms: 5 });
    const library = row({ id: "endor-logout/redis", group: "library", store: "redis", requestsPerSecond: 6_000, p99Ms: 5 });
    const target = (floorRates: number[]) =>
      evaluateTargets(results([ceiling, row({ id: "floor/endor-logout", group: "floor", store: "none", requestsPerSecond: floorRates[0] ?? 0, roundRates: floorRates }), peer, library])).find(
        (t) => t.target.startsWith("endor-logout/redis") && t.target.includes("peer"),
      )?.measured;
    expect(target([6_800, 7_200])).toContain("94 % of the bare route's, above the 90 % the route's in-process floor reached in its best round: out of reach");
    expect(target([7_000, 7_600])).toContain("94 % of the bare route's; the route's in-process floor reached 95 % in its best round");
  });

  it("reads a Redis goal against the floor with one round trip when there is one, out of reach only when it misses the goal in every round", () => {
    const ceiling = row({ id: "ceiling/endor-logout", group: "ceiling", store: "none", requestsPerSecond: 8_000, roundRates: [8_000, 8_000] });
    const peer = row({ id: "peer/express-session", group: "peer", store: "redis", requestsPerSecond: 5_000, p99Ms: 5 });
    const library = row({ id: "endor-logout/redis", group: "library", store: "redis", requestsPerSecond: 6_000, p99Ms: 5 });
    const inProcess = row({ id: "floor/endor-logout", group: "floor", store: "none", requestsPerSecond: 7_900, roundRates: [7_900, 7_900] });
    const target = (floorRates: number[]) =>
      evaluateTargets(
        results([ceiling, inProcess, row({ id: "floor/endor-logout/redis", group: "floor", store: "redis", requestsPerSecond: (floorRates[0]! + floorRates[1]!) / 2, roundRates: floorRates }), peer, library]),
      ).find((t) => t.target.startsWith("endor-logout/redis") && t.target.includes("peer"))?.measured;
    // The goal is 7,500 req/s, 94 % of the bare route's; the in-process floor (99 %) is not what a Redis route is read against.
    expect(target([6_800, 7_200])).toContain("94 % of the bare route's, above the 90 % the hand-written floor with one Redis round trip reached in its best round: out of reach on this machine");
    const reachable = target([7_000, 7_600]);
    expect(reachable).toContain("94 % of the bare route's; the hand-written floor with one Redis round trip reached 95 % in its best round");
    expect(reachable).not.toContain("out of reach");
  });

  it("names the floor on Redis of a route of several operations by its round trips, one per operation", () => {
    const rc = { pipelineId: "rocket-chat-logout", ceilingId: "ceiling/rocket-chat-logout" };
    const ceiling = row({ ...rc, id: "ceiling/rocket-chat-logout", group: "ceiling", store: "none", requestsPerSecond: 8_000, roundRates: [8_000, 8_000] });
    const peer = row({ id: "peer/express-session", group: "peer", store: "redis", requestsPerSecond: 4_000, p99Ms: 5 });
    const library = row({ ...rc, id: "rocket-chat-logout/redis", group: "library", store: "redis", requestsPerSecond: 3_000, p99Ms: 5, roundRates: [3_000, 3_000] });
    const floor = row({ ...rc, id: "floor/rocket-chat-logout/redis", group: "floor", store: "redis", requestsPerSecond: 5_000, roundRates: [4_800, 5_200] });
    const target = evaluateTargets(results([ceiling, floor, peer, library])).find((t) => t.target.startsWith("rocket-chat-logout/redis") && t.target.includes("peer"));
    // The goal, 1.5 × 4,000 = 6,000 req/s, is 75 % of the bare route's; the floor's best round reached 65 %.
    expect(target?.measured).toContain("75 % of the bare route's, above the 65 % the hand-written floor with 3 Redis round trips, one per operation reached in its best round: out of reach");
    expect(target?.status).toBe("fail");
  });

  it("checks the store's own time above a bare Map at 1 M / 10 k and heap per session, and says not run without a store section", () => {
    const targets = evaluateTargets(results([]));
    // (1250 - 300) / (1000 - 200) = 1.19
    expect(targets.find((t) => t.goal === "≤ 1.3×")).toMatchObject({ status: "pass", measured: expect.stringContaining("1.19×") as unknown });
    const steeper = evaluateTargets({ ...results([]), store: { ...scaling, operations: [scaling.operations[0]!, { id: "baseline-map-get/active", title: "bare Map", points: [{ sessions: 10_000, nsPerOp: 900 }, { sessions: 1_000_000, nsPerOp: 900 }] }] } });
    // (1250 - 900) / (1000 - 900) = 3.5: the store's own part grew, though the totals grew 1.25×.
    expect(steeper.find((t) => t.goal === "≤ 1.3×")?.status).toBe("fail");
    expect(targets.find((t) => t.goal === "≤ 512 bytes")).toMatchObject({ status: "fail", measured: "600 bytes" });
    const none = evaluateTargets({ ...results([]), store: undefined });
    expect(none.find((t) => t.goal === "≤ 512 bytes")?.status).toBe("not run");
    expect(none.filter((t) => t.status === "not run").length).toBeGreaterThanOrEqual(3);
  });
});

describe("bench harness: the Markdown table", () => {
  it("records the machine and date, and renders each row with its ratio and range", () => {
    const md = renderMarkdown(
      results([
        row({ id: "ceiling/endor-logout", title: "ceiling: Endor", group: "ceiling", store: "none", requestsPerSecond: 10_000, roundRates: [10_000, 10_000] }),
        row({ id: "endor-logout/memory", title: "Endor logout", group: "library", store: "memory", requestsPerSecond: 8_500, roundRates: [8_000, 9_000], p50Ms: 0.71, p99Ms: 3.2 }),
      ]),
    );
    expect(md).toContain("Test CPU, 2 cores, 4.0 GiB memory");
    expect(md).toContain("Node v20.0.0");
    expect(md).toContain("2026-01-01T00:00:00.000Z");
    expect(md).toContain("| Endor logout | memory | 8,500 | 0.71 | 3.20 | 0.85× (0.80–0.90) |  |  | 98 % |");
    expect(md).toMatch(/\| .*heap per session at 1 M.* \| ≤ 512 bytes \| 600 bytes \| FAIL \|/);
    // The TOTP records are a table of their own, per user: never a row of the sessions' table or the target's.
    const sessionsTable = md.slice(md.indexOf("| heap per session |"), md.indexOf("| heap per TOTP attempt record |"));
    expect(sessionsTable).toContain("| login sessions, 4 per user | 1 M | 4 | 600 |");
    expect(sessionsTable).not.toContain("TOTP");
    expect(md).toContain("| heap per TOTP attempt record | users | bytes per user |");
    expect(md).toContain("| TOTP attempt records | 1 M | 442 |");
  });

  it("marks an invalid run in the table instead of hiding it", () => {
    const md = renderMarkdown(results([row({ id: "endor-logout/memory", title: "Endor logout", group: "library", store: "memory", requestsPerSecond: 1, valid: false, note: "feed ran out" })]));
    expect(md).toContain("Endor logout (invalid run: feed ran out)");
  });
});

describe("bench harness: the peer", () => {
  it("is compared with rows of its own kind on its backend only, never with memory rows", () => {
    const rows = [
      row({ id: "peer/express-session", group: "peer", store: "redis", requestsPerSecond: 4_000 }),
      row({ id: "require-session/redis", group: "library", kind: "guard", store: "redis", requestsPerSecond: 5_000 }),
      row({ id: "endor-logout/memory", group: "library", store: "memory", requestsPerSecond: 9_000 }),
    ];
    expect(withRatios(rows).map((r) => r.vsPeer)).toEqual([undefined, undefined, undefined]);
  });
});

describe("bench harness: the chart", () => {
  it("draws one bar per library row, coloured by its own goal, with the goal tick and the rounds' range", () => {
    const svg = renderChart(
      results([
        row({ id: "ceiling/endor-logout", group: "ceiling", store: "none", requestsPerSecond: 10_000, roundRates: [10_000, 10_000] }),
        row({ id: "endor-logout/memory", title: "Endor logout", group: "library", store: "memory", requestsPerSecond: 9_500, roundRates: [9_000, 10_000] }),
        row({ id: "soajs-logout/memory", title: "SOAJS <logout>", group: "library", store: "memory", requestsPerSecond: 5_000, roundRates: [5_000, 5_000], pipelineId: "soajs-logout", ceilingId: "ceiling/endor-logout" }),
        row({ id: "peer/express-session", group: "peer", store: "redis", requestsPerSecond: 4_000, roundRates: [4_000, 4_000] }),
        row({ id: "endor-logout/redis", title: "Endor logout", group: "library", store: "redis", requestsPerSecond: 8_000, roundRates: [8_000, 8_000] }),
      ]),
    );
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.match(/class="pass"/g)).toHaveLength(2);
    expect(svg.match(/class="fail"/g)).toHaveLength(1);
    expect(svg.match(/class="goal"/g)).toHaveLength(3);
    expect(svg).toContain(">0.95<");
    expect(svg).toContain(">2.00×<");
    // Titles are escaped, never raw markup.
    expect(svg).toContain("SOAJS &#60;logout&#62;");
    expect(svg).not.toContain("<logout>");
    expect(svg).not.toContain('class="floor"');
  });

  it("marks a memory bar's hand-written floor with a triangle at its share of the ceiling", () => {
    const svg = renderChart(
      results([
        row({ id: "ceiling/endor-logout", group: "ceiling", store: "none", requestsPerSecond: 10_000 }),
        row({ id: "floor/endor-logout", group: "floor", store: "none", requestsPerSecond: 5_000 }),
        row({ id: "endor-logout/memory", title: "Endor logout", group: "library", store: "memory", requestsPerSecond: 4_000 }),
      ]),
    );
    const triangles = [...svg.matchAll(/<polygon points="([\d.]+),/g)];
    expect(triangles).toHaveLength(1);
    // Half way along the plot (330 px of labels, 440 px of plot for the scale 0..1).
    expect(Number(triangles[0]?.[1])).toBeCloseTo(330 + 0.5 * 440, 0);
  });
});

describe("bench harness: the README summary", () => {
  const run = results([
    row({ id: "ceiling/endor-logout", group: "ceiling", store: "none", requestsPerSecond: 1000 }),
    row({ id: "endor-logout/memory", group: "library", store: "memory", requestsPerSecond: 930, pipelineId: "endor-logout", title: "Endor Labs logout" }),
  ]);

  it("replaces exactly what lies between the markers, with the library rows and every target", () => {
    const readme = `# t\n\n## Performance\n\n${README_MARKERS.start}\nold table\n${README_MARKERS.end}\n\n## Security\n`;
    const updated = withReadmeSummary(readme, renderReadmeSummary(run));
    expect(updated).toBeDefined();
    expect(updated).not.toContain("old table");
    expect(updated?.startsWith(`# t\n\n## Performance\n\n${README_MARKERS.start}\nLatest run: 2026-01-01`)).toBe(true);
    expect(updated?.endsWith(`${README_MARKERS.end}\n\n## Security\n`)).toBe(true);
    expect(updated).toContain("| Endor Labs logout | memory | 930 |");
    expect(updated).toContain("![Ratios per pipeline against its ceiling and against the peer](bench/results.svg)");
    for (const t of evaluateTargets(run)) expect(updated).toContain(`| ${t.target} | ${t.goal} |`);
    // The ceiling itself is no row of the summary.
    expect(updated).not.toMatch(/\| ceiling/);
  });

  it("leaves a README without the markers alone", () => {
    expect(withReadmeSummary("# no markers\n", renderReadmeSummary(run))).toBeUndefined();
    expect(withReadmeSummary(`${README_MARKERS.end}\n${README_MARKERS.start}`, "x")).toBeUndefined();
  });
});
