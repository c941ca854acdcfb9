import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/**
 * Runs a bench script in its own Node process (`node --expose-gc --import tsx <script> ...args`) and parses the
 * JSON it prints as its last stdout line. Its progress goes to stderr, passed through. Bounded by `timeoutMs`.
 */
export function runChildScript<T>(script: string, args: readonly string[], options: { timeoutMs: number; maxOldSpaceMb?: number }): Promise<T> {
  const path = fileURLToPath(new URL(`../${script}`, import.meta.url));
  const execArgv = ["--expose-gc", ...(options.maxOldSpaceMb === undefined ? [] : [`--max-old-space-size=${options.maxOldSpaceMb}`]), "--import", "tsx"];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...execArgv, path, ...args], { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, NODE_ENV: "production" } });
    let out = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      out += chunk;
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${script} did not finish within ${options.timeoutMs} ms`));
    }, options.timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) {
        reject(new Error(`${script} exited with ${signal ?? String(code)}`));
        return;
      }
      const last = out.trim().split("\n").at(-1) ?? "";
      try {
        resolve(JSON.parse(last) as T);
      } catch {
        reject(new Error(`${script} printed no JSON result`));
      }
    });
  });
}
