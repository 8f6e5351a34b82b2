/**
 * The embedded default: local stack (unless KAFKA_BROKERS points elsewhere), topology, the fused
 * pipeline (ingest → features → inference → scoring in one process, in-memory feature store), a
 * simulator publishing transactions, late labels and posts, and a monitor of what comes out.
 */

import { describeServing } from "../consumers/inference/index.ts";
import { createStageRunner, fuse, type StageRunner } from "../consumers/runtime/index.ts";
import { stackDown, stackUp } from "../infra/local/index.ts";
import { connectionsFromEnv, usesExternalCluster } from "../lib/config/index.ts";
import type { Logger } from "../lib/log/index.ts";
import {
  createObservability,
  findInferenceStage,
  type HttpOptions,
  type Observability,
} from "../observability/index.ts";
import type { ConfigStatus } from "../observability/metrics/config-gauges.ts";
import {
  interleave,
  type Publishable,
  postSource,
  publishStream,
  transactionSource,
} from "../producers/publish/index.ts";
import { createProducer, type VerdictProducer } from "../producers/sdk/index.ts";
import { applyTopology, TOPIC_PREFIX, TOPICS } from "../topology/index.ts";
import type { StageConfig } from "./config-file.ts";
import { type AppDeps, createDeps, ensureKafkaReachable, withAdmin } from "./deps.ts";
import { PipelineMonitor } from "./monitor.ts";
import { buildStage, PIPELINE, StageContext } from "./stages.ts";

/**
 * Partitions the fused pipeline processes at once: all 18 of its input partitions (3 topics × 6).
 * Fewer splits each fetch round into waves that each wait a micro-batch and a produce round trip
 * (BENCHMARKS.md: 6 → 18 cut p50 input age 16-18 → 12 ms at the same throughput).
 */
export const EMBEDDED_PARTITIONS_CONCURRENCY = 18;

const DAY = 86_400_000;

export interface EmbeddedOptions {
  /** Start the local stack when no KAFKA_BROKERS is set. Default true. */
  stack: boolean;
  /** Stop the stack on exit if this run started it. Default true. */
  stopStack: boolean;
  /** Publish simulated transactions, labels and posts. Default true (false: only consume what arrives). */
  simulate?: boolean;
  /** Simulated events per second (transactions + labels + posts). */
  rate: number;
  delivery: "at-least-once" | "exactly-once";
  seed: number;
  /** Print stack progress lines. */
  print: (line: string) => void;
  logger: Logger;
  /** Observability HTTP endpoint (/metrics, /dashboard...). Default VERDICT_HTTP_HOST/PORT; false = none. */
  http?: HttpOptions | false;
  /**
   * Also publish each fused stage's output (ingested, features, scored records) to its topic, for
   * audit and for split consumers that read them. Default false: they stay in the process.
   */
  auditTopics?: boolean;
  /** Scoring policy and inference settings (a configuration file's, app/config-file.ts). Default: none. */
  config?: StageConfig;
  /** The file `config` came from: followed while the pipeline runs (StageContext.watchConfig). */
  configFile?: string;
}

export interface EmbeddedRun {
  deps: AppDeps;
  monitor: PipelineMonitor;
  runner: StageRunner;
  /** Metrics, health, drift, dashboard of this process. */
  observability: Observability;
  /** Events published so far (transactions, labels, posts). */
  published(): number;
  /** Of those, fraud labels: they feed features and make no verdict of their own. */
  labelsPublished(): number;
  /** Resolves when the simulator has published everything (or was stopped). */
  simulatorDone: Promise<number>;
  /** Rejects if the pipeline dies. */
  done: Promise<void>;
  /** The configuration file followed (none without one), the deciding policy version, the last change. */
  config(): ConfigStatus;
  stop(): Promise<void>;
}

