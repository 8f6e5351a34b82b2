/**
 * Observability for one process, built by its composition root (app/embedded.ts, `verdict stage`):
 * a fresh metrics registry, the runner listener, the stage probe (metrics, drift, tracing), model
 * gauges, committed-offset lag, the drift monitor and its alert topic, webhook health read from the
 * webhook topics, and the HTTP endpoint with the dashboard. Nothing here is a module-level singleton.
 *
 *   const obs = createObservability(deps, { name: "embedded" });
 *   const stages = obs.instrument(PIPELINE.map((n) => buildStage(n, shared)));
 *   const runner = createStageRunner(fuse(stages), { ..., instrumentation: obs.instrumentation });
 *   obs.track(runner, stage); await obs.start(); ... await obs.stop();
 */
import type { AppDeps } from "../app/deps.ts";
import { servingVersions } from "../consumers/inference/index.ts";
import type { Stage, StageRunner } from "../consumers/runtime/index.ts";
import { errorMessage } from "../lib/errors/index.ts";
import type { Logger } from "../lib/log/index.ts";
import { createProducer, type VerdictProducer } from "../producers/sdk/index.ts";
import { createStatsCollector, type StatsCollector } from "./dashboard/stats.ts";
import { createDriftMonitor, type DriftMonitor } from "./drift/monitor.ts";
import { type DriftOptionsInput, parseDriftOptions } from "./drift/options.ts";
import { driftObserver, registryReferences, topicAlertSink } from "./drift/sources.ts";
import { createHealth, type DependencyCheck, type Health } from "./http/health.ts";
import { createModelAdmin } from "./http/model-admin.ts";
import {
  createObservabilityServer,
  type HttpOptions,
  httpOptionsFromEnv,
  type ModelAdmin,
  type ObservabilityServer,
} from "./http/server.ts";
import { type ConfigStatus, registerConfigGauges } from "./metrics/config-gauges.ts";
import { findInferenceStage, registerInferenceGauges } from "./metrics/inference-gauges.ts";
import { createLagMonitor, type LagMonitor, type LagTarget } from "./metrics/lag.ts";
import {
  createMetricsRegistry,
  createPipelineMetrics,
  type PipelineMetrics,
} from "./metrics/pipeline-metrics.ts";
import { createRunnerListener, type RunnerListener } from "./metrics/runner-listener.ts";
import { stageMetricsObserver } from "./metrics/stage-metrics.ts";
import { instrumentStage, type StageObserver } from "./metrics/stage-probe.ts";
import { createHopTracing, type TracingOptions, tracingOptionsFromEnv } from "./tracing/hop-tracer.ts";
import { createWebhookObserver, type WebhookObserver } from "./webhooks/observer.ts";

export interface ObservabilityOptions {
  /** What this process is ("embedded", "ingest+features"...): shown on the dashboard. */
  name: string;
  /** HTTP endpoint; false = none (metrics still collected). Default: VERDICT_HTTP_HOST/PORT. */
  http?: HttpOptions | false;
  /** Drift monitor settings (VERDICT_DRIFT_* fill the rest); only runs where inference runs. */
  drift?: DriftOptionsInput;
  /** Tracing; default VERDICT_TRACING / OTEL_EXPORTER_OTLP_ENDPOINT. */
  tracing?: TracingOptions;
  /** Read webhook health from the webhook topics. Default false. */
  webhooks?: boolean;
  /** Ping Redis for readiness (stages with Redis state). Default false. */
  redis?: boolean;
  /** Lag refresh interval, ms. Default 5000. */
  lagIntervalMs?: number;
  /** Node process metrics. Default true. */
  processMetrics?: boolean;
  /** The configuration file's reload state and the deciding policy version (StageContext.configStatus). */
  config?: () => ConfigStatus;
  logger?: Logger;
}

