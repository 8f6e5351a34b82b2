import { describe, expect, it } from "vitest";
import { silentLogger } from "../../../lib/log/index.ts";
import type { FraudLabelReported, TransactionIngested } from "../../../schemas/generated/types.ts";
import { TOPICS } from "../../../topology/index.ts";
import type { StageContext } from "../../runtime/types.ts";
import { MemoryFeatureStore } from "../store/index.ts";
import { FEATURE_SET, FRAUD_FEATURE_NAMES, MS_PER_DAY } from "./definitions.ts";
import { createFraudFeatureStage } from "./fraud-stage.ts";

const DAY = MS_PER_DAY;
const T0 = Date.UTC(2018, 3, 2, 12); // a Monday, noon

function ctx(topic: string, partition = 0, now: () => number = Date.now): StageContext {
  return {
    stage: "features.fraud",
    topic,
    partition,
    offset: "0",
    key: null,
    headers: {},
    timestamp: 0,
    attempt: 1,
    logger: silentLogger(),
    signal: new AbortController().signal,
    now,
  };
}
const TX = ctx(TOPICS.transactionIngested.name);

function tx(id: string, at: number, amount = 10, customerId = "c1", terminalId = "t1"): TransactionIngested {
  return {
    eventId: `ev-${id}`,
    transactionId: id,
    customerId,
    terminalId,
    amount,
    currency: "EUR",
    occurredAt: at,
    ingestedAt: at,
  };
}

function label(txId: string, txAt: number, isFraud: boolean, knownAt = txAt + 7 * DAY): FraudLabelReported {
  return {
    eventId: `lab-${txId}`,
    transactionId: txId,
    customerId: "c9",
    terminalId: "t1",
    isFraud,
    source: isFraud ? "CHARGEBACK" : "OUTCOME_KNOWN",
    transactionOccurredAt: txAt,
    occurredAt: knownAt,
  };
}

describe("fraud feature stage", () => {
  it("declares its inputs and emits one TransactionFeatures per transaction", async () => {
    const stage = createFraudFeatureStage({ store: new MemoryFeatureStore({ labelPartitions: 1 }) });
    expect(stage.inputs.map((i) => i.topic.name)).toEqual([
      TOPICS.transactionIngested.name,
      TOPICS.fraudLabelReported.name,
    ]);
    expect(stage.concurrency).toBe("sequential");
    const outputs = await stage.onTransaction(tx("a", T0, 42.5), TX);
    expect(outputs).toHaveLength(1);
    const [out] = outputs;
    expect(out?.topic).toBe(TOPICS.transactionFeatures);
    expect(out?.key).toBe("c1");
    expect(out?.eventId).toBe("ev-a");
    expect(out?.value).toMatchObject({
      eventId: "ev-a",
      transactionId: "a",
      customerId: "c1",
      terminalId: "t1",
      amount: 42.5,
      occurredAt: T0,
      featureSet: FEATURE_SET,
    });
    const features = (out?.value as { features: Record<string, number> } | undefined)?.features ?? {};
    expect(Object.keys(features)).toEqual([...FRAUD_FEATURE_NAMES]);
    expect(features.CUSTOMER_ID_NB_TX_1DAY_WINDOW).toBe(1);
  });

  it("labels update state and produce nothing", async () => {
    const stage = createFraudFeatureStage({ store: new MemoryFeatureStore({ labelPartitions: 1 }) });
    expect(await stage.onLabel(label("x", T0, true), ctx(TOPICS.fraudLabelReported.name))).toEqual([]);
    expect(stage.stats().labels).toBe(1);
  });

  it("is idempotent: a redelivered transaction gets the same features and is not counted twice", async () => {
    const stage = createFraudFeatureStage({ store: new MemoryFeatureStore({ labelPartitions: 1 }) });
    const first = await stage.onTransaction(tx("a", T0, 10), TX);
    const again = await stage.onTransaction(tx("a", T0, 10), TX);
    expect(again).toEqual(first);
    const next = await stage.compute(tx("b", T0 + 1000, 20));
    expect(next.value.features.CUSTOMER_ID_NB_TX_1DAY_WINDOW).toBe(2);
    expect(next.value.features.CUSTOMER_ID_AVG_AMOUNT_1DAY_WINDOW).toBe(15);
    expect(stage.stats()).toMatchObject({ transactions: 3, duplicateTransactions: 1 });
  });

  it("is idempotent for labels: the same label twice counts once", async () => {
    const store = new MemoryFeatureStore({ labelPartitions: 1 });
    const stage = createFraudFeatureStage({ store });
    const labelCtx = ctx(TOPICS.fraudLabelReported.name);
    await stage.onLabel(label("x", T0, true), labelCtx);
    await stage.onLabel(label("x", T0, true), labelCtx);
    await stage.onLabel(label("y", T0 + 1, false), labelCtx);
    const t = T0 + 7 * DAY + 10;
    const { value } = await stage.compute(tx("now", t));
    expect(value.features.TERMINAL_ID_NB_TX_1DAY_WINDOW).toBe(2);
    expect(value.features.TERMINAL_ID_RISK_1DAY_WINDOW).toBe(0.5);
    expect(stage.stats().duplicateLabels).toBe(1);
  });

  it("delayed terminal risk uses only labels known at t, whatever the processing order", async () => {
    const store = new MemoryFeatureStore({ labelPartitions: 1 });
    const stage = createFraudFeatureStage({ store });
    const labelCtx = ctx(TOPICS.fraudLabelReported.name);
    const t = T0 + 10 * DAY;
    // Processed before the transaction, but known 1 ms after it: must not count.
    await stage.onLabel(label("late", t - 8 * DAY, true, t + 1), labelCtx);
    // Known exactly at t, transaction 7 days before: counts.
    await stage.onLabel(label("edge", t - 7 * DAY, false, t), labelCtx);
    const { value } = await stage.compute(tx("now", t));
    expect(value.features.TERMINAL_ID_NB_TX_7DAY_WINDOW).toBe(1);
    expect(value.features.TERMINAL_ID_RISK_7DAY_WINDOW).toBe(0);
  });

  it("rejects a non-finite amount as unrecoverable (poison)", async () => {
    const stage = createFraudFeatureStage({ store: new MemoryFeatureStore({ labelPartitions: 1 }) });
    // Thrown synchronously (the in-memory path makes no promise); the runner treats both alike.
    expect(() => stage.onTransaction(tx("bad", T0, Number.NaN), TX)).toThrow(
      expect.objectContaining({ code: "VERDICT_ERR_VALIDATION", retriable: false }),
    );
  });
});