export async function startEmbedded(options: EmbeddedOptions): Promise<EmbeddedRun> {
  let startedStack = false;
  if (options.stack && !usesExternalCluster()) {
    options.print("starting the local stack (Kafka KRaft, Apicurio Registry, Redis)...");
    const up = await stackUp({ print: options.print });
    startedStack = up.started.length > 0;
    process.env.KAFKA_BROKERS ??= up.brokers.join(",");
    process.env.SCHEMA_REGISTRY_URL ??= up.registryUrl;
    process.env.REDIS_URL ??= up.redisUrl;
  }
  const connections = connectionsFromEnv();
  await ensureKafkaReachable(
    connections.kafka,
    usesExternalCluster()
      ? "KAFKA_BROKERS names a cluster that does not answer: check it, or unset KAFKA_BROKERS to use the local stack."
      : "Start the local stack (npm run stack:up), or run without --no-stack to have it started.",
  );
  const deps = createDeps(connections, options.logger, "verdict-embedded");
  const report = await withAdmin(deps.kafka, (admin) =>
    applyTopology({ admin, registry: deps.registry, logger: options.logger }),
  );
  options.print(`topology: ${report.created.length} topic(s) created, ${report.existing.length} existing`);

  const shared = new StageContext(deps, {
    state: "memory",
    policy: options.config?.scoring,
    inference: options.config?.inference,
  });
  if (options.configFile) shared.watchConfig(options.configFile);
  const observability = createObservability(deps, {
    name: "embedded",
    config: () => shared.configStatus(),
    http: options.http,
    webhooks: true,
    logger: options.logger,
  });
  const stages = PIPELINE.map((name) => buildStage(name, shared));
  const stage = fuse(observability.instrument(stages), {
    name: "embedded",
    concurrency: "per-key",
    emitIntermediate: options.auditTopics === true,
  });
  const runner = createStageRunner(
    stage,
    {
      kafka: deps.kafka,
      codec: deps.codec,
      logger: options.logger,
      instrumentation: observability.instrumentation,
    },
    {
      delivery: options.delivery,
      partitionsConsumedConcurrently: EMBEDDED_PARTITIONS_CONCURRENCY,
      groupId: `${TOPIC_PREFIX}verdict.embedded`,
    },
  );
  const monitor = new PipelineMonitor(deps.kafka, deps.codec);
  observability.track(runner, stage);
  await monitor.start();
  await runner.start();
  await observability.start();
  const url = observability.server?.url();
  const inference = findInferenceStage(stages);
  if (inference) options.print(`models: ${describeServing(inference.status())}`);
  if (url) options.print(`dashboard: ${url}/dashboard   metrics: ${url}/metrics`);

  const producer: VerdictProducer = await createProducer({
    kafka: deps.kafka,
    registry: deps.registry,
    clientId: "verdict-simulator",
  });
  const abort = new AbortController();
  // 60 simulated days of 2,000 cards, moved forward by whole weeks to end in the past week (ingestion
  // refuses future times; whole weeks keep weekday and time-of-day features as simulated).
  const days = 60;
  const WEEK = 7 * DAY;
  const offsetMs = Math.floor((Date.now() - (Date.UTC(2018, 3, 1) + days * DAY)) / WEEK) * WEEK;
  const postCount = 50_000;
  const postOffset = Date.now() - (Date.UTC(2018, 3, 1) + postCount * 1000 * 1.5);
  let published = 0;
  let labels = 0;
  const simulatorDone =
    options.simulate === false
      ? Promise.resolve(0)
      : publishStream(
          producer,
          countLabels(
            interleave(
              transactionSource(
                { days, customers: 2000, terminals: 4000, seed: options.seed },
                { offsetMs, signal: abort.signal },
              ),
              postSource(
                { count: postCount, seed: options.seed },
                { offsetMs: postOffset, signal: abort.signal },
              ),
            ),
            () => labels++,
          ),
          { rate: options.rate, signal: abort.signal, onProgress: (n) => (published = n) },
        );

  return {
    deps,
    monitor,
    runner,
    observability,
    published: () => published,
    labelsPublished: () => labels,
    simulatorDone,
    done: runner.done,
    config: () => shared.configStatus(),
    async stop() {
      abort.abort();
      await simulatorDone.catch(() => 0);
      await producer.close().catch(() => {});
      await runner.stop();
      await observability.stop().catch(() => {});
      await monitor.stop().catch(() => {});
      await shared.close();
      await deps.close();
      if (startedStack && options.stopStack) {
        options.print("stopping the local stack...");
        await stackDown({ print: options.print });
      }
    },
  };
}

/** Passes `source` through, calling `onLabel` for each fraud label in it. */
async function* countLabels(
  source: AsyncIterable<Publishable>,
  onLabel: () => void,
): AsyncGenerator<Publishable> {
  for await (const p of source) {
    if (p.topic.name === TOPICS.fraudLabelReported.name) onLabel();
    yield p;
  }
}
