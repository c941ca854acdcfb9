/** Helpers shared by the in-process measurements (store scaling, primitives). */

/** A garbage collection: the whole heap by default, or `{ type: "minor" }` for the young generation only. */
export type Gc = (options?: { readonly type: "major" | "minor" }) => void;

/** `global.gc`, which these scripts need: they run under `node --expose-gc`. */
export function requireGc(): Gc {
  const gc = (globalThis as { gc?: Gc }).gc;
  if (gc === undefined) throw new Error("run with node --expose-gc (bench/run.ts does)");
  return gc;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : ((sorted[mid - 1]! + sorted[mid]!) / 2);
}

/** Deterministic pseudo-random indexes in [0, bound): xorshift32, so every run draws the same sequence. */
export function randomIndexes(count: number, bound: number, seed = 0x9e3779b9): Uint32Array {
  const out = new Uint32Array(count);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x % bound;
  }
  return out;
}

export function log(message: string): void {
  process.stderr.write(`  ${message}\n`);
}