describe("label watermark gate", () => {
  it("without waiting (default), counts transactions computed before the watermark passed t", async () => {
    const store = new MemoryFeatureStore({ labelPartitions: 2 });
    const stage = createFraudFeatureStage({ store });
    await stage.compute(tx("a", T0));
    expect(stage.stats()).toMatchObject({ incomplete: 1, gateWaits: 0 });
    await store.advanceLabelWatermark(0, T0 + 1);
    await store.advanceLabelWatermark(1, T0 + 1);
    await stage.compute(tx("b", T0 + 1));
    expect(stage.stats().incomplete).toBe(2); // W must be strictly past t
    await stage.compute(tx("c", T0));
    expect(stage.stats().incomplete).toBe(2);
  });

  it("waits until every label partition has passed t, then sees the late label", async () => {
    const store = new MemoryFeatureStore({ labelPartitions: 2 });
    const stage = createFraudFeatureStage({ store, options: { labelGate: { maxWaitMs: 5000, pollMs: 1 } } });
    const t = T0 + 10 * DAY;
    await stage.onLabel(label("p0", t - 8 * DAY, false, t + 5), ctx(TOPICS.fraudLabelReported.name, 0));
    // Partition 1 lags: its label known at t − 1 h arrives 30 ms after the transaction started.
    const pending = stage.compute(tx("now", t));
    setTimeout(() => {
      void Promise.resolve(
        stage.onLabel(
          label("p1", t - 7 * DAY - 3_600_000, true, t - 3_600_000),
          ctx(TOPICS.fraudLabelReported.name, 1),
        ),
      ).then(() =>
        stage.onLabel(label("p1b", t - 6 * DAY, false, t + 10), ctx(TOPICS.fraudLabelReported.name, 1)),
      );
    }, 30);
    const { value, complete } = await pending;
    expect(complete).toBe(true);
    expect(value.features.TERMINAL_ID_NB_TX_1DAY_WINDOW).toBe(1);
    expect(value.features.TERMINAL_ID_RISK_1DAY_WINDOW).toBe(1);
    expect(stage.stats()).toMatchObject({ gateWaits: 1, gateTimeouts: 0, incomplete: 0 });
  });

  it("gives up after maxWaitMs, once per stalled watermark", async () => {
    let clock = 0;
    const now = () => clock;
    const store = new MemoryFeatureStore({ labelPartitions: 2 });
    const stage = createFraudFeatureStage({ store, options: { labelGate: { maxWaitMs: 50, pollMs: 1 } } });
    const sleeping = setInterval(() => {
      clock += 10;
    }, 1);
    try {
      const first = await stage.compute(tx("a", T0), { now, signal: new AbortController().signal });
      expect(first.complete).toBe(false);
      await stage.compute(tx("b", T0 + 1), { now, signal: new AbortController().signal });
      expect(stage.stats()).toMatchObject({ gateWaits: 1, gateTimeouts: 1, incomplete: 2 });
    } finally {
      clearInterval(sleeping);
    }
  });
});
