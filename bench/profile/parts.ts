/**
 * Where a pipeline's CPU time goes when its handlers are called in-process (`bench/profile/overhead.ts`): each
 * sample of a V8 CPU profile is charged to a part by the frame it was taken in (a native binding, which has no
 * script of its own, by the nearest caller that has one).
 */
import { sourceOf, type CpuProfileData } from "./attribute.js";

/**
 * Where in-process time goes. The floor's route is bench code and the library's is src/, so the parts name what
 * the code does, not whose it is: the floor's own lines are "the route's own work", as the library's handlers are.
 */
export const PARTS = [
  "the route's own work: handlers, shapes, guards, request state",
  "credentials, TOTP and secrets",
  "store: records and indexes",
  "otplib (secret decoding)",
  "crypto (SHA-256, HMAC)",
  "the host's directory",
  "promises, events, buffers (Node)",
  "garbage collector",
  "other native",
  "the harness",
] as const;
export type Part = (typeof PARTS)[number];

export function partOf(url: string, functionName: string, lineNumber: number): Part | "idle" | undefined {
  if (functionName === "(idle)") return "idle";
  if (functionName === "(garbage collector)") return "garbage collector";
  if (functionName === "(program)" || functionName === "(root)") return "other native";
  if (url === "") return undefined;
  const path = sourceOf(url, lineNumber);
  if (path.includes("/node_modules/")) return /\/(otplib|@otplib|@scure)\//.test(path) ? "otplib (secret decoding)" : "the harness";
  if (path.includes("/src/store/")) return "store: records and indexes";
  if (/\/src\/(credentials|totp)\/|\/src\/secrets\.ts$/.test(path)) return "credentials, TOTP and secrets";
  if (path.includes("/src/")) return "the route's own work: handlers, shapes, guards, request state";
  if (path.includes("/bench/http/floor/")) return "store: records and indexes";
  if (path.includes("/bench/http/directory.ts")) return "the host's directory";
  if (path.includes("/bench/http/pipelines/")) return "the route's own work: handlers, shapes, guards, request state";
  // The response's JSON serialization stands for Express's `res.json`: the floor's answer, as `sendReply` is the library's.
  if (path.includes("/bench/profile/overhead.ts") && (functionName === "json" || functionName === "send")) return "the route's own work: handlers, shapes, guards, request state";
  if (path.includes("/bench/")) return "the harness";
  if (path.startsWith("node:internal/crypto") || path === "node:crypto") return "crypto (SHA-256, HMAC)";
  if (path.startsWith("node:")) return "promises, events, buffers (Node)";
  return "other native";
}

/** µs per request by part over `requests`, and the store's share by source file. */
export function split(profiles: readonly CpuProfileData[], requests: number): { parts: Record<Part, number>; storeFiles: Map<string, number> } {
  const parts = Object.fromEntries(PARTS.map((p) => [p, 0])) as Record<Part, number>;
  const storeFiles = new Map<string, number>();
  for (const profile of profiles) {
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
    for (let i = 0; i < profile.samples.length; i++) {
      const us = i + 1 < profile.timeDeltas.length ? profile.timeDeltas[i + 1]! : 0;
      // A native binding has no script: it is charged to the nearest caller that has one.
      let part: Part | "idle" = "other native";
      let file: string | undefined;
      for (let at: number | undefined = profile.samples[i]; at !== undefined; at = parent.get(at)) {
        const frame = byId.get(at)?.callFrame;
        if (frame === undefined) break;
        const found = partOf(frame.url, frame.functionName, frame.lineNumber);
        if (found === undefined) continue;
        part = found;
        file = /\/(src\/store\/[^/]+)$/.exec(sourceOf(frame.url, frame.lineNumber))?.[1];
        break;
      }
      if (part === "idle") continue;
      parts[part] += us / requests;
      if (file !== undefined) storeFiles.set(file, (storeFiles.get(file) ?? 0) + us / requests);
    }
  }
  return { parts, storeFiles };
}
