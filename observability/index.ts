/**
 * Observability: Prometheus metrics, /healthz and /readyz, hop spans through OpenTelemetry, drift
 * monitoring against model.json references, webhook health, and the live dashboard. See README.md.
 */
export {
  createStatsCollector,
  quantileFromBuckets,
  type StatsCollector,
  type StatsSample,
} from "./dashboard/stats.ts";
export {
  createDriftMonitor,
  type DriftMonitor,
  type DriftReading,
  type ModelReference,
  textStatistics,
} from "./drift/monitor.ts";
export {
  type DriftOptions,
  type DriftOptionsInput,
  driftOptionsSchema,
  parseDriftOptions,
} from "./drift/options.ts";
export { binIndex, PSI_FLOOR, psi, psiOfValues } from "./drift/psi.ts";
export { driftObserver, registryReferences, topicAlertSink } from "./drift/sources.ts";
export { createHealth, type DependencyCheck, type Health, type Readiness } from "./http/health.ts";
export {
  createObservabilityServer,
  type HttpOptions,
  httpOptionsFromEnv,
  type ObservabilityServer,
} from "./http/server.ts";
export { type ConfigStatus, registerConfigGauges } from "./metrics/config-gauges.ts";
export { findInferenceStage, registerInferenceGauges } from "./metrics/inference-gauges.ts";
export {
  computeLag,
  createLagMonitor,
  fetchGroupLag,
  type LagMonitor,
  type PartitionLag,
} from "./metrics/lag.ts";
export {
  createMetricsRegistry,
  createPipelineMetrics,
  type PipelineMetrics,
} from "./metrics/pipeline-metrics.ts";
export { createRunnerListener, type GroupState, type RunnerListener } from "./metrics/runner-listener.ts";
export { stageMetricsObserver } from "./metrics/stage-metrics.ts";
export { instrumentStage, type StageObservation, type StageObserver } from "./metrics/stage-probe.ts";
export { createObservability, type Observability, type ObservabilityOptions } from "./setup.ts";
export {
  createHopTracing,
  hopTracer,
  type TracingOptions,
  tracingOptionsFromEnv,
} from "./tracing/hop-tracer.ts";
export { createWebhookObserver, type EndpointHealth, type WebhookObserver } from "./webhooks/observer.ts";
