/**
 * The stage probe's metrics observer: records in/out/errors and handler time per logical stage,
 * plus what the outputs say about inference (provider, model version, batch size and time) and
 * scoring (decisions, review requests). Also writes one debug line per record and stage, so with
 * LOG_LEVEL=debug every stage's hop of a record is in the logs with its event, correlation and
 * trace ids (bound by the runner's per-record logger).
 */
import { errorCode, isRetriable } from "../../lib/errors/index.ts";
import type {
  FraudVerdict,
  ModerationVerdict,
  ReviewRequest,
  Scored,
} from "../../schemas/generated/types.ts";
import { TOPICS } from "../../topology/index.ts";
import type { PipelineMetrics } from "./pipeline-metrics.ts";
import type { StageObservation, StageObserver } from "./stage-probe.ts";

const SCORED = new Set([TOPICS.transactionScored.name, TOPICS.postScored.name, TOPICS.shadowScored.name]);

export function stageMetricsObserver(metrics: PipelineMetrics): StageObserver {
  return (o: StageObservation) => {
    metrics.stageIn.inc({ stage: o.stage, topic: o.topic });
    metrics.stageDuration.observe({ stage: o.stage }, o.durationMs / 1000);
    if (o.error !== undefined) {
      metrics.stageErrors.inc({
        stage: o.stage,
        code: errorCode(o.error),
        retriable: String(isRetriable(o.error)),
      });
      o.ctx.logger.debug(
        { step: o.stage, ms: round(o.durationMs), code: errorCode(o.error) },
        "stage failed",
      );
      return;
    }
    for (const out of o.outputs) {
      metrics.stageOut.inc({ stage: o.stage, topic: out.topic.name });
      const name = out.topic.name;
      if (SCORED.has(name)) inference(metrics, out.value as Scored, name === TOPICS.shadowScored.name);
      else if (name === TOPICS.fraudVerdicts.name) decision(metrics, "fraud", out.value as FraudVerdict);
      else if (name === TOPICS.moderationVerdicts.name)
        decision(metrics, "moderation", out.value as ModerationVerdict);
      else if (name === TOPICS.reviewRequests.name) {
        const domain = (out.value as ReviewRequest).domain === "FRAUD" ? "fraud" : "moderation";
        metrics.reviewRequests.inc({ domain });
      }
    }
    o.ctx.logger.debug(
      { step: o.stage, ms: round(o.durationMs), outputs: o.outputs.length },
      "stage processed record",
    );
  };
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

function inference(metrics: PipelineMetrics, s: Scored, shadow: boolean): void {
  const domain = s.domain === "FRAUD" ? "fraud" : "moderation";
  metrics.inferenceRows.inc({
    domain,
    model: s.model.name,
    version: s.model.version,
    provider: s.model.provider,
    role: shadow ? "shadow" : "primary",
  });
  if (shadow) return;
  const t = s.timings;
  if (t.inference_batch_size !== undefined)
    metrics.inferenceBatchSize.observe({ domain }, t.inference_batch_size);
  if (t.inference_run_ms !== undefined) metrics.inferenceRun.observe({ domain }, t.inference_run_ms / 1000);
  if (t.inference_queue_ms !== undefined)
    metrics.inferenceQueue.observe({ domain }, t.inference_queue_ms / 1000);
}

function decision(metrics: PipelineMetrics, domain: string, v: FraudVerdict | ModerationVerdict): void {
  metrics.decisions.inc({ domain, decision: v.decision });
}
