import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { attribute, categoryOf, sourceOf, type CpuProfileData } from "../bench/profile/attribute.js";
import { PARTS, partOf, split } from "../bench/profile/parts.js";

// The profile attribution's pure parts: nothing here profiles or starts a server.

const project = fileURLToPath(new URL("..", import.meta.url));

/** A profile of one stack per node: root → each child, with `samples` and their time deltas (µs). */
function profile(frames: readonly { url: string; name: string; line?: number; parent?: number }[], samples: readonly number[], deltaUs: number): CpuProfileData {
  const nodes = [{ id: 1, callFrame: { functionName: "(root)", url: "", lineNumber: 0 }, children: [] as number[] }];
  frames.forEach((frame, i) => {
    const id = i + 2;
    nodes.push({ id, callFrame: { functionName: frame.name, url: frame.url, lineNumber: frame.line ?? 0 }, children: [] });
    nodes[(frame.parent ?? 1) - 1]!.children.push(id);
  });
  // timeDeltas[i] is the time before sample i; the attribution charges sample i with timeDeltas[i + 1].
  return { nodes, samples, timeDeltas: samples.map(() => deltaUs).concat(deltaUs), startTime: 0, endTime: samples.length * deltaUs };
}

describe("bench:profile attribution", () => {
  it("charges each frame to the library's part, crypto, Express, Node or the collector by where it lives", () => {
    expect(categoryOf(`file://${project}src/store/memory.ts`, "getSession")).toBe("library: store");
    expect(categoryOf(`file://${project}src/credentials/jwt/verifier.ts`, "verify")).toBe("library: credentials and TOTP");
    expect(categoryOf(`file://${project}src/handlers/require-session.ts`, "run")).toBe("library: handlers and shapes");
    expect(categoryOf(`file://${project}node_modules/debug/src/common.js`, "debug")).toBe("Express and its middleware");
    expect(categoryOf(`file://${project}node_modules/@redis/client/dist/lib/client/index.js`, "sendCommand")).toBe("Redis client");
    expect(categoryOf(`file://${project}node_modules/jws/lib/verify-stream.js`, "jwsDecode")).toBe("library: its dependencies (otplib, jsonwebtoken)");
    expect(categoryOf("node:internal/crypto/hash", "digest")).toBe("crypto (SHA-256, HMAC, random)");
    expect(categoryOf("node:_http_outgoing", "end")).toBe("Node HTTP, streams, timers, promises");
    expect(categoryOf(`file://${project}bench/http/pipelines/require-session.ts`, "listThings")).toBe("host route (the same in the ceiling)");
    expect(categoryOf("", "(garbage collector)")).toBe("garbage collector");
    expect(categoryOf("", "(idle)")).toBe("idle");
    // A native binding says nothing by itself: its caller decides.
    expect(categoryOf("", "writev")).toBeUndefined();
  });

  it("reads a bundle's lines back to the source files its bundler marked", () => {
    const dir = mkdtempSync(join(tmpdir(), "bench-profile-"));
    mkdirSync(join(dir, "dist"));
    const lines = ["// src/errors.ts", "class LogoutError {}", "", "// src/store/memory.ts", "class MemorySessionStore {}", "function findSessionByTokenHash() {}"];
    const bundle = join(dir, "dist", "index.js");
    writeFileSync(bundle, lines.join("\n"));
    writeFileSync(join(dir, "index.js"), lines.join("\n"));
    expect(sourceOf(`file://${bundle}`, 1)).toBe(`${project}src/errors.ts`);
    expect(sourceOf(`file://${bundle}`, 5)).toBe(`${project}src/store/memory.ts`);
    // Only a bundle under dist/ is read back; any other file keeps its own path.
    expect(sourceOf(`file://${join(dir, "index.js")}`, 5)).toBe(join(dir, "index.js"));
  });

  it("adds up µs per request by category, charging a native binding to its nearest caller with a script", () => {
    const crypto = { url: "node:internal/crypto/hash", name: "hash" };
    const frames = [
      { url: `file://${project}src/store/memory.ts`, name: "findSessionByTokenHash" }, // id 2
      crypto, // id 3
      { url: "", name: "oneShotDigest", parent: 3 }, // id 4: a native binding under crypto
      { url: "", name: "(garbage collector)" }, // id 5
      { url: "", name: "(idle)" }, // id 6
    ];
    // 10 requests: 4 samples in the store, 2 in crypto's binding, 1 in GC, 3 idle, 100 µs each.
    const result = attribute([profile(frames, [2, 2, 2, 2, 4, 4, 5, 6, 6, 6], 100)], 10);
    expect(result.perRequest["library: store"]).toBe(40);
    expect(result.perRequest["crypto (SHA-256, HMAC, random)"]).toBe(20);
    expect(result.perRequest["garbage collector"]).toBe(10);
    expect(result.total).toBe(70);
    expect(result.libraryFunctions).toEqual([{ name: "findSessionByTokenHash (src/store/memory.ts)", us: 40 }]);
    expect(result.debugFrames).toEqual([]);
    // Asked for one category, it lists the frames charged to it: the native binding under its own name.
    const crypto20 = attribute([profile(frames, [2, 2, 2, 2, 4, 4, 5, 6, 6, 6], 100)], 10, "crypto (SHA-256, HMAC, random)");
    expect(crypto20.debugFrames).toEqual([{ name: expect.stringContaining("oneShotDigest") as string, us: 20 }]);
  });
});

