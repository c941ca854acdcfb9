/**
 * Where a server's CPU time went, per answered request, from a V8 CPU profile of a measured phase: each sample
 * is charged to one category by the frame it was taken in (a native binding, which has no script of its own,
 * by the nearest caller that has one). The categories separate the library's own code from the work it asks
 * of Node (hashing, HMAC), from Express and Node's HTTP stack, and from the garbage collector.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ProfileNode } from "./summarize.js";
import { frameName } from "./summarize.js";

export interface CpuProfileData {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

/** The categories, in the order a report lists them. */
export const CATEGORIES = [
  "library: handlers and shapes",
  "library: credentials and TOTP",
  "library: store",
  "library: its dependencies (otplib, jsonwebtoken)",
  "Redis client",
  "crypto (SHA-256, HMAC, random)",
  "host route (the same in the ceiling)",
  "Express and its middleware",
  "Node HTTP, streams, timers, promises",
  "garbage collector",
  "other native",
] as const;
export type Category = (typeof CATEGORIES)[number];

/** The project's own directory: what lies under it outside node_modules is the library, the bench or its tests. */
const PROJECT = fileURLToPath(new URL("../..", import.meta.url));

const LIBRARY_DEPENDENCIES = /\/node_modules\/(jsonwebtoken|jws|jwa|otplib|@otplib|@scure|@noble|ms|lodash\.[a-z]+|semver|safe-buffer|buffer-equal-constant-time|ecdsa-sig-formatter)\//;

/**
 * The source file of a line of the built bundle: the bundler marks where each source file starts with a
 * `// src/<path>` comment, so a profile of dist/ is still charged to the library's parts.
 */
const bundleSources = new Map<string, readonly (readonly [line: number, source: string])[]>();

export function sourceOf(url: string, lineNumber: number): string {
  const path = url.replace(/^file:\/\//, "");
  if (!/\/dist\/[^/]+\.c?js$/.test(path)) return path;
  let starts = bundleSources.get(path);
  if (starts === undefined) {
    const found: [number, string][] = [];
    try {
      readFileSync(path, "utf8").split("\n").forEach((text, line) => {
        const marker = /^\/\/ (src\/\S+)$/.exec(text);
        if (marker?.[1] !== undefined) found.push([line, marker[1]]);
      });
    } catch {
      // Not readable: the frame keeps its bundle path.
    }
    starts = found;
    bundleSources.set(path, starts);
  }
  let source = path;
  for (const [line, file] of starts) {
    if (line > lineNumber) break;
    source = `${PROJECT}${file}`;
  }
  return source;
}

/** The category of one frame, or `undefined` when it says nothing by itself (a native binding without a script). */
export function categoryOf(url: string, functionName: string, lineNumber = 0): Category | "idle" | undefined {
  if (functionName === "(idle)") return "idle";
  if (functionName === "(garbage collector)") return "garbage collector";
  if (functionName === "(program)" || functionName === "(root)") return "other native";
  if (url === "") return undefined;
  const path = sourceOf(url, lineNumber);
  if (path.includes("/node_modules/")) {
    if (LIBRARY_DEPENDENCIES.test(path)) return "library: its dependencies (otplib, jsonwebtoken)";
    if (/\/node_modules\/(@redis|redis|cluster-key-slot|generic-pool)\//.test(path)) return "Redis client";
    return "Express and its middleware";
  }
  if (path.startsWith(PROJECT) && path.includes("/src/")) {
    if (path.includes("/src/store/")) return "library: store";
    if (path.includes("/src/credentials/") || path.includes("/src/totp/")) return "library: credentials and TOTP";
    return "library: handlers and shapes";
  }
  if (path.startsWith("node:internal/crypto") || path === "node:crypto") return "crypto (SHA-256, HMAC, random)";
  if (path.includes("/bench/")) return "host route (the same in the ceiling)";
  if (path.startsWith("node:")) return "Node HTTP, streams, timers, promises";
  return "other native";
}

export interface Attribution {
  /** Microseconds of CPU per answered request, per category (idle excluded). */
  readonly perRequest: Readonly<Record<Category, number>>;
  /** Microseconds of CPU per answered request in all. */
  readonly total: number;
  /** The library's own functions by self time, µs per request, most first. */
  readonly libraryFunctions: readonly { readonly name: string; readonly us: number }[];
  /** The frames charged to `debugCategory`, by self time, µs per request, most first (empty without one). */
  readonly debugFrames: readonly { readonly name: string; readonly us: number }[];
}

/**
 * Attributes the samples of one or more profiles of the same server to categories, over `requests` answers;
 * with `debugCategory`, also lists the frames charged to that category.
 */
export function attribute(profiles: readonly CpuProfileData[], requests: number, debugCategory?: Category): Attribution {
  const perRequest = Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<Category, number>;
  const library = new Map<string, number>();
  const debug = new Map<string, number>();
  for (const profile of profiles) {
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
    const memo = new Map<number, Category | "idle">();
    const categorize = (id: number): Category | "idle" => {
      const known = memo.get(id);
      if (known !== undefined) return known;
      let found: Category | "idle" = "other native";
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        const frame = byId.get(at)?.callFrame;
        if (frame === undefined) break;
        const category = categoryOf(frame.url, frame.functionName, frame.lineNumber);
        if (category !== undefined) {
          found = category;
          break;
        }
      }
      memo.set(id, found);
      return found;
    };
    // Each sample stands for the time until the next one (timeDeltas[i + 1]); the last for the rest of the profile.
    for (let i = 0; i < profile.samples.length; i++) {
      const id = profile.samples[i]!;
      const us = i + 1 < profile.timeDeltas.length ? profile.timeDeltas[i + 1]! : 0;
      const category = categorize(id);
      if (category === "idle") continue;
      perRequest[category] += us;
      if (debugCategory === category) {
        const frame = byId.get(id)?.callFrame;
        if (frame !== undefined) debug.set(frameName(frame), (debug.get(frameName(frame)) ?? 0) + us);
      }
      if (category.startsWith("library: ") && !category.includes("dependencies")) {
        const frame = byId.get(id)?.callFrame;
        if (frame !== undefined && frame.url !== "") {
          const source = sourceOf(frame.url, frame.lineNumber);
          const name = `${frame.functionName || "(anonymous)"} (${source.slice(source.lastIndexOf("/src/") + 1)})`;
          library.set(name, (library.get(name) ?? 0) + us);
        }
      }
    }
  }
  for (const c of CATEGORIES) perRequest[c] /= requests;
  const total = CATEGORIES.reduce((sum, c) => sum + perRequest[c], 0);
  const libraryFunctions = [...library.entries()].map(([name, us]) => ({ name, us: us / requests })).sort((a, b) => b.us - a.us);
  const debugFrames = [...debug.entries()].map(([name, us]) => ({ name, us: us / requests })).sort((a, b) => b.us - a.us);
  return { perRequest, total, libraryFunctions, debugFrames };
}
