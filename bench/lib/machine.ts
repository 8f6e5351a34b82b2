/** How busy the (shared) machine is, from /proc/stat: benchmarks record it and wait for quiet. */
import { readFileSync } from "node:fs";
import { cpus } from "node:os";

export interface CpuSnapshot {
  busy: number;
  total: number;
  at: number;
}

export function cpuSnapshot(): CpuSnapshot | undefined {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n")[0]!;
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (f[3] ?? 0) + (f[4] ?? 0); // idle + iowait
    const total = f.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total, at: Date.now() };
  } catch {
    return undefined; // not Linux
  }
}

/** Cores busy (all processes) between two snapshots. */
export function busyCores(a: CpuSnapshot | undefined, b: CpuSnapshot | undefined): number {
  if (!a || !b || b.total === a.total) return Number.NaN;
  return ((b.busy - a.busy) / (b.total - a.total)) * cpus().length;
}

/**
 * Waits until the other tenants leave at least `minIdleCores` idle (sampled over 3 s), at most
 * `maxWaitS`; returns the busy cores last seen. The 2-core machine is shared: this keeps a
 * contender from starting in the middle of someone else's test burst, without ever blocking long.
 */
export async function waitForQuiet(
  maxBusyCores: number,
  maxWaitS: number,
  log: (l: string) => void,
): Promise<number> {
  const deadline = Date.now() + maxWaitS * 1000;
  let busy = Number.NaN;
  let logged = false;
  for (;;) {
    const a = cpuSnapshot();
    await new Promise((r) => setTimeout(r, 3000));
    busy = busyCores(a, cpuSnapshot());
    if (!(busy > maxBusyCores) || Date.now() >= deadline) return busy;
    if (!logged) {
      log(
        `  machine busy (${busy.toFixed(2)} of ${cpus().length} cores in use): waiting up to ${maxWaitS} s for quiet...`,
      );
      logged = true;
    }
  }
}