describe("bench:overhead's in-process parts", () => {
  it("names what the code does, for the floor's bench code and the library's src alike", () => {
    const route = "the route's own work: handlers, shapes, guards, request state";
    expect(partOf(`file://${project}src/handlers/require-session.ts`, "run", 0)).toBe(route);
    expect(partOf(`file://${project}bench/http/pipelines/endor.ts`, "endorFloorLogout", 0)).toBe(route);
    expect(partOf(`file://${project}src/store/memory-user-index.ts`, "remove", 0)).toBe("store: records and indexes");
    expect(partOf(`file://${project}bench/http/floor/sessions.ts`, "endById", 0)).toBe("store: records and indexes");
    expect(partOf(`file://${project}src/totp/verify.ts`, "hotp", 0)).toBe("credentials, TOTP and secrets");
    expect(partOf(`file://${project}src/secrets.ts`, "hashSecret", 0)).toBe("credentials, TOTP and secrets");
    expect(partOf(`file://${project}bench/http/directory.ts`, "findUser", 0)).toBe("the host's directory");
    // The fake response's JSON serialization stands for Express's res.json: the answer is the route's work.
    expect(partOf(`file://${project}bench/profile/overhead.ts`, "json", 0)).toBe(route);
    expect(partOf(`file://${project}bench/profile/overhead.ts`, "run", 0)).toBe("the harness");
    expect(partOf(`file://${project}node_modules/@scure/base/index.js`, "decode", 0)).toBe("otplib (secret decoding)");
    expect(partOf("node:internal/crypto/hash", "digest", 0)).toBe("crypto (SHA-256, HMAC)");
    expect(partOf("node:internal/process/task_queues", "runMicrotasks", 0)).toBe("promises, events, buffers (Node)");
    expect(partOf("", "(garbage collector)", 0)).toBe("garbage collector");
    expect(partOf("", "writev", 0)).toBeUndefined();
  });

  it("adds up µs per request by part and the store's time by file, a native binding charged to its caller", () => {
    const frames = [
      { url: `file://${project}src/store/deadline-map.ts`, name: "get" }, // id 2
      { url: "", name: "MapGet", parent: 2 }, // id 3: no script, charged to the store
      { url: `file://${project}src/handlers/require-session.ts`, name: "run" }, // id 4
      { url: "", name: "(idle)" }, // id 5: not counted
    ];
    const { parts, storeFiles } = split([profile(frames, [2, 3, 3, 4, 5], 10)], 5);
    expect(parts["store: records and indexes"]).toBeCloseTo(6);
    expect(parts["the route's own work: handlers, shapes, guards, request state"]).toBeCloseTo(2);
    expect(Object.values(parts).reduce((a, b) => a + b, 0)).toBeCloseTo(8);
    expect([...storeFiles.entries()]).toEqual([["src/store/deadline-map.ts", expect.closeTo(6, 5) as number]]);
    expect(PARTS).toContain("garbage collector");
  });
});
