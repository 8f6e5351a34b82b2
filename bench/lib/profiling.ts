/**
 * The V8 samplers the benchmarks can turn on for their measured phase only (setup, publishing the
 * dataset and loading models left out): a CPU profile (what `node --cpu-prof` writes; summarize with
 * `npx tsx bench/profile.ts --summarize f`) and a sampling heap profile (allocations by function).
 */
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";

export interface ProfileFiles {
  /** Write a CPU profile here. */
  cpu?: string;
  /** Write a sampling heap profile here. */
  heap?: string;
}

export interface Profiling {
  /** Stops the samplers and writes the files. */
  stop(): Promise<void>;
}

/** Starts the samplers asked for; none asked: a no-op. */
export async function startProfiling(files: ProfileFiles): Promise<Profiling> {
  if (!files.cpu && !files.heap) return { stop: async () => {} };
  const session = new Session();
  session.connect();
  if (files.cpu) {
    await session.post("Profiler.enable");
    await session.post("Profiler.setSamplingInterval", { interval: 1000 });
    await session.post("Profiler.start");
  }
  if (files.heap) {
    // Every allocated object sampled on average once per 16 KiB, kept even if collected since.
    await session.post("HeapProfiler.startSampling", {
      samplingInterval: 16384,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  }
  return {
    async stop() {
      if (files.heap) {
        const { profile } = await session.post("HeapProfiler.stopSampling");
        writeFileSync(files.heap, JSON.stringify(profile));
      }
      if (files.cpu) {
        const { profile } = await session.post("Profiler.stop");
        writeFileSync(files.cpu, JSON.stringify(profile));
      }
      session.disconnect();
    },
  };
}
