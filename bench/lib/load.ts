import autocannon from "autocannon";
import type { Feed, RequestTemplate } from "../http/types.js";
import { percentile } from "./report.js";

/** How the load generator drives a run. */
export interface LoadOptions {
  readonly port: number;
  readonly template: RequestTemplate;
  readonly feed: Feed;
  /** Status every request must get; any other counts as unexpected and voids the run. */
  readonly expectStatus: number;
  readonly connections: number;
  readonly durationSeconds: number;
  /** Stop early instead of reusing a value when a one-use feed runs out (warm-up only). */
  readonly stopWhenExhausted: boolean;
}

export interface LoadResult {
  /** Requests answered with the expected status. */
  readonly ok: number;
  /** Requests answered with another status. */
  readonly unexpected: number;
  readonly statusCounts: Readonly<Record<string, number>>;
  /** Connection errors and timeouts. */
  readonly errors: number;
  readonly durationSeconds: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Latency of every expected answer, ms, ascending. */
  readonly latencies: Float64Array;
  /** Values of a one-use feed the run consumed (built requests, sent or not). */
  readonly consumed: number;
  /** A one-use feed ran out: some requests reused a value, so the run does not count. */
  readonly exhausted: boolean;
  /** CPU of this (load generator) process over the run's wall time: near 1.0 means the client was the limit. */
  readonly clientCpu: number;
}

type Built = { method: "GET" | "POST"; path: string; headers: Record<string, string>; body?: string };

/** Fills a template's `{{n}}` placeholders from one row. */
export function fill(text: string, row: readonly string[]): string {
  return text.replace(/\{\{(\d+)\}\}/g, (_, index: string) => row[Number(index)] ?? "");
}

function build(template: RequestTemplate, row: readonly string[]): Built {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(template.headers)) headers[name] = fill(value, row);
  const built: Built = { method: template.method, path: fill(template.path, row), headers };
  if (template.body !== undefined) {
    built.body = fill(template.body, row);
    headers["content-type"] ??= "application/json";
  }
  return built;
}

/**
 * One autocannon run against a server in another process. Each request takes the next row of the feed in
 * `setupRequest` (requests are built before the run, so the client's per-request work is an index). The
 * latency of every response is recorded at full resolution (autocannon's own histogram counts whole
 * milliseconds, too coarse for sub-millisecond answers).
 */
export function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { feed, template } = options;
  const requests = feed.rows.map((row) => build(template, row));
  if (requests.length === 0) throw new Error("empty feed");
  let index = 0;
  let exhausted = false;
  let latencies = new Float64Array(1 << 16);
  let recorded = 0;
  let ok = 0;
  let unexpected = 0;
  const statusCounts: Record<string, number> = {};
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();

  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `http://127.0.0.1:${options.port}`,
        connections: options.connections,
        pipelining: 1,
        duration: options.durationSeconds,
        timeout: 10,
        requests: [
          {
            setupRequest(request) {
              let next: Built;
              if (index < requests.length) {
                next = requests[index++]!;
              } else if (feed.cycle) {
                index = 1;
                next = requests[0]!;
              } else {
                // A one-use feed ran out: reuse the last value (its answer is unexpected, and the run is void).
                if (!exhausted && options.stopWhenExhausted) instance.stop();
                exhausted = true;
                next = requests[requests.length - 1]!;
              }
              request.method = next.method;
              request.path = next.path;
              request.headers = next.headers;
              if (next.body !== undefined) request.body = next.body;
              return request;
            },
          },
        ],
      },
      (error: unknown, result) => {
        if (error !== null && error !== undefined) {
          reject(error instanceof Error ? error : new Error(JSON.stringify(error)));
          return;
        }
        const cpu = process.cpuUsage(cpuBefore);
        const wallMs = performance.now() - wallBefore;
        const sorted = latencies.subarray(0, recorded).sort();
        const durationSeconds = result.duration;
        resolve({
          ok,
          unexpected,
          statusCounts,
          errors: result.errors + result.timeouts,
          durationSeconds,
          requestsPerSecond: durationSeconds > 0 ? ok / durationSeconds : 0,
          p50Ms: percentile(sorted, 0.5),
          p99Ms: percentile(sorted, 0.99),
          latencies: sorted,
          consumed: feed.cycle ? 0 : Math.min(index, requests.length),
          exhausted,
          clientCpu: (cpu.user + cpu.system) / 1000 / wallMs,
        });
      },
    );
    instance.on("response", (_client, statusCode, _bytes, responseTime) => {
      statusCounts[statusCode] = (statusCounts[statusCode] ?? 0) + 1;
      if (statusCode !== options.expectStatus) {
        unexpected += 1;
        return;
      }
      ok += 1;
      if (recorded === latencies.length) {
        const bigger = new Float64Array(latencies.length * 2);
        bigger.set(latencies);
        latencies = bigger;
      }
      latencies[recorded++] = responseTime;
    });
  });
}
