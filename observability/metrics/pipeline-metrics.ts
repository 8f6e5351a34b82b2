/**
 * Every Prometheus metric a Verdict process exports, created on a registry the composition root
 * owns (no prom-client global: two pipelines in one test process never share counters). Names and
 * labels are listed in observability/README.md; keep the two in step.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** Seconds: sub-millisecond stage work up to minutes of backlog. */
const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300,
];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

export type PipelineMetrics = ReturnType<typeof createPipelineMetrics>;

export interface MetricsRegistryOptions {
  /** Label put on every series (e.g. `{ process: "embedded" }`). */
  defaultLabels?: Record<string, string>;
  /** Node process metrics (CPU, memory, event loop lag, GC). Default true. */
  processMetrics?: boolean;
}

/** A fresh registry for one process (the composition root creates it and passes it down). */
export function createMetricsRegistry(options: MetricsRegistryOptions = {}): Registry {
  const registry = new Registry();
  if (options.defaultLabels) registry.setDefaultLabels(options.defaultLabels);
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });
  return registry;
}

export function createPipelineMetrics(registry: Registry) {
  const registers = [registry];
  return {
    registry,
    // Runner (one per consumer group: a split stage, or the fused chain).
    runnerRecords: new Counter({
      name: "verdict_runner_records_total",
      help: "Input records a stage runner processed (committed or dead-lettered), by runner stage and input topic",
      labelNames: ["stage", "topic"] as const,
      registers,
    }),
    runnerOutputs: new Counter({
      name: "verdict_runner_outputs_total",
      help: "Records a stage runner published (dead letters excluded), by runner stage and input topic",
      labelNames: ["stage", "topic"] as const,
      registers,
    }),
    deadLetters: new Counter({
      name: "verdict_dead_letters_total",
      help: "Poison records by runner stage, failing stage, input topic, error code and DLQ topic ('' = skipped)",
      labelNames: ["stage", "failed_stage", "topic", "code", "dlq"] as const,
      registers,
    }),
    retries: new Counter({
      name: "verdict_retries_total",
      help: "Retries of retriable failures (broker, registry, Redis) by runner stage, topic and error code",
      labelNames: ["stage", "topic", "code"] as const,
      registers,
    }),
    chunkDuration: new Histogram({
      name: "verdict_runner_chunk_duration_seconds",
      help: "Time to process one chunk of a partition (decode, stage, encode, produce, commit)",
      labelNames: ["stage"] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    recordLatency: new Histogram({
      name: "verdict_record_latency_seconds",
      help: "Input record broker timestamp to its outputs acknowledged, per runner stage (queueing included)",
      labelNames: ["stage"] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    eventAge: new Histogram({
      name: "verdict_event_age_at_verdict_seconds",
      help: "End to end: pipeline's first input (origin-timestamp) to the verdict acknowledged, by result topic",
      labelNames: ["topic"] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    fetchLag: new Gauge({
      name: "verdict_consumer_fetch_lag",
      help: "Records between the last fetched batch and the partition's high watermark (from the fetch response)",
      labelNames: ["stage", "topic", "partition"] as const,
      registers,
    }),
    groupJoined: new Gauge({
      name: "verdict_consumer_group_joined",
      help: "1 while the runner is a member of its consumer group",
      labelNames: ["stage", "group"] as const,
      registers,
    }),
    assignedPartitions: new Gauge({
      name: "verdict_consumer_assigned_partitions",
      help: "Partitions assigned to this process at the last group join",
      labelNames: ["stage", "group"] as const,
      registers,
    }),
    lag: new Gauge({
      name: "verdict_consumer_lag",
      help: "Committed-offset lag per partition: high watermark minus the group's committed offset (KafkaJS admin)",
      labelNames: ["group", "topic", "partition"] as const,
      registers,
    }),
    // Logical stages (ingest, features, inference, scoring), fused or split alike.
    stageIn: new Counter({
      name: "verdict_stage_records_in_total",
      help: "Records a pipeline stage handled, by stage and input topic",
      labelNames: ["stage", "topic"] as const,
      registers,
    }),
    stageOut: new Counter({
      name: "verdict_stage_records_out_total",
      help: "Records a pipeline stage emitted, by stage and output topic",
      labelNames: ["stage", "topic"] as const,
      registers,
    }),
    stageErrors: new Counter({
      name: "verdict_stage_errors_total",
      help: "Stage handler failures by stage, error code and whether the runner retries it",
      labelNames: ["stage", "code", "retriable"] as const,
      registers,
    }),
    stageDuration: new Histogram({
      name: "verdict_stage_processing_seconds",
      help: "Stage handler time per record (inference includes its micro-batch queue wait)",
      labelNames: ["stage"] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    // Inference.
    inferenceRows: new Counter({
      name: "verdict_inference_rows_total",
      help: "Rows scored, by domain, model, version and execution provider ('rules' = decided by the cascade)",
      labelNames: ["domain", "model", "version", "provider", "role"] as const,
      registers,
    }),
    inferenceBatchSize: new Histogram({
      name: "verdict_inference_batch_size",
      help: "Rows in the session.run that scored a row (observed once per row: row-weighted)",
      labelNames: ["domain"] as const,
      buckets: BATCH_BUCKETS,
      registers,
    }),
    inferenceRun: new Histogram({
      name: "verdict_inference_run_seconds",
      help: "Duration of the session.run that scored a row (row-weighted)",
      labelNames: ["domain"] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    inferenceQueue: new Histogram({
      name: "verdict_inference_queue_seconds",
      help: "Time a row waited in the micro-batch queue",
      labelNames: ["domain"] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    // Scoring.
    decisions: new Counter({
      name: "verdict_decisions_total",
      help: "Verdicts by domain and decision",
      labelNames: ["domain", "decision"] as const,
      registers,
    }),
    reviewRequests: new Counter({
      name: "verdict_review_requests_total",
      help: "Cases sent to human review, by domain",
      labelNames: ["domain"] as const,
      registers,
    }),
    // Drift (observability/drift).
    driftPsi: new Gauge({
      name: "verdict_drift_psi",
      help: "Population stability index of the sliding window vs model.json's reference, per feature ('score' = the model's score)",
      labelNames: ["model", "version", "feature"] as const,
      registers,
    }),
    driftAlerting: new Gauge({
      name: "verdict_drift_alerting",
      help: "1 while a drift alert is firing for the feature",
      labelNames: ["model", "version", "feature"] as const,
      registers,
    }),
    driftAlerts: new Counter({
      name: "verdict_drift_alerts_total",
      help: "Drift alert events published, by status (FIRING, RESOLVED)",
      labelNames: ["model", "version", "feature", "status"] as const,
      registers,
    }),
    driftSamples: new Gauge({
      name: "verdict_drift_window_samples",
      help: "Records in the drift window of a model version",
      labelNames: ["model", "version"] as const,
      registers,
    }),
    // Webhooks, as observed from webhooks.attempts.v1 / webhooks.endpoint-events.v1 (any process).
    webhookAttempts: new Counter({
      name: "verdict_webhook_observed_attempts_total",
      help: "Webhook delivery attempts read from the attempt log, by endpoint, outcome and HTTP status",
      labelNames: ["endpoint", "outcome", "status"] as const,
      registers,
    }),
    webhookEndpointState: new Gauge({
      name: "verdict_webhook_observed_endpoint_state",
      help: "Endpoint state from endpoint events: 0 closed, 1 half-open, 2 open, 3 disabled",
      labelNames: ["endpoint"] as const,
      registers,
    }),
    build: new Gauge({
      name: "verdict_build_info",
      help: "Always 1; labels say which Verdict and Node.js run",
      labelNames: ["version", "node"] as const,
      registers,
    }),
  };
}
