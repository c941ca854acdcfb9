/**
 * `npm run bench:render`: writes bench/results.md, bench/results.svg and the README's summary again from
 * bench/results.json, with the current targets and report, without measuring anything. For a change to the
 * report or to a target's reading; the numbers stay those of the run that produced the JSON.
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { BenchResults } from "./lib/report.js";
import { writeResults } from "./lib/write-results.js";

const dir = fileURLToPath(new URL(".", import.meta.url));
const { targets: _evaluated, ...results } = JSON.parse(await readFile(`${dir}results.json`, "utf8")) as BenchResults & { targets?: unknown };
const written = await writeResults(results, dir, true);
process.stdout.write(`${written.markdown}\nREADME: ${written.readme}\n`);
