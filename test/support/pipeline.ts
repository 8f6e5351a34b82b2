/**
 * Pipeline test support: a per-file topic namespace (set VERDICT_TOPIC_PREFIX in vi.hoisted before
 * importing topology), topology bootstrap for it, stage runners on the real stack, and readers
 * that decode what came out.
 */
import { ConfigResourceTypes, type Kafka } from "kafkajs";
import { afterAll, beforeAll } from "vitest";
import type { AppDeps } from "../../app/deps.ts";
import { readAll } from "../../consumers/dlq/index.ts";
import {
  createStageRunner,
  input,
  type RunnerSettingsInput,
  type Stage,
  type StageRunner,
} from "../../consumers/runtime/index.ts";
import { fromKafkaHeaders } from "../../lib/trace/index.ts";
import { createProducer } from "../../producers/sdk/index.ts";
import type { SchemaName, SchemaTypes, TransactionCreated } from "../../schemas/generated/types.ts";
import {
  allTopics,
  applyTopology,
  TOPIC_PREFIX,
  TOPICS,
  type TopicDescriptor,
} from "../../topology/index.ts";
import { testConnections } from "./app.ts";

/** Per-topic changes to the declared topology for one test file, by topic name. */
export type TopicOverrides = Record<string, Partial<Omit<TopicDescriptor, "name">>>;

/**
 * Creates the file's prefixed topology. `overrides` apply at creation, so they are in effect from
 * the first record: a config altered later (alterConfigs) reaches the broker's logs a few ms after
 * the call returns, and a record produced in between is judged by the old config.
 */
export async function applyTestTopology(deps: AppDeps, overrides: TopicOverrides = {}): Promise<void> {
  if (!TOPIC_PREFIX) throw new Error("set VERDICT_TOPIC_PREFIX in vi.hoisted() before importing topology");
  const admin = deps.kafka.admin();
  await admin.connect();
  try {
    const topics = allTopics().map((t) => ({ ...t, ...overrides[t.name] }));
    await applyTopology({ admin, registry: deps.registry, topics });
  } finally {
    await admin.disconnect();
  }
}

export async function deleteTestTopology(kafka: Kafka): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: allTopics().map((t) => t.name) }).catch(() => {});
  await admin.disconnect();
}

export function runner(stage: Stage, deps: AppDeps, settings: RunnerSettingsInput = {}): StageRunner {
  return createStageRunner(
    stage,
    { kafka: deps.kafka, codec: deps.codec, logger: deps.logger },
    { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1000, ...settings },
  );
}

export interface Decoded<S extends SchemaName> {
  partition: number;
  offset: string;
  key: string | null;
  value: SchemaTypes[S];
  headers: ReturnType<typeof fromKafkaHeaders>;
}

/** Everything currently on `topic`, decoded, in partition/offset order. */
export async function readDecoded<S extends SchemaName>(
  deps: AppDeps,
  topic: TopicDescriptor<S>,
): Promise<Decoded<S>[]> {
  const out: Decoded<S>[] = [];
  await readAll(deps.kafka, topic.name, async (partition, message) => {
    const { value } = await deps.codec.decode(topic, message.value);
    out.push({
      partition,
      offset: message.offset,
      key: message.key?.toString() ?? null,
      value,
      headers: fromKafkaHeaders(message.headers),
    });
  });
  return out.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
}

/** Polls until `topic` holds at least `n` records (sum of partition high-watermarks) or times out. */
export async function waitForCount(
  kafka: Kafka,
  topic: string,
  n: number,
  timeoutMs = 60_000,
): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      // Right after topic creation a busy broker may not know the leaders yet: keep polling.
      const offsets = await admin.fetchTopicOffsets(topic).catch(() => undefined);
      const count = offsets?.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0) ?? 0;
      if ((offsets && count >= n) || Date.now() > deadline) return count;
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await admin.disconnect();
  }
}

export interface PipelineSuite {
  deps: AppDeps;
  /** A stage runner on the real stack, stopped after the file's tests. */
  runner(stage: Stage, settings?: RunnerSettingsInput): StageRunner;
  /** Something else to close after the file's tests (stores, stage contexts...). */
  onClose(close: () => Promise<unknown>): void;
}

/**
 * The common frame of a pipeline test file: the prefixed topology created before the tests, and
 * after them every runner stopped, everything registered closed, the topics deleted. `overrides`
 * change declared topics at creation (see applyTestTopology).
 */
