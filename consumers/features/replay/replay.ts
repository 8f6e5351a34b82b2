/**
 * Offline replay: the transaction simulator's merged stream (transactions and their labels, in
 * global event-time order) through THE SAME stage handlers the runner calls online, with the
 * in-memory store. The rows are the training table: no train/serve skew by construction.
 *
 * Each transaction first goes through the ingest stage's own normalization (normalizeTransaction),
 * exactly as online: a transaction ingest would dead-letter (e.g. an amount that rounds to 0.00) gets
 * no row, as it gets no features in the stream.
 *
 * Strict event-time order makes the label watermark trivial: the simulator yields every label with
 * occurredAt ≤ t before a transaction at t (labels first on equal times), so before each transaction
 * the replay advances the single label partition's watermark past t, and every row is complete.
 */
import { UnrecoverableError } from "../../../lib/errors/index.ts";
import { silentLogger } from "../../../lib/log/index.ts";
import {
  type SimulationResult,
  simulate,
  transactionEvents,
} from "../../../producers/simulators/transactions/index.ts";
import type { TransactionCreated, TransactionIngested } from "../../../schemas/generated/types.ts";
import { TOPICS } from "../../../topology/index.ts";
import { type IngestSettings, normalizeTransaction, parseIngestSettings } from "../../ingest/index.ts";
import type { StageContext } from "../../runtime/types.ts";
import { createFraudFeatureStage, type FraudFeatureStats } from "../fraud/index.ts";
import { type FeatureStore, MemoryFeatureStore } from "../store/index.ts";
import { type ReplayOptionsInput, resolveReplayOptions } from "./options.ts";

export interface FraudFeatureRow {
  transactionId: string;
  occurredAt: number;
  customerId: string;
  terminalId: string;
  /** In FRAUD_FEATURE_NAMES order. */
  features: number[];
  /** Ground truth (TX_FRAUD) and scenario (TX_FRAUD_SCENARIO) from the simulator. */
  isFraud: boolean;
  scenario: number;
}

export interface ReplaySummary {
  transactions: number;
  /** Transactions the ingest stage would dead-letter: no row. */
  rejected: number;
  labels: number;
  frauds: number;
  stats: FraudFeatureStats;
  simulateMs: number;
  featuresMs: number;
}

export interface ReplaySource {
  /** A simulation already run (tests share one); default: simulate(options). */
  simulation?: SimulationResult;
  /** Default: a fresh MemoryFeatureStore with one label partition. */
  store?: FeatureStore;
}

const logger = silentLogger();
let ingestSettings: Readonly<IngestSettings> | undefined;

/**
 * TransactionCreated → TransactionIngested with the ingest stage's own normalization, as if ingested
 * at its event time; undefined when ingest would reject it (poison → dead-letter, never scored).
 */
export function ingestTransaction(event: TransactionCreated): TransactionIngested | undefined {
  ingestSettings ??= parseIngestSettings({});
  try {
    return normalizeTransaction(event, event.occurredAt, ingestSettings);
  } catch (error) {
    if (error instanceof UnrecoverableError) return undefined;
    throw error;
  }
}

/** A StageContext like the runner's, for calling handlers outside Kafka. */
export function replayContext(
  topic: string,
  partition: number,
  offset: number,
  timestamp: number,
): StageContext {
  return {
    stage: "features.replay",
    topic,
    partition,
    offset: String(offset),
    key: null,
    headers: {},
    timestamp,
    attempt: 1,
    logger,
    signal: new AbortController().signal,
    now: Date.now,
  };
}

/**
 * Yields one row per transaction in event-time order; returns a summary when done.
 * `for await (const row of replayFeatures({ days: 30 }))`.
 */
export async function* replayFeatures(
  options?: ReplayOptionsInput,
  source: ReplaySource = {},
): AsyncGenerator<FraudFeatureRow, ReplaySummary> {
  const resolved = resolveReplayOptions(options);
  const started = performance.now();
  const simulation =
    source.simulation ??
    simulate({
      days: resolved.days,
      customers: resolved.customers,
      terminals: resolved.terminals,
      seed: resolved.seed,
      startDate: resolved.startDate,
      labelDelayDays: resolved.labelDelayDays,
    });
  const simulateMs = performance.now() - started;
  const store = source.store ?? new MemoryFeatureStore({ labelPartitions: 1 });
  const stage = createFraudFeatureStage({ store, options: { name: "features.replay" } });
  const txCtx = replayContext(TOPICS.transactionIngested.name, 0, 0, 0);
  const labelCtx = replayContext(TOPICS.fraudLabelReported.name, 0, 0, 0);
  let transactions = 0;
  let rejected = 0;
  let labels = 0;
  let frauds = 0;
  const featuresStarted = performance.now();
  for (const item of transactionEvents(simulation, { withLabels: true })) {
    if (item.kind === "label") {
      await stage.onLabel(item.event, labelCtx);
      labels++;
      continue;
    }
    const event = ingestTransaction(item.event);
    if (!event) {
      rejected++;
      continue;
    }
    // Every label known at t has been stored (see the module comment); timestamps are integer ms.
    await store.advanceLabelWatermark(0, event.occurredAt + 1);
    const { vector } = await stage.compute(event, txCtx);
    transactions++;
    if (item.truth.isFraud) frauds++;
    yield {
      transactionId: event.transactionId,
      occurredAt: event.occurredAt,
      customerId: event.customerId,
      terminalId: event.terminalId,
      features: vector,
      isFraud: item.truth.isFraud,
      scenario: item.truth.scenario,
    };
  }
  return {
    transactions,
    rejected,
    labels,
    frauds,
    stats: stage.stats(),
    simulateMs,
    featuresMs: performance.now() - featuresStarted,
  };
}

/** All rows in memory (tests, small runs). */
export async function collectReplay(
  options?: ReplayOptionsInput,
  source?: ReplaySource,
): Promise<{ rows: FraudFeatureRow[]; summary: ReplaySummary }> {
  const rows: FraudFeatureRow[] = [];
  const iterator = replayFeatures(options, source);
  for (;;) {
    const next = await iterator.next();
    if (next.done) return { rows, summary: next.value };
    rows.push(next.value);
  }
}
