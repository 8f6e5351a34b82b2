/**
 * Typed, namespaced runner events. Metrics and dashboards subscribe here; a listener that throws is
 * ignored, so instrumentation can never crash the pipeline.
 */
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
  | { type: "dead-letter"; stage: string; topic: string; code: string }
  | { type: "retry"; stage: string; topic: string; attempt: number; code: string };

export interface Instrumentation {
  on(event: RunnerEvent): void;
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
    on: (e) => {
      for (const l of listeners) emit(l, e);
    },
  };
}