export interface Observability {
  readonly metrics: PipelineMetrics;
  readonly instrumentation: RunnerListener;
  readonly health: Health;
  readonly drift: DriftMonitor | undefined;
  readonly lag: LagMonitor;
  readonly stats: StatsCollector;
  readonly webhooks: WebhookObserver | undefined;
  readonly server: ObservabilityServer | undefined;
  /** Wraps stages with the probe (metrics, drift, tracing); registers the model gauges. */
  instrument<S extends Stage>(stages: S[]): S[];
  /** A runner of this process: readiness waits for its group; its lag is watched. */
  track(runner: StageRunner, stage: Stage): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createObservability(deps: AppDeps, options: ObservabilityOptions): Observability {
  const logger = (options.logger ?? deps.logger).child({ component: "observability" });
  const registry = createMetricsRegistry({ processMetrics: options.processMetrics });
  const metrics = createPipelineMetrics(registry);
  metrics.build.set({ version: process.env.npm_package_version ?? "dev", node: process.version }, 1);
  if (options.config) registerConfigGauges(registry, options.config);
  const instrumentation = createRunnerListener(metrics);
  const driftOptions = parseDriftOptions(options.drift);
  const observers: StageObserver[] = [stageMetricsObserver(metrics)];
  const hop = createHopTracing(options.tracing ?? tracingOptionsFromEnv(), logger);
  if (hop) observers.push(hop);

  let drift: DriftMonitor | undefined;
  let producer: VerdictProducer | undefined;
  const runners: { runner: StageRunner; stage: Stage }[] = [];
  const lag = createLagMonitor(
    deps.kafka,
    (): LagTarget[] =>
      runners.map(({ runner, stage }) => ({
        group: runner.groupId,
        topics: stage.inputs.map((i) => i.topic.name),
      })),
    metrics,
    { intervalMs: options.lagIntervalMs, logger },
  );
  const webhooks = options.webhooks
    ? createWebhookObserver({ kafka: deps.kafka, codec: deps.codec, metrics, logger })
    : undefined;

  const checks: DependencyCheck[] = [
    {
      name: "kafka",
      async check() {
        const admin = deps.kafka.admin();
        await admin.connect();
        try {
          await admin.describeCluster();
        } finally {
          await admin.disconnect().catch(() => {});
        }
      },
    },
    { name: "schema-registry", check: async () => void (await deps.registry.subjects()) },
  ];
  if (options.redis) checks.push({ name: "redis", check: async () => void (await deps.redis().ping()) });
  const health = createHealth({
    expected: () => runners.map((r) => r.stage.name),
    groups: () => instrumentation.groups(),
    dependencies: checks,
  });

  const stats = createStatsCollector({
    metrics,
    extra: () => ({
      process: options.name,
      lag: lag.latest(),
      drift: drift?.readings() ?? [],
      driftThreshold: driftOptions.alertThreshold,
      webhooks: webhooks?.endpoints() ?? [],
      models: modelRows(),
      config: options.config?.(),
      ready: lastReadiness,
    }),
  });
  let modelAdmin: ModelAdmin | undefined;
  let lastReadiness: unknown = { ready: false, checks: {} };
  let readinessTimer: NodeJS.Timeout | undefined;
  let inferenceStatus:
    | (() => ReturnType<NonNullable<ReturnType<typeof findInferenceStage>>["status"]>)
    | undefined;
  function modelRows() {
    // A cascade's screen shows as "screen active", "screen canary 10%", "screen shadow".
    return servingVersions(inferenceStatus?.() ?? {}).map((v) => ({
      domain: v.domain,
      model: v.model,
      version: v.version,
      provider: v.provider,
      role: `${v.slot === "screen" ? "screen " : ""}${v.role}${v.role === "canary" ? ` ${v.percent}%` : ""}`,
    }));
  }

  const server =
    options.http === false
      ? undefined
      : createObservabilityServer({
          registry,
          health,
          stats: () => stats.snapshot(),
          options: options.http ?? httpOptionsFromEnv(),
          models: () => modelAdmin,
          adminToken: process.env.VERDICT_ADMIN_TOKEN || undefined,
          logger,
        });

  return {
    metrics,
    instrumentation,
    health,
    get drift() {
      return drift;
    },
    lag,
    stats,
    webhooks,
    server,
    instrument(stages) {
      const inference = findInferenceStage(stages);
      const extra: StageObserver[] = [];
      if (inference && !inferenceStatus) {
        inferenceStatus = () => inference.status();
        modelAdmin = createModelAdmin(inference);
        registerInferenceGauges(registry, () => inference.status());
        if (driftOptions.enabled) {
          drift = createDriftMonitor({
            options: driftOptions,
            references: registryReferences(inference.registry),
            publish: async (alert) => {
              producer ??= await createProducer({
                kafka: deps.kafka,
                registry: deps.registry,
                clientId: "verdict-drift",
              });
              await topicAlertSink(producer)(alert);
            },
            metrics,
            logger,
            source: options.name,
          });
          extra.push(driftObserver(drift));
        }
      }
      return stages.map((s) => instrumentStage(s, [...observers, ...extra]));
    },
    track(runner, stage) {
      runners.push({ runner, stage });
    },
    async start() {
      drift?.start();
      stats.start();
      await lag.start();
      await webhooks
        ?.start()
        .catch((err) => logger.warn({ err: errorMessage(err) }, "webhook observer not started"));
      const refreshReadiness = () =>
        void health.ready().then(
          (r) => (lastReadiness = r),
          () => {},
        );
      refreshReadiness();
      readinessTimer = setInterval(refreshReadiness, 5000);
      readinessTimer.unref();
      if (server) {
        await server.listen();
        logger.info({ url: server.url() }, "observability: /metrics /healthz /readyz /dashboard");
      }
    },
    async stop() {
      clearInterval(readinessTimer);
      stats.stop();
      await server?.close();
      await drift?.stop();
      await lag.stop();
      await webhooks?.stop();
      await producer?.close().catch(() => {});
    },
  };
}