export function pipelineSuite(deps: AppDeps, overrides: TopicOverrides = {}): PipelineSuite {
  const runners: StageRunner[] = [];
  const closers: (() => Promise<unknown>)[] = [];
  beforeAll(() => applyTestTopology(deps, overrides));
  afterAll(async () => {
    for (const r of runners) await r.stop();
    for (const close of closers) await close();
    await deleteTestTopology(deps.kafka);
    await deps.close();
  });
  return {
    deps,
    runner(stage, settings) {
      const r = runner(stage, deps, settings);
      runners.push(r);
      return r;
    },
    onClose: (close) => closers.push(close),
  };
}

/**
 * Publishes `count` transactions `<prefix>-0…` (event and transaction ids alike, amount 10 + i, an
 * occurredAt a minute ago) through the producer SDK; `keyOf(i)` is the customer id, so the key.
 */
export async function publishTransactions(
  prefix: string,
  count: number,
  keyOf: (i: number) => string,
): Promise<TransactionCreated[]> {
  const events: TransactionCreated[] = Array.from({ length: count }, (_, i) => ({
    eventId: `${prefix}-${i}`,
    transactionId: `${prefix}-${i}`,
    customerId: keyOf(i),
    terminalId: "t-1",
    amount: 10 + i,
    currency: "EUR",
    occurredAt: Date.now() - 60_000,
  }));
  const producer = await createProducer({ connections: testConnections(), clientId: `${prefix}-test` });
  try {
    await producer.publishMany(
      TOPICS.transactionCreated,
      events.map((event) => ({ event })),
    );
  } finally {
    await producer.close();
  }
  return events;
}

/**
 * The sequence numbers (the n of `<prefix>-<n>` event ids, as publishTransactions names them) of one
 * key's outputs, first occurrences only, in output order: at-least-once repeats after a re-read or a
 * rebalance come later and are skipped, so per-key order holds when this is ascending.
 */
export function firstOccurrences(
  outputs: { key: string | null; value: { eventId: string } }[],
  key: string,
): number[] {
  const seen: number[] = [];
  for (const o of outputs) {
    if (o.key !== key) continue;
    const n = Number(o.value.eventId.slice(o.value.eventId.lastIndexOf("-") + 1));
    if (!seen.includes(n)) seen.push(n);
  }
  return seen;
}

/** Sets a topic's max.message.bytes: the broker then refuses larger records for good (MESSAGE_TOO_LARGE). */
export async function setMaxMessageBytes(deps: AppDeps, topic: string, bytes: number): Promise<void> {
  const admin = deps.kafka.admin();
  await admin.connect();
  try {
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: topic,
          configEntries: [{ name: "max.message.bytes", value: String(bytes) }],
        },
      ],
    });
  } finally {
    await admin.disconnect();
  }
}

/**
 * The refused-output scenario: transactionIngested accepts at most 64 KiB per record (pass
 * REFUSED_OUTPUT_TOPOLOGY to pipelineSuite), and 200 transactions over four keys are published
 * (event ids `<prefix>-0` …).
 */
export const REFUSED_OUTPUT_TOPOLOGY: TopicOverrides = {
  [TOPICS.transactionIngested.name]: { maxMessageBytes: 65_536 },
};

export async function refusedOutputScenario(prefix: string) {
  const out = TOPICS.transactionIngested;
  const keys = ["k-a", "k-b", "k-c", "k-d"];
  const events = await publishTransactions(prefix, 200, (i) => keys[i % keys.length]!);
  return { out, keys, events };
}

/**
 * A per-key stage copying transactions to transactionIngested, where the output of `bigEventId` is
 * ~100 KB (refused while the topic's max.message.bytes is 64 KiB); `attempts()` counts its runs.
 */
export function oversizedOutputStage(name: string, bigEventId: string): { stage: Stage; attempts(): number } {
  let attempts = 0;
  const stage: Stage = {
    name,
    concurrency: "per-key",
    inputs: [
      input(TOPICS.transactionCreated, (tx) => {
        const big = tx.eventId === bigEventId;
        if (big) attempts++;
        return [
          {
            topic: TOPICS.transactionIngested,
            value: {
              ...tx,
              transactionId: big ? `${tx.transactionId}-${"x".repeat(100_000)}` : tx.transactionId,
              ingestedAt: Date.now(),
            },
          },
        ];
      }),
    ],
  };
  return { stage, attempts: () => attempts };
}
