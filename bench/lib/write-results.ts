import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { renderChart } from "./chart.js";
import { evaluateTargets, renderMarkdown, renderReadmeSummary, withReadmeSummary, type BenchResults } from "./report.js";

/**
 * Writes a run's results: `results.json` (every number, with the targets as evaluated), `results.md`,
 * `results.svg`, and, when `readme` is set, the README's summary between its markers. Answers the Markdown and
 * whether the README was refreshed.
 */
export async function writeResults(results: BenchResults, outDir: string, readme: boolean): Promise<{ markdown: string; readme: "refreshed" | "no markers" | "left alone" }> {
  const targets = evaluateTargets(results);
  const markdown = renderMarkdown(results, targets);
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, "results.json"), `${JSON.stringify({ ...results, targets }, null, 2)}\n`);
  await writeFile(join(outDir, "results.md"), markdown);
  await writeFile(join(outDir, "results.svg"), renderChart(results));
  if (!readme) return { markdown, readme: "left alone" };
  const readmePath = fileURLToPath(new URL("../../README.md", import.meta.url));
  const updated = withReadmeSummary(await readFile(readmePath, "utf8"), renderReadmeSummary(results, targets));
  if (updated === undefined) return { markdown, readme: "no markers" };
  await writeFile(readmePath, updated);
  return { markdown, readme: "refreshed" };
}
