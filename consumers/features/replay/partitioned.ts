/**
 * "Online" processing without a broker, for the parity test and lateness experiments: the simulator's
 * events are split into partitions by key (customerId, as the topics are keyed), and the stage
 * handlers are called per partition in partition order, the way the runner calls them, while the
 * partitions progress independently:
 * - "concurrent": one async loop per partition (like KafkaJS consuming partitions concurrently),
 *   chunks of random size, random pauses between chunks (seeded sizes, timer-dependent interleaving);
 * - "round-robin": deterministic, one chunk per partition in turn; `labelSpeed` < 1 makes the label
 *   partitions fall behind the transaction partitions in event time.
 * A label partition that is drained declares so (watermark → +∞), as a runner would at the end of a
 * finite replay.
 */
import { sleep } from "../../../lib/retry/index.ts";
import { createRandom, type SimulatedEvent } from "../../../producers/simulators/transactions/index.ts";
import type { FraudLabelReported, TransactionIngested } from "../../../schemas/generated/types.ts";
import { TOPICS } from "../../../topology/index.ts";
import type { FraudFeatureStage } from "../fraud/index.ts";
import { FRAUD_FEATURE_NAMES } from "../fraud/index.ts";
import type { FeatureStore } from "../store/index.ts";
import { ingestTransaction, replayContext } from "./replay.ts";

export interface PartitionedRunOptions {
  stage: FraudFeatureStage;
  /** The stage's store: drained label partitions advance its watermark. */
  store: FeatureStore;
  events: readonly SimulatedEvent[];
  /** Partitions per topic (transactions and labels alike). */
  partitions: number;
  schedule: "concurrent" | "round-robin";
  /** Records per chunk, [min, max]. Default [1, 200]. */
  chunk?: [number, number];
  /** Round-robin only: label chunks are this fraction of transaction chunks. Default 1. */
  labelSpeed?: number;
  /** Concurrent only: max pause between chunks, ms. Default 2. */
  maxPauseMs?: number;
  seed?: number;
}

export interface PartitionedRunResult {
  /** transactionId → features in FRAUD_FEATURE_NAMES order, from the stage's TransactionFeatures. */
  features: Map<string, number[]>;
  /** Round-robin only (sequential calls): transactions computed before the watermark passed t. */
  incomplete: Set<string>;
}

/** FNV-1a: a stable key → partition map (any stable hash keeps per-key order, which is what matters). */
export function partitionOf(key: string, partitions: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % partitions;
}

interface Lane {
  kind: "transaction" | "label";
  partition: number;
  items: Array<TransactionIngested | FraudLabelReported>;
  next: number;
}

export async function runPartitioned(options: PartitionedRunOptions): Promise<PartitionedRunResult> {
  const { stage, store, partitions } = options;
  const [minChunk, maxChunk] = options.chunk ?? [1, 200];
  const random = createRandom(options.seed ?? 1, 99, 0);
  const lanes: Lane[] = [];
  for (const kind of ["transaction", "label"] as const) {
    for (let p = 0; p < partitions; p++) lanes.push({ kind, partition: p, items: [], next: 0 });
  }
  for (const item of options.events) {
    const p = partitionOf(item.event.customerId, partitions);
    const lane = lanes[(item.kind === "transaction" ? 0 : partitions) + p] as Lane;
    if (item.kind === "label") lane.items.push(item.event);
    else {
      const ingested = ingestTransaction(item.event); // undefined: ingest would dead-letter it
      if (ingested) lane.items.push(ingested);
    }
  }
  const features = new Map<string, number[]>();
  const incomplete = new Set<string>();
  const txTopic = TOPICS.transactionIngested.name;
  const labelTopic = TOPICS.fraudLabelReported.name;

  const handle = async (lane: Lane, offset: number): Promise<void> => {
    const item = lane.items[offset];
    if (lane.kind === "label") {
      await stage.onLabel(item as FraudLabelReported, replayContext(labelTopic, lane.partition, offset, 0));
      return;
    }
    const tx = item as TransactionIngested;
    const before = stage.stats().incomplete;
    const [output] = await stage.onTransaction(tx, replayContext(txTopic, lane.partition, offset, 0));
    if (options.schedule === "round-robin" && stage.stats().incomplete > before)
      incomplete.add(tx.transactionId);
    if (!output) throw new Error(`no output for transaction ${tx.transactionId}`);
    const record = (output.value as { features: Record<string, number> }).features;
    features.set(
      tx.transactionId,
      FRAUD_FEATURE_NAMES.map((name) => record[name] as number),
    );
  };

  const runChunk = async (lane: Lane, size: number): Promise<void> => {
    const end = Math.min(lane.items.length, lane.next + Math.max(1, Math.round(size)));
    for (; lane.next < end; lane.next++) await handle(lane, lane.next);
    if (lane.kind === "label" && lane.next >= lane.items.length) {
      await store.advanceLabelWatermark(lane.partition, Number.POSITIVE_INFINITY);
    }
  };

  if (options.schedule === "round-robin") {
    const labelSpeed = options.labelSpeed ?? 1;
    for (const lane of lanes) {
      if (lane.kind === "label" && lane.items.length === 0) await runChunk(lane, 0);
    }
    while (lanes.some((lane) => lane.next < lane.items.length)) {
      for (const lane of lanes) {
        if (lane.next >= lane.items.length) continue;
        const size = random.randint(minChunk, maxChunk);
        await runChunk(lane, lane.kind === "label" ? size * labelSpeed : size);
      }
    }
  } else {
    const maxPause = options.maxPauseMs ?? 2;
    // Seeded chunk sizes and pauses, drawn up front so each loop's sequence is fixed.
    await Promise.all(
      lanes.map(async (lane, index) => {
        const laneRandom = createRandom(options.seed ?? 1, 100, index);
        if (lane.items.length === 0 && lane.kind === "label") await runChunk(lane, 0);
        while (lane.next < lane.items.length) {
          await runChunk(lane, laneRandom.randint(minChunk, maxChunk));
          const pause = laneRandom.randint(0, maxPause);
          if (pause > 0) await sleep(pause);
          else await new Promise<void>((resolve) => setImmediate(resolve));
        }
      }),
    );
  }
  return { features, incomplete };
}
