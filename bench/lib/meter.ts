/**
 * Measures a contender from the inside: every processed chunk reports (stage, records, outputs) and
 * its start/end times. Throughput = input records / (end of the last chunk − start of the first
 * chunk): group join, metadata and model loading before the first fetched batch are excluded, and so
 * is the time the completion poll takes to notice the end.
 */
import type { Instrumentation, RunnerEvent } from "../../consumers/runtime/index.ts";

export interface StageCount {
  records: number;
  outputs: number;
  deadLetters: number;
  chunks: number;
  firstStart: number;
  lastEnd: number;
}

export class Meter implements Instrumentation {
  readonly stages = new Map<string, StageCount>();
  /** Chunks are all it counts: the runner skips per-record events. */
  readonly records = false;

  on(event: RunnerEvent): void {
    if (event.type !== "chunk") return;
    this.record(event.stage, event.records, event.outputs, event.deadLetters, event.durationMs);
  }

  /** For code that is not a stage runner (the raw passthrough). */
  record(stage: string, records: number, outputs: number, deadLetters: number, durationMs: number): void {
    const end = performance.timeOrigin + performance.now();
    let s = this.stages.get(stage);
    if (!s) {
      s = { records: 0, outputs: 0, deadLetters: 0, chunks: 0, firstStart: end - durationMs, lastEnd: end };
      this.stages.set(stage, s);
    }
    s.records += records;
    s.outputs += outputs;
    s.deadLetters += deadLetters;
    s.chunks++;
    s.firstStart = Math.min(s.firstStart, end - durationMs);
    s.lastEnd = Math.max(s.lastEnd, end);
  }

  count(stage: string): number {
    return this.stages.get(stage)?.records ?? 0;
  }

  /** Resolves when every stage consumed at least its expected records; rejects on timeout. */
  async waitFor(expected: Record<string, number>, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (Object.entries(expected).every(([stage, n]) => this.count(stage) >= n)) return;
      signal?.throwIfAborted();
      if (Date.now() > deadline) {
        const seen = Object.entries(expected).map(([s, n]) => `${s} ${this.count(s)}/${n}`);
        throw new Error(`timed out after ${timeoutMs} ms: ${seen.join(", ")}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  window(): { start: number; end: number } {
    const all = [...this.stages.values()];
    return { start: Math.min(...all.map((s) => s.firstStart)), end: Math.max(...all.map((s) => s.lastEnd)) };
  }

  deadLetters(): number {
    return [...this.stages.values()].reduce((n, s) => n + s.deadLetters, 0);
  }
}
