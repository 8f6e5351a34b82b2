/**
 * A stage decorator: wraps each input handler of a pipeline stage, times it and tells observers
 * what went in and what came out. It sits outside the runner, so the same numbers exist for the
 * logical stages (ingest, features, inference, scoring) whether they run split, one group each, or
 * fused in one process, where the runner only sees the chain. Observers never break processing:
 * whatever one throws is dropped.
 */
import type { Stage, StageContext, StageInput, StageOutput } from "../../consumers/runtime/index.ts";

export interface StageObservation {
  /** The logical stage (ingest, features, inference, scoring). */
  stage: string;
  /** The input topic the handler consumed. */
  topic: string;
  input: unknown;
  /** Empty when the handler threw. */
  outputs: readonly StageOutput[];
  durationMs: number;
  /** What the handler threw (the runner then retries or dead-letters it). */
  error?: unknown;
  ctx: StageContext;
}

export type StageObserver = (observation: StageObservation) => void;

function tell(observers: readonly StageObserver[], o: StageObservation): void {
  for (const observe of observers) {
    try {
      observe(o);
    } catch {
      // an observer can never crash the pipeline
    }
  }
}

/** Returns the stage with every input handler observed; everything else (status(), registry...) kept. */
export function instrumentStage<S extends Stage>(stage: S, observers: readonly StageObserver[]): S {
  const inputs: StageInput[] = stage.inputs.map((input) => ({
    topic: input.topic,
    handle: async (value, ctx) => {
      const started = performance.now();
      try {
        const outputs = await input.handle(value, ctx);
        tell(observers, {
          stage: stage.name,
          topic: input.topic.name,
          input: value,
          outputs,
          durationMs: performance.now() - started,
          ctx,
        });
        return outputs;
      } catch (error) {
        tell(observers, {
          stage: stage.name,
          topic: input.topic.name,
          input: value,
          outputs: [],
          durationMs: performance.now() - started,
          error,
          ctx,
        });
        throw error;
      }
    },
  }));
  // Stages are plain objects of closures: a spread keeps InferenceStage.status(), registry, start...
  return { ...stage, inputs };
}
