/**
 * The features stage behind ingest in the runtime's fused composition (what the embedded default
 * runs): TransactionCreated in, TransactionFeatures out, labels from their own topic, records
 * redelivered. The outputs must equal the offline training table.
 */
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../lib/log/index.ts";
import { simulate, transactionEvents } from "../../producers/simulators/transactions/index.ts";
import type { TransactionFeatures } from "../../schemas/generated/types.ts";
import { TOPICS } from "../../topology/index.ts";
import { createIngestStage } from "../ingest/index.ts";
import { fuse, type StageContext, type StageInput } from "../runtime/index.ts";
import {
  collectReplay,
  createFeatureStage,
  FRAUD_FEATURE_NAMES,
  MemoryFeatureStore,
  partitionOf,
} from "./index.ts";

const PARTITIONS = TOPICS.fraudLabelReported.partitions;

function ctx(topic: string, partition: number, offset: number, now: number): StageContext {
  return {
    stage: "fused",
    topic,
    partition,
    offset: String(offset),
    key: null,
    headers: {},
    timestamp: now,
    attempt: 1,
    logger: silentLogger(),
    signal: new AbortController().signal,
    now: () => now,
  };
}

describe("features fused behind ingest", () => {
  it("produces the offline features for every transaction, redeliveries included", async () => {
    const simulation = simulate({ days: 20, customers: 150, terminals: 300, seed: 77 });
    const { rows } = await collectReplay(undefined, { simulation });
    const store = new MemoryFeatureStore();
    const fused = fuse([createIngestStage(), createFeatureStage({ store })]);
    const handler = (topic: string): StageInput => {
      const found = fused.inputs.find((i) => i.topic.name === topic);
      if (!found) throw new Error(`no input for ${topic}`);
      return found;
    };
    const txInput = handler(TOPICS.transactionCreated.name);
    const labelInput = handler(TOPICS.fraudLabelReported.name);
    const online = new Map<string, TransactionFeatures>();
    let offset = 0;
    for (const item of transactionEvents(simulation)) {
      const partition = partitionOf(item.event.customerId, PARTITIONS);
      const now = item.event.occurredAt;
      if (item.kind === "label") {
        await labelInput.handle(item.event, ctx(TOPICS.fraudLabelReported.name, partition, offset++, now));
        continue;
      }
      const c = ctx(TOPICS.transactionCreated.name, partition, offset++, now);
      // A transaction ingest rejects (amount rounding to 0.00) would be dead-lettered: no features.
      const outputs = await Promise.resolve(txInput.handle(item.event, c)).catch((error: unknown) => {
        if ((error as { code?: string }).code === "VERDICT_ERR_VALIDATION") return [];
        throw error;
      });
      if (offset % 97 === 0) await txInput.handle(item.event, c); // redelivery of the same record
      for (const output of outputs) {
        expect(output.topic).toBe(TOPICS.transactionFeatures);
        const value = output.value as TransactionFeatures;
        online.set(value.transactionId, value);
      }
    }
    expect(online.size).toBe(rows.length);
    for (const row of rows) {
      const value = online.get(row.transactionId);
      expect(FRAUD_FEATURE_NAMES.map((name) => value?.features[name])).toEqual(row.features);
    }
  }, 60_000);
});
