/**
 * Simulated transactions (and their late labels) through ingest → features on the real stack:
 * every input yields exactly one feature record or one dead letter, correlation ids are unchanged,
 * per-key order holds (transaction numbers rise per customer), and the features computed online
 * through Kafka equal the offline replay's training table on 30 simulated days.
 */
import { vi } from "vitest";

vi.hoisted(() => {
  process.env.VERDICT_TOPIC_PREFIX = `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}.`;
});

import { describe, expect, it } from "vitest";
import {
  collectReplay,
  createFeatureStage,
  FRAUD_FEATURE_NAMES,
  MemoryFeatureStore,
} from "../consumers/features/index.ts";
import { createIngestStage } from "../consumers/ingest/index.ts";
import { input } from "../consumers/runtime/index.ts";
import { publishStream, transactionSource } from "../producers/publish/index.ts";
import { createProducer } from "../producers/sdk/index.ts";
import { TOPICS } from "../topology/index.ts";
import { testConnections, testDeps } from "./support/app.ts";
import { pipelineSuite, readDecoded, waitForCount } from "./support/pipeline.ts";

const { deps, runner } = pipelineSuite(testDeps());
const DAY = 86_400_000;
// A recent start date (whole days, so weekday/night features are as simulated) that ends in the past:
// ingestion refuses future event times.
const start = new Date(Math.floor((Date.now() - 40 * DAY) / DAY) * DAY).toISOString().slice(0, 10);
const sim = { days: 30, customers: 300, terminals: 600, seed: 11, startDate: start };

describe("ingest → features through Kafka", () => {
  it("one output per input, correlation ids kept, per-key order, online == offline features", async () => {
    const producer = await createProducer({
      connections: testConnections(),
      clientId: "features-pipeline-test",
    });
    const transactions = new Map<string, { transactionId: string; customerId: string }>();
    await publishStream(producer, transactionSource(sim, { withLabels: true }), {
      optionsFor: (item) => {
        const event = item.event as { eventId: string; transactionId: string; customerId: string };
        if (item.topic.name === TOPICS.transactionCreated.name) transactions.set(event.eventId, event);
        return { correlationId: `corr-${event.eventId}` };
      },
    });
    // A few poison transactions among them (schema-valid, refused by ingest): they must come out as
    // dead letters, not vanish.
    const poison = [
      { amount: -1, currency: "EUR" },
      { amount: 5, currency: "XXX" },
    ].map((bad, i) => ({
      eventId: `poison-${i}`,
      transactionId: `poison-${i}`,
      customerId: "7",
      terminalId: "1",
      ...bad,
      occurredAt: Date.now() - DAY,
    }));
    await producer.publishMany(
      TOPICS.transactionCreated,
      poison.map((event) => ({ event, options: { correlationId: `corr-${event.eventId}` } })),
    );
    await producer.close();
    expect(transactions.size).toBeGreaterThan(8000);

    // Split mode: labels in their own group (they keep moving while transactions wait for the label
    // watermark), ingest+features for transactions in another; one in-memory store shared.
    const store = new MemoryFeatureStore();
    const features = createFeatureStage({
      store,
      fraud: { labelGate: { maxWaitMs: 20_000, allowedLatenessMs: 0 } },
    });
    const labels = {
      name: "features-labels",
      inputs: [input(TOPICS.fraudLabelReported, features.fraud.onLabel)],
    };
    const txFeatures = {
      name: "features",
      produces: [TOPICS.transactionFeatures],
      inputs: [input(TOPICS.transactionIngested, features.fraud.onTransaction)],
    };
    const runners = [
      runner(labels, { partitionsConsumedConcurrently: 6 }),
      runner(createIngestStage()),
      runner(txFeatures, { partitionsConsumedConcurrently: 6 }),
    ];
    for (const r of runners) await r.start();

    const expected = transactions.size + poison.length;
    const deadline = Date.now() + 180_000;
    let outputs = await readDecoded(deps, TOPICS.transactionFeatures);
    let letters = await readDecoded(deps, TOPICS.ingestDlq);
    while (outputs.length + letters.length < expected && Date.now() < deadline) {
      await waitForCount(deps.kafka, TOPICS.transactionFeatures.name, expected - letters.length, 5_000);
      outputs = await readDecoded(deps, TOPICS.transactionFeatures);
      letters = await readDecoded(deps, TOPICS.ingestDlq);
    }

    // Exactly one output or dead letter per input.
    const perEvent = new Map<string, number>();
    for (const o of outputs) perEvent.set(o.value.eventId, (perEvent.get(o.value.eventId) ?? 0) + 1);
    const rejected = new Set(letters.map((l) => l.value.correlationId?.replace(/^corr-/, "")));
    for (const id of [...transactions.keys(), ...poison.map((p) => p.eventId)]) {
      const n = (perEvent.get(id) ?? 0) + (rejected.has(id) ? 1 : 0);
      expect(n, `outputs for ${id}`).toBe(1);
    }
    expect(rejected.has("poison-0") && rejected.has("poison-1")).toBe(true);

    // Correlation ids unchanged from producer to feature record.
    for (const o of outputs) expect(o.headers.correlationId).toBe(`corr-${o.value.eventId}`);

    // Per-key order: within each partition, a customer's transaction numbers only go up.
    const last = new Map<string, number>();
    for (const o of outputs) {
      const n = Number(o.value.transactionId);
      expect(n).toBeGreaterThan(last.get(o.value.customerId) ?? -1);
      last.set(o.value.customerId, n);
    }

    // Online (through Kafka, partitions interleaved) == offline (global event-time order).
    const offline = await collectReplay(sim);
    const online = new Map(outputs.map((o) => [o.value.transactionId, o.value.features]));
    expect(online.size).toBe(offline.rows.length);
    let differing = 0;
    for (const row of offline.rows) {
      const features = online.get(row.transactionId)!;
      if (row.features.some((v, i) => v !== features[FRAUD_FEATURE_NAMES[i]!])) differing++;
    }
    expect(differing).toBe(0);
  }, 300_000);
});
