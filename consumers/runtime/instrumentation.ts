/**
 * Typed, namespaced runner events. Metrics and dashboards subscribe here; a listener that throws is
 * ignored, so instrumentation can never crash the pipeline.
 */
import type { EventHeaders } from "../../lib/trace/index.ts";

export type RunnerEvent =
  | {
      type: "chunk";
      stage: string;
      topic: string;
      partition: number;
      records: number;
      outputs: number;
      deadLetters: number;
      durationMs: number;
    }
  | {
      type: "dead-letter";
      stage: string;
      topic: string;
      code: string;
      /** The fused stage that failed (FusedStageError), else `stage`. */
      failedStage?: string;
      /** Where the letter went; undefined when skipped (no DLQ or policy "skip"). */
      dlq?: string;
    }
  | { type: "retry"; stage: string; topic: string; attempt: number; code: string }
  | {
      /** One input record, after its outputs were acknowledged (and its offset resolved). */
      type: "record";
      stage: string;
      topic: string;
      partition: number;
      offset: string;
      /** The input record's standard headers (correlation id, traceparent, event id...). */
      headers: Partial<EventHeaders>;
      outcome: "ok" | "dead-letter";
      /** Processing clock when the record's chunk started, and when its outputs were acknowledged. */
      startedAt: number;
      ackedAt: number;
      /** Broker timestamp of the input record, and of the pipeline's first input (origin-timestamp). */
      timestamp: number;
      originTimestamp: number;
      /** Topic and traceparent of each output. */
      outputs: { topic: string; traceparent?: string }[];
    }
  | {
      /** One fetched batch: how far this partition's last fetched offset is behind its high watermark. */
      type: "batch";
      stage: string;
      topic: string;
      partition: number;
      records: number;
      offsetLag: number;
    }
  | {
      /** Consumer group membership of a runner (readiness: joined). */
      type: "group";
      stage: string;
      groupId: string;
      state: "joined" | "rebalancing" | "stopped" | "crashed";
      partitions?: number;
    };

export interface Instrumentation {
  on(event: RunnerEvent): void;
  /**
   * Whether this listener wants the per-record "record" events (default true). A listener that
   * only counts chunks says false, and the runner then builds no per-record event objects.
   */
  readonly records?: boolean;
}

/** True when `instrumentation` wants per-record events. */
export function wantsRecords(instrumentation: Instrumentation | undefined): boolean {
  return instrumentation !== undefined && instrumentation.records !== false;
}

export function emit(instrumentation: Instrumentation | undefined, event: RunnerEvent): void {
  if (!instrumentation) return;
  try {
    instrumentation.on(event);
  } catch {
    // a listener can never crash the pipeline
  }
}

/** Fans one event out to several listeners. */
export function combine(...listeners: (Instrumentation | undefined)[]): Instrumentation {
  return {
    records: listeners.some(wantsRecords),
    on: (e) => {
      for (const l of listeners) emit(l, e);
    },
  };
}
