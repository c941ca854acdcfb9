/**
 * The benchmark's picture: `bench/results.svg`, written by `npm run bench` beside results.md. Two panels of
 * horizontal bars, one per library row: on the memory store its share of its ceiling (a bare Express route
 * answering the same bytes), on Redis its req/s against the peer doing the same work on the same Redis. Each
 * bar carries its goal as a tick and the min–max of its rounds as a whisker; a memory bar, its pipeline's
 * hand-written floor as a triangle below it. Pure: no I/O.
 */
import { ceilingFor, ceilingGoal, floorFor, peerFor, ratio, roundRange, TARGETS, type BenchResults, type HttpRow } from "./report.js";

interface Bar {
  readonly label: string;
  readonly value: number | undefined;
  readonly range: readonly [number, number] | undefined;
  readonly goal: number;
  /** Where the pipeline's hand-written floor reached (on Redis, with the round trips the target allows): the most any implementation mounted so got. */
  readonly floor?: number | undefined;
}

const WIDTH = 860;
const LABEL_WIDTH = 330;
const BAR_HEIGHT = 18;
const GAP = 8;
const PANEL_GAP = 46;

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function memoryBars(rows: readonly HttpRow[]): Bar[] {
  return rows
    .filter((r) => r.group === "library" && r.store === "memory")
    .map((row) => {
      const ceiling = ceilingFor(rows, row);
      const floor = floorFor(rows, row);
      return {
        label: row.title,
        value: row.valid ? ratio(row.requestsPerSecond, ceiling?.requestsPerSecond) : undefined,
        range: row.valid ? roundRange(row, ceiling) : undefined,
        goal: ceilingGoal(row.pipelineId),
        floor: floor === undefined ? undefined : ratio(floor.requestsPerSecond, ceiling?.requestsPerSecond),
      };
    });
}

function peerBars(rows: readonly HttpRow[]): Bar[] {
  return rows
    .filter((r) => r.group === "library" && r.store !== "memory" && r.store !== "none")
    .map((row) => {
      const peer = peerFor(rows, row);
      // On Redis, the floor with the round trips the target allows: the least a Redis implementation of the route may cost.
      const floor = floorFor(rows, row);
      return {
        label: `${row.title} (${row.store})`,
        value: row.valid ? ratio(row.requestsPerSecond, peer?.requestsPerSecond) : undefined,
        range: row.valid ? roundRange(row, peer) : undefined,
        goal: TARGETS.vsPeer[row.kind],
        floor: floor === undefined ? undefined : ratio(floor.requestsPerSecond, peer?.requestsPerSecond),
      };
    });
}

function panel(title: string, unit: string, bars: readonly Bar[], top: number, scaleMax: number): { svg: string[]; height: number } {
  const out: string[] = [];
  const plotWidth = WIDTH - LABEL_WIDTH - 90;
  const x = (v: number) => LABEL_WIDTH + (Math.min(v, scaleMax) / scaleMax) * plotWidth;
  out.push(`<text x="10" y="${top + 14}" class="title">${escapeXml(title)}</text>`);
  const plotTop = top + 26;
  const plotHeight = bars.length * (BAR_HEIGHT + GAP);
  for (let tick = 0; tick <= scaleMax + 1e-9; tick += scaleMax > 2 ? 0.5 : 0.25) {
    out.push(`<line x1="${x(tick).toFixed(1)}" y1="${plotTop - 4}" x2="${x(tick).toFixed(1)}" y2="${plotTop + plotHeight}" class="grid"/>`);
    out.push(`<text x="${x(tick).toFixed(1)}" y="${plotTop + plotHeight + 14}" class="axis">${tick.toFixed(2)}${unit}</text>`);
  }
  bars.forEach((bar, i) => {
    const y = plotTop + i * (BAR_HEIGHT + GAP);
    out.push(`<text x="${LABEL_WIDTH - 8}" y="${y + BAR_HEIGHT - 5}" class="label">${escapeXml(bar.label)}</text>`);
    if (bar.value === undefined) {
      out.push(`<text x="${LABEL_WIDTH + 4}" y="${y + BAR_HEIGHT - 5}" class="value">not measured</text>`);
    } else {
      const pass = bar.value >= bar.goal;
      out.push(`<rect x="${LABEL_WIDTH}" y="${y}" width="${(x(bar.value) - LABEL_WIDTH).toFixed(1)}" height="${BAR_HEIGHT}" class="${pass ? "pass" : "fail"}"/>`);
      if (bar.range !== undefined) {
        const mid = y + BAR_HEIGHT / 2;
        out.push(`<line x1="${x(bar.range[0]).toFixed(1)}" y1="${mid}" x2="${x(bar.range[1]).toFixed(1)}" y2="${mid}" class="whisker"/>`);
      }
      out.push(`<text x="${(x(bar.value) + 6).toFixed(1)}" y="${y + BAR_HEIGHT - 5}" class="value">${bar.value.toFixed(2)}${unit}</text>`);
    }
    out.push(`<line x1="${x(bar.goal).toFixed(1)}" y1="${y - 2}" x2="${x(bar.goal).toFixed(1)}" y2="${y + BAR_HEIGHT + 2}" class="goal"/>`);
    if (bar.floor !== undefined) {
      const at = x(bar.floor).toFixed(1);
      out.push(`<polygon points="${at},${y + BAR_HEIGHT + 3} ${(x(bar.floor) - 4).toFixed(1)},${y + BAR_HEIGHT + 8} ${(x(bar.floor) + 4).toFixed(1)},${y + BAR_HEIGHT + 8}" class="floor"/>`);
    }
  });
  return { svg: out, height: 26 + plotHeight + 24 };
}

/** The SVG of one run's ratios, each bar green when it meets its goal (the dark tick), red when not. */
export function renderChart(results: BenchResults): string {
  const rows = results.http;
  const memory = memoryBars(rows);
  const peers = peerBars(rows);
  const parts: string[] = [];
  let top = 10;
  if (memory.length > 0) {
    const p = panel("Memory store: share of a bare Express route answering the same bytes", "", memory, top, 1);
    parts.push(...p.svg);
    top += p.height + PANEL_GAP;
  }
  if (peers.length > 0) {
    const highest = Math.max(2, ...peers.map((b) => b.range?.[1] ?? b.value ?? 0));
    const p = panel("Redis: req/s against express-session + connect-redis on the same Redis", "×", peers, top, Math.ceil(highest * 2) / 2);
    parts.push(...p.svg);
    top += p.height + PANEL_GAP;
  }
  const footer = `${results.machine.cpuModel}, ${results.machine.cores} cores, Node ${results.machine.node}, load ${results.machine.loadAverage[0].toFixed(2)} at start; ${results.machine.date}`;
  parts.push(`<text x="10" y="${top}" class="note">${escapeXml(footer)}. Tick: goal. Whisker: lowest and highest round. Triangle: the hand-written floor.</text>`);
  const height = top + 14;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    "<style>.title{font-weight:600;font-size:13px}.label{text-anchor:end}.axis{fill:#555;font-size:10px;text-anchor:middle}.note{fill:#555;font-size:10px}.value{fill:#222}.grid{stroke:#ddd}.pass{fill:#4c9a5a}.fail{fill:#c8553d}.whisker{stroke:#222;stroke-width:1.5}.goal{stroke:#111;stroke-width:2.5}.floor{fill:#2a5d9f}</style>",
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    ...parts,
    "</svg>",
    "",
  ].join("\n");
}
