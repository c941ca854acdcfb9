import { cpus, loadavg, platform, release, totalmem } from "node:os";
import type { MachineInfo } from "./report.js";

/** The machine a run happened on, recorded with every result. */
export function machineInfo(now = new Date(), loadAtStart = loadavg()[0] ?? 0): MachineInfo {
  const list = cpus();
  return {
    cpuModel: list[0]?.model.trim() ?? "unknown CPU",
    cores: list.length,
    memoryGiB: totalmem() / 1024 ** 3,
    node: process.version,
    platform: `${platform()} ${release()}`,
    date: now.toISOString(),
    loadAverage: [loadAtStart, loadavg()[0] ?? 0],
  };
}
