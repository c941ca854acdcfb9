/**
 * Reads a V8 `.cpuprofile` (written by `BENCH_CPU_PROF=<dir> npm run bench`) and prints where the server's
 * time went: the functions with the most self time, and the library's own functions by total (inclusive) time,
 * as a share of the samples. `npx tsx bench/profile/summarize.ts <file.cpuprofile> [top]`.
 */
import { readFileSync } from "node:fs";
import { sourceOf } from "./attribute.js";

export interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
}

/** A readable place for a frame: `name (path:line)` with the path shortened to the package or src/ file. */
export function frameName(frame: ProfileNode["callFrame"]): string {
  // A frame of the built bundle is named by its source file (the bundle's `// src/...` markers).
  const url = sourceOf(frame.url, frame.lineNumber);
  const project = url.includes("/dist/") ? url.lastIndexOf("/dist/") : url.lastIndexOf("/src/");
  const short = url.includes("/node_modules/") ? url.slice(url.lastIndexOf("/node_modules/") + 14) : project >= 0 ? url.slice(project + 1) : url;
  return `${frame.functionName || "(anonymous)"} (${short || "native"}:${frame.lineNumber + 1})`;
}

/** Self and total sample counts per frame name. */
export function summarize(profile: CpuProfile): { total: number; self: Map<string, number>; inclusive: Map<string, number> } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const id of profile.samples) {
    const node = byId.get(id);
    if (node === undefined) continue;
    const name = frameName(node.callFrame);
    self.set(name, (self.get(name) ?? 0) + 1);
    // Count each frame name once per sample, however deep the recursion.
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at);
      if (frame === undefined) break;
      const n = frameName(frame.callFrame);
      if (seen.has(n)) continue;
      seen.add(n);
      inclusive.set(n, (inclusive.get(n) ?? 0) + 1);
    }
  }
  return { total: profile.samples.length, self, inclusive };
}

function top(map: Map<string, number>, total: number, count: number, filter: (name: string) => boolean): string[] {
  return [...map.entries()]
    .filter(([name]) => filter(name))
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, n]) => `${((100 * n) / total).toFixed(1).padStart(5)} %  ${name}`);
}

if (import.meta.url === `file://${process.argv[1] ?? ""}`) {
  const [file, countText] = process.argv.slice(2);
  if (file === undefined) {
    console.error("usage: npx tsx bench/profile/summarize.ts <file.cpuprofile> [top]");
    process.exit(2);
  }
  const count = countText === undefined ? 25 : Number(countText);
  if (!Number.isInteger(count) || count < 1) {
    console.error(`top must be a whole number, received ${countText ?? ""}`);
    process.exit(2);
  }
  const { total, self, inclusive } = summarize(JSON.parse(readFileSync(file, "utf8")) as CpuProfile);
  const idle = (self.get("(idle) (native:0)") ?? 0) / total;
  console.log(`${total} samples, ${(100 * idle).toFixed(1)} % idle`);
  console.log("\nself time:");
  for (const line of top(self, total, count, () => true)) console.log(line);
  console.log("\nthe library's functions, total time:");
  for (const line of top(inclusive, total, count, (name) => name.includes("(src/"))) console.log(line);
}
