/**
 * `npm run fuzz`: the fuzzer of test/fuzz/endpoints.test.ts with many more requests and a fresh seed.
 * FUZZ_RUNS (default 20000) and FUZZ_SEED (default: random, printed) override; a failure prints its seed and
 * counterexample, and FUZZ_SEED=<seed> replays it.
 */
import { spawnSync } from "node:child_process";
import { randomInt } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const runs = process.env.FUZZ_RUNS ?? "20000";
const seed = process.env.FUZZ_SEED ?? String(randomInt(2 ** 31 - 1));
const vitest = join(dirname(fileURLToPath(import.meta.resolve("vitest/package.json"))), "vitest.mjs");
console.log(`fuzzing every route of the example app: FUZZ_RUNS=${runs} FUZZ_SEED=${seed}`);
const result = spawnSync(process.execPath, [vitest, "run", "test/fuzz"], { stdio: "inherit", env: { ...process.env, FUZZ_RUNS: runs, FUZZ_SEED: seed } });
if (result.status !== 0) console.log(`replay with: FUZZ_RUNS=${runs} FUZZ_SEED=${seed} npm run fuzz`);
process.exit(result.status ?? 1);
