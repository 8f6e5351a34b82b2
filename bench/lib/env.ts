/**
 * What a benchmark process needs from the app: ports for the local stack (or KAFKA_BROKERS etc.),
 * the topics it uses under its own VERDICT_TOPIC_PREFIX, the deterministic dataset, and cleanup.
 * Import only in a process whose VERDICT_TOPIC_PREFIX is already set (topology reads it at import).
 */
import { pino } from "pino";
import { type AppDeps, createDeps, withAdmin } from "../../app/deps.ts";
import { connectionsFromEnv } from "../../lib/config/index.ts";
import type { Logger } from "../../lib/log/index.ts";
import { interleave, postSource, publishStream, transactionSource } from "../../producers/publish/index.ts";
import { createProducer } from "../../producers/sdk/index.ts";
import { applyTopology, TOPIC_PREFIX, TOPICS, type TopicDescriptor } from "../../topology/index.ts";

const DAY = 86_400_000;

/** Logs to stderr (stdout carries results), warnings and errors only unless LOG_LEVEL says otherwise. */
export function benchLogger(): Logger {
  return pino({ level: process.env.LOG_LEVEL ?? "warn", base: { pid: process.pid } }, pino.destination(2));
}

export function requirePrefix(): string {
  if (!TOPIC_PREFIX.startsWith("bench")) {
    throw new Error(
      `benchmark processes run under their own topic namespace: VERDICT_TOPIC_PREFIX must start with "bench" (got "${TOPIC_PREFIX}")`,
    );
  }
  return TOPIC_PREFIX;
}

export function benchDeps(clientId: string): AppDeps {
  return createDeps(connectionsFromEnv(), benchLogger(), clientId);
}

/** Every topic the pipeline touches (no webhooks), under this process's prefix. */
export function pipelineTopics(): TopicDescriptor[] {
  return [
    TOPICS.transactionCreated,
    TOPICS.postSubmitted,
    TOPICS.fraudLabelReported,
    TOPICS.transactionIngested,
    TOPICS.postIngested,
    TOPICS.transactionFeatures,
    TOPICS.postFeatures,
    TOPICS.transactionScored,
    TOPICS.postScored,
    TOPICS.shadowScored,
    TOPICS.fraudVerdicts,
    TOPICS.moderationVerdicts,
    TOPICS.reviewRequests,
    TOPICS.ingestDlq,
    TOPICS.featuresDlq,
    TOPICS.inferenceDlq,
    TOPICS.scoringDlq,
  ];
}

/** The raw passthrough's output topic: same partition count as the inputs. */
export function passthroughTopic(): string {
  return `${TOPIC_PREFIX}bench.passthrough.v1`;
}

export async function createBenchTopics(deps: AppDeps): Promise<void> {
  // A busy shared broker sometimes answers metadata for brand-new topics before their leaders are
  // up: retry the (idempotent) apply a few times.
  for (let attempt = 1; ; attempt++) {
    try {
      await applyBenchTopics(deps);
      return;
    } catch (err) {
      if (attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 1000 * attempt));
    }
  }
}

async function applyBenchTopics(deps: AppDeps): Promise<void> {
  await withAdmin(deps.kafka, async (admin) => {
    await applyTopology({ admin, registry: deps.registry, topics: pipelineTopics() });
    const existing = new Set(await admin.listTopics());
    if (!existing.has(passthroughTopic())) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic: passthroughTopic(), numPartitions: TOPICS.transactionCreated.partitions }],
      });
    }
  });
}

/** Deletes this prefix's topics and Redis keys (benchmarks leave nothing behind). */
export async function cleanupBench(deps: AppDeps, redis: boolean): Promise<void> {
  await withAdmin(deps.kafka, (admin) =>
    admin.deleteTopics({ topics: [...pipelineTopics().map((t) => t.name), passthroughTopic()] }),
  ).catch(() => {});
  if (!redis) return;
  const client = deps.redis();
  let cursor = "0";
  do {
    const [next, keys] = await client.scan(cursor, "MATCH", `${TOPIC_PREFIX}*`, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) await client.unlink(...keys);
  } while (cursor !== "0");
}

export interface DatasetOptions {
  /** Simulated card holders (≈1.9 transactions per customer per day, one label per transaction). */
  customers: number;
  days: number;
  posts: number;
  seed: number;
}

export interface DatasetCounts {
  transactions: number;
  labels: number;
  posts: number;
  total: number;
  publishMs: number;
}

export const DEFAULT_DATASET: DatasetOptions = { customers: 1000, days: 10, posts: 10_000, seed: 7 };

/**
 * Publishes the deterministic dataset (transactions + their labels + posts, interleaved, rebased to
 * end now) through the producer SDK, as fast as the broker takes it. Same seed = same events, keys
 * and so partitions in every namespace.
 */
export async function publishDataset(
  deps: AppDeps,
  options: DatasetOptions,
  signal?: AbortSignal,
): Promise<DatasetCounts> {
  const producer = await createProducer({
    kafka: deps.kafka,
    registry: deps.registry,
    clientId: "bench-data",
  });
  const counts = { transactions: 0, labels: 0, posts: 0 };
  // Rebased so that the last label (7 days after its transaction) is a day old: nothing in the future.
  const txOffset = Date.now() - (Date.UTC(2018, 3, 1) + (options.days + 8) * DAY);
  const postOffset = Date.now() - (Date.UTC(2018, 3, 1) + options.posts * 1000 * 1.5) - DAY;
  async function* counted() {
    for await (const item of interleave(
      transactionSource(
        {
          days: options.days,
          customers: options.customers,
          terminals: options.customers * 2,
          seed: options.seed,
        },
        { withLabels: true, offsetMs: txOffset, signal },
      ),
      postSource({ count: options.posts, seed: options.seed }, { offsetMs: postOffset, signal }),
    )) {
      if (item.topic.name === TOPICS.transactionCreated.name) counts.transactions++;
      else if (item.topic.name === TOPICS.fraudLabelReported.name) counts.labels++;
      else counts.posts++;
      yield item;
    }
  }
  const started = Date.now();
  try {
    const total = await publishStream(producer, counted(), { signal });
    return { ...counts, total, publishMs: Date.now() - started };
  } finally {
    await producer.close();
  }
}
