/**
 * Online/offline parity. "Offline" = the replay (strict global event-time order, memory store), which
 * writes the training table. "Online" = the same stage handlers called per partition, the way the
 * runner calls them, with transactions and labels on separate partitioned topics keyed by customer,
 * partitions progressing independently, against the memory store AND the Redis store.
 * Also an independent brute-force implementation of the textual definitions checks the values.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type SimulatedEvent,
  type SimulationResult,
  simulate,
  transactionEvents,
} from "../../../producers/simulators/transactions/index.ts";
import { createFraudFeatureStage, FRAUD_FEATURE_NAMES, MS_PER_DAY } from "../fraud/index.ts";
import { type FeatureStore, MemoryFeatureStore, RedisFeatureStore } from "../store/index.ts";
import { testRedis } from "../store/test-redis.ts";
import { runPartitioned } from "./partitioned.ts";
import { collectReplay, ingestTransaction } from "./replay.ts";

const PARTITIONS = 4;
const GATE = { maxWaitMs: 60_000, pollMs: 1 };

let simulation: SimulationResult;
let events: SimulatedEvent[];
let offline: Map<string, number[]>;

beforeAll(async () => {
  simulation = simulate({ days: 35, customers: 500, terminals: 1000, seed: 2024 });
  events = [...transactionEvents(simulation)];
  const { rows, summary } = await collectReplay(undefined, { simulation });
  expect(summary.stats.incomplete).toBe(0);
  offline = new Map(rows.map((row) => [row.transactionId, row.features]));
}, 60_000);

const redis = await testRedis();
afterAll(async () => {
  await redis?.stop();
});

interface Diff {
  rows: number;
  values: number;
  features: Set<string>;
  ids: string[];
}

function compare(online: Map<string, number[]>): Diff {
  const diff: Diff = { rows: 0, values: 0, features: new Set(), ids: [] };
  expect(online.size).toBe(offline.size);
  for (const [id, expected] of offline) {
    const actual = online.get(id);
    expect(actual, `transaction ${id} missing online`).toBeDefined();
    let differs = false;
    expected.forEach((value, k) => {
      if (!Object.is(value, actual?.[k])) {
        differs = true;
        diff.values++;
        diff.features.add(FRAUD_FEATURE_NAMES[k] as string);
      }
    });
    if (differs) {
      diff.rows++;
      diff.ids.push(id);
    }
  }
  return diff;
}

async function online(
  store: FeatureStore,
  schedule: "concurrent" | "round-robin",
  gated: boolean,
  labelSpeed = 1,
) {
  const stage = createFraudFeatureStage({ store, options: gated ? { labelGate: GATE } : {} });
  const result = await runPartitioned({
    stage,
    store,
    events,
    partitions: PARTITIONS,
    schedule,
    labelSpeed,
    seed: 5,
    chunk: [1, 300],
  });
  return { ...result, stats: stage.stats(), diff: compare(result.features) };
}

describe("online vs offline fraud features (35 days, 500 customers, 1,000 terminals)", () => {
  it("simulates enough to matter", () => {
    expect(offline.size).toBeGreaterThan(25_000);
    expect(events.filter((e) => e.kind === "label").length).toBeGreaterThanOrEqual(offline.size);
  });

  it("memory store, partitions consumed concurrently, label watermark gate: identical", async () => {
    const run = await online(new MemoryFeatureStore({ labelPartitions: PARTITIONS }), "concurrent", true);
    expect(run.diff.rows).toBe(0);
    expect(run.stats.incomplete).toBe(0);
    console.info(
      `[parity] memory/concurrent/gated: ${run.stats.transactions} tx, ${run.stats.gateWaits} waited, 0 differ`,
    );
  }, 120_000);

  it.skipIf(!redis)(
    "Redis store, partitions consumed concurrently, label watermark gate: identical",
    async () => {
      const store = new RedisFeatureStore({
        url: redis?.url,
        keyPrefix: `test:parity:${randomUUID()}:`,
        labelPartitions: PARTITIONS,
      });
      try {
        const run = await online(store, "concurrent", true);
        expect(run.diff.rows).toBe(0);
        expect(run.stats.incomplete).toBe(0);
        console.info(
          `[parity] redis/concurrent/gated: ${run.stats.transactions} tx, ${run.stats.gateWaits} waited, 0 differ`,
        );
      } finally {
        await store.clear();
        await store.close();
      }
    },
    300_000,
  );

  it("without the gate, labels lagging behind change only terminal features, and only flagged rows", async () => {
    const report: string[] = [];
    for (const labelSpeed of [1, 0.5]) {
      const run = await online(
        new MemoryFeatureStore({ labelPartitions: PARTITIONS }),
        "round-robin",
        false,
        labelSpeed,
      );
      for (const id of run.diff.ids)
        expect(run.incomplete.has(id), `row ${id} differs but was not flagged`).toBe(true);
      for (const name of run.diff.features) expect(name).toMatch(/^TERMINAL_ID_/);
      report.push(
        `labelSpeed ${labelSpeed}: ${run.diff.rows} of ${offline.size} rows differ (${run.diff.values} values: ${[...run.diff.features].join(", ") || "none"}); ${run.incomplete.size} flagged incomplete`,
      );
      if (labelSpeed === 0.5) expect(run.diff.rows).toBeGreaterThan(0);
    }
    console.info(`[parity] memory/round-robin/ungated:\n  ${report.join("\n  ")}`);
  }, 120_000);
});

describe("offline features match a brute-force reading of the definitions", () => {
  it("on a sample of 500 transactions", () => {
    // Transactions the ingest stage accepts (one simulated amount rounds to 0.00 and is dead-lettered).
    const txs = events.filter(
      (e): e is SimulatedEvent & { kind: "transaction" } =>
        e.kind === "transaction" && ingestTransaction(e.event) !== undefined,
    );
    const labels = events
      .filter((e): e is SimulatedEvent & { kind: "label" } => e.kind === "label")
      .map((e) => e.event);
    const step = Math.max(1, Math.floor(txs.length / 500));
    for (let i = 0; i < txs.length; i += step) {
      const { event } = txs[i] as SimulatedEvent & { kind: "transaction" };
      const t = event.occurredAt;
      const expected: number[] = [
        event.amount,
        [0, 6].includes(new Date(t).getUTCDay()) ? 1 : 0,
        new Date(t).getUTCHours() <= 6 ? 1 : 0,
      ];
      for (const n of [1, 7, 30]) {
        // The customer's transactions in (t − n days, t], up to this one in stream order.
        const window = txs
          .slice(0, i + 1)
          .map((e) => e.event)
          .filter(
            (e) =>
              e.customerId === event.customerId && e.occurredAt > t - n * MS_PER_DAY && e.occurredAt <= t,
          );
        expected.push(window.length, window.reduce((sum, e) => sum + e.amount, 0) / window.length);
      }
      for (const n of [1, 7, 30]) {
        // The terminal's transactions in (t − 7 − n days, t − 7 days] whose label is known at t.
        const known = labels.filter(
          (l) =>
            l.terminalId === event.terminalId &&
            l.occurredAt <= t &&
            l.transactionOccurredAt > t - (7 + n) * MS_PER_DAY &&
            l.transactionOccurredAt <= t - 7 * MS_PER_DAY,
        );
        const frauds = known.filter((l) => l.isFraud).length;
        expected.push(known.length, known.length > 0 ? frauds / known.length : 0);
      }
      const actual = offline.get(event.transactionId) as number[];
      expected.forEach((value, k) => {
        expect(actual[k], `${FRAUD_FEATURE_NAMES[k]} of transaction ${event.transactionId}`).toBeCloseTo(
          value,
          9,
        );
      });
    }
  }, 120_000);
});
