import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createConnection } from "node:net";

/** Whether a TCP port on loopback accepts connections. */
export function portOpen(port: number, host = "127.0.0.1", timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => { done(false); });
    socket.once("connect", () => { done(true); });
    socket.once("error", () => { done(false); });
  });
}

/** Whether an executable is on the PATH or at an absolute path. */
export function hasExecutable(name: string): boolean {
  if (name.startsWith("/")) return existsSync(name);
  try {
    execFileSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * Decides whether a suite that needs a real service runs. Without the service it is skipped with a printed
 * reason on a developer's machine, and it fails when `CI` is set: CI must really run it.
 * Use: `const redis = await needService("Redis on 127.0.0.1:6379", () => portOpen(6379));`
 * then `describe.skipIf(!redis)(...)`.
 */
export async function needService(what: string, available: () => boolean | Promise<boolean>): Promise<boolean> {
  if (await available()) return true;
  const ci = process.env.CI !== undefined && process.env.CI !== "" && process.env.CI !== "false";
  if (ci) throw new Error(`${what} is not available, and CI is set: this suite must run in CI.`);
  console.warn(`skipping: ${what} is not available on this machine (set CI=1 to make this a failure).`);
  return false;
}
