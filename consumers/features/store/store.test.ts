/**
 * One suite, both stores: the in-memory store and the Redis store must behave identically, operation
 * for operation. The Redis half uses REDIS_URL when it answers, else a throwaway redis-server.
 */
import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { VerdictError } from "../../../lib/errors/index.ts";
import { createRandom } from "../../../producers/simulators/transactions/index.ts";
import {
  DAY_MS,
  type FeatureStore,
  type LabelFact,
  MemoryFeatureStore,
  RedisFeatureStore,
  type TransactionFact,
  type WindowQuery,
} from "./index.ts";
import { testRedis } from "./test-redis.ts";

const QUERY: WindowQuery = {
  customerWindowMs: 30 * DAY_MS,
  terminalFromMs: 37 * DAY_MS,
  terminalToMs: 7 * DAY_MS,
};
const T0 = Date.UTC(2018, 3, 1);

function tx(id: string, at: number, amount = 10, customerId = "c1", terminalId = "t1"): TransactionFact {
  return { transactionId: id, customerId, terminalId, occurredAt: at, amount };
}

function label(
  txId: string,
  txAt: number,
  isFraud: boolean,
  knownAt = txAt + 7 * DAY_MS,
  terminalId = "t1",
): LabelFact {
  return {
    eventId: `label-${txId}-${knownAt}`,
    transactionId: txId,
    terminalId,
    isFraud,
    transactionOccurredAt: txAt,
    occurredAt: knownAt,
  };
}

const redis = await testRedis();
const stores: FeatureStore[] = [];
afterAll(async () => {
  for (const store of stores) {
    if (store instanceof RedisFeatureStore) await store.clear();
    await store.close();
  }
  await redis?.stop();
});

type Factory = (labelPartitions?: number) => FeatureStore;
const memory: Factory = (labelPartitions = 2) => new MemoryFeatureStore({ labelPartitions });
const redisFactory: Factory = (labelPartitions = 2) => {
  const store = new RedisFeatureStore({
    url: redis?.url,
    keyPrefix: `test:${randomUUID()}:`,
    labelPartitions,
  });
  stores.push(store);
  return store;
};

const implementations: Array<[string, Factory | undefined]> = [
  ["memory", memory],
  ["redis", redis ? redisFactory : undefined],
];

describe.each(implementations)("feature store: %s", (_name, factory) => {
  const make = factory ?? memory;
  const skip = factory === undefined;

  it.skipIf(skip)(
    "returns the customer window including the current transaction, amounts exact",
    async () => {
      const store = make();
      await store.recordTransaction(tx("a", T0, 0.1), QUERY);
      await store.recordTransaction(tx("b", T0 + 1000, 0.2), QUERY);
      const snap = await store.recordTransaction(tx("c", T0 + 2000, 12.34), QUERY);
      expect(snap.duplicate).toBe(false);
      expect(snap.customer.occurredAt).toEqual([T0, T0 + 1000, T0 + 2000]);
      expect(snap.customer.amount).toEqual([0.1, 0.2, 12.34]);
    },
  );

  it.skipIf(skip)("window is (t − 30 d, t]: exactly 30 days back is out", async () => {
    const store = make();
    await store.recordTransaction(tx("old", T0), QUERY);
    await store.recordTransaction(tx("in", T0 + 1), QUERY);
    const snap = await store.recordTransaction(tx("now", T0 + 30 * DAY_MS), QUERY);
    expect(snap.customer.occurredAt).toEqual([T0 + 1, T0 + 30 * DAY_MS]);
  });

  it.skipIf(skip)(
    "a redelivered transaction is not counted again and sees what it saw the first time",
    async () => {
      const store = make();
      const first = await store.recordTransaction(tx("a", T0, 5), QUERY);
      await store.recordTransaction(tx("b", T0, 7), QUERY); // same event time, arrived later
      await store.recordTransaction(tx("c", T0 + 5000, 9), QUERY);
      const again = await store.recordTransaction(tx("a", T0, 5), QUERY);
      expect(again.duplicate).toBe(true);
      expect(again.customer).toEqual(first.customer);
      const next = await store.recordTransaction(tx("d", T0 + 6000, 1), QUERY);
      expect(next.customer.occurredAt).toHaveLength(4);
    },
  );

  it.skipIf(skip)("a transaction id reused at another event time is a different transaction", async () => {
    const store = make();
    await store.recordTransaction(tx("a", T0, 5), QUERY);
    const other = await store.recordTransaction(tx("a", T0 + 1000, 6), QUERY);
    expect(other.duplicate).toBe(false);
    expect(other.customer.amount).toEqual([5, 6]);
  });

  it.skipIf(skip)("evicts customer entries past retention (bounded state)", async () => {
    const store = make();
    for (let i = 0; i < 5; i++) await store.recordTransaction(tx(`old${i}`, T0 + i), QUERY);
    const later = T0 + 40 * DAY_MS;
    const snap = await store.recordTransaction(tx("new", later), QUERY);
    expect(snap.customer.occurredAt).toEqual([later]);
    if (store instanceof RedisFeatureStore) {
      expect(await store.redis.llen(store.customerKey("c1"))).toBe(1);
      expect(await store.redis.pttl(store.customerKey("c1"))).toBeGreaterThan(30 * DAY_MS);
    } else {
      expect((store as MemoryFeatureStore).size().customerEntries).toBe(1);
    }
    // An evicted transaction replayed much later is recorded again but outside every window.
    const replayed = await store.recordTransaction(tx("old0", T0), QUERY);
    expect(replayed.customer.occurredAt).toEqual([T0]);
  });

  it.skipIf(skip)("terminal labels: range (t − 37 d, t − 7 d], sorted, idempotent", async () => {
    const store = make();
    const t = T0 + 60 * DAY_MS;
    const inside = label("x1", t - 7 * DAY_MS, true);
    expect((await store.recordLabel(label("x0", t - 37 * DAY_MS, true))).duplicate).toBe(false);
    expect((await store.recordLabel(inside)).duplicate).toBe(false);
    expect((await store.recordLabel(inside)).duplicate).toBe(true);
    await store.recordLabel(label("x2", t - 36 * DAY_MS, false));
    await store.recordLabel(label("x3", t - 7 * DAY_MS + 1, true));
    const snap = await store.recordTransaction(tx("now", t), QUERY);
    expect(snap.terminal.transactionId).toEqual(["x2", "x1"]);
    expect(snap.terminal.isFraud).toEqual([false, true]);
    expect(snap.terminal.knownAt).toEqual([t - 29 * DAY_MS, t]);
  });

  it.skipIf(skip)(
    "keeps different label events for one transaction (revisions), dedupes the same event",
    async () => {
      const store = make();
      const t = T0 + 20 * DAY_MS;
      await store.recordLabel(label("x", T0, false, T0 + 7 * DAY_MS));
      await store.recordLabel(label("x", T0, true, T0 + 9 * DAY_MS));
      await store.recordLabel(label("x", T0, true, T0 + 9 * DAY_MS));
      const snap = await store.recordTransaction(tx("now", t), QUERY);
      expect(snap.terminal.knownAt).toEqual([T0 + 7 * DAY_MS, T0 + 9 * DAY_MS]);
    },
  );

  it.skipIf(skip)("a lagging transaction partition holds back terminal eviction", async () => {
    const store = make();
    const old = label("old", T0 - 20 * DAY_MS, true); // needed by a transaction at T0
    const ahead = label("ahead", T0 + 93 * DAY_MS, false); // labels consumed far ahead
    await store.recordTransaction(tx("p0", T0, 1, "c1"), QUERY, 0);
    await store.recordTransaction(tx("p1", T0 + 100 * DAY_MS, 1, "c2"), QUERY, 1);
    await store.recordLabel(old);
    await store.recordLabel(ahead);
    const lagging = await store.recordTransaction(tx("p0b", T0 + 1, 1, "c1"), QUERY, 0);
    expect(lagging.terminal.transactionId).toEqual(["old"]);
    // Without transaction progress, eviction follows the label's own time.
    const plain = make();
    await plain.recordLabel(old);
    await plain.recordLabel(ahead);
    expect((await plain.recordTransaction(tx("x", T0 + 1), QUERY)).terminal.transactionId).toEqual([]);
  });

  it.skipIf(skip)(
    "label watermark: min over partitions, monotone, advanced after the label is stored",
    async () => {
      const store = make(2);
      expect(await store.labelWatermark()).toBe(Number.NEGATIVE_INFINITY);
      await store.recordLabel(label("a", T0, false), 0);
      expect(await store.labelWatermark()).toBe(Number.NEGATIVE_INFINITY);
      await store.recordLabel(label("b", T0 + 1000, false), 1);
      expect(await store.labelWatermark()).toBe(T0 + 7 * DAY_MS);
      await store.recordLabel(label("c", T0 - 1000, false), 0); // older: no regression
      expect(await store.labelWatermark()).toBe(T0 + 7 * DAY_MS);
      await store.advanceLabelWatermark(0, Number.POSITIVE_INFINITY);
      expect(await store.labelWatermark()).toBe(T0 + 7 * DAY_MS + 1000);
      await store.advanceLabelWatermark(1, Number.POSITIVE_INFINITY);
      expect(await store.labelWatermark()).toBe(Number.POSITIVE_INFINITY);
      const snap = await store.recordTransaction(tx("t", T0), QUERY);
      expect(snap.labelWatermark).toBe(Number.POSITIVE_INFINITY);
    },
  );

  it.skipIf(skip)("rejects a label partition outside the configured count", async () => {
    const store = make(2);
    await expect(store.recordLabel(label("a", T0, false), 2)).rejects.toMatchObject({
      code: "VERDICT_ERR_CONFIG",
    });
  });
});

describe.skipIf(!redis)("memory and Redis stores agree on a random workload", () => {
  it("gives identical snapshots for 3,000 interleaved operations", async () => {
    const a = memory(3);
    const b = redisFactory(3);
    const random = createRandom(7, 1, 1);
    let time = T0;
    const recent: TransactionFact[] = [];
    for (let i = 0; i < 3000; i++) {
      time += random.randint(0, 6 * 3_600_000);
      const roll = random.next();
      if (roll < 0.45) {
        const fact = tx(
          `tx${i}`,
          time,
          Math.round(random.uniform(1, 300) * 100) / 100,
          `c${random.int(20)}`,
          `t${random.int(10)}`,
        );
        recent.push(fact);
        expect(await b.recordTransaction(fact, QUERY)).toEqual(await a.recordTransaction(fact, QUERY));
      } else if (roll < 0.9 && recent.length > 0) {
        const target = recent[random.int(recent.length)] as TransactionFact;
        const fact = label(
          target.transactionId,
          target.occurredAt,
          random.chance(0.1),
          time,
          target.terminalId,
        );
        const partition = random.int(3);
        expect(await b.recordLabel(fact, partition)).toEqual(await a.recordLabel(fact, partition));
      } else if (recent.length > 0) {
        // a redelivery of a recent transaction
        const fact = recent[Math.max(0, recent.length - 1 - random.int(5))] as TransactionFact;
        expect(await b.recordTransaction(fact, QUERY)).toEqual(await a.recordTransaction(fact, QUERY));
      }
    }
    expect(await b.labelWatermark()).toBe(await a.labelWatermark());
  }, 60_000);
});

describe("Redis failures", () => {
  it("surface as retriable VERDICT_ERR_FEATURE_STORE", async () => {
    // Nothing listens on port 1; the client gives up after one reconnect attempt.
    const store = new RedisFeatureStore({
      url: "redis://127.0.0.1:1",
      commandTimeoutMs: 1000,
      connectTimeoutMs: 500,
    });
    try {
      const error = await store.recordTransaction(tx("a", T0), QUERY).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(VerdictError);
      expect(error).toMatchObject({ code: "VERDICT_ERR_FEATURE_STORE", retriable: true });
      await expect(store.labelWatermark()).rejects.toMatchObject({ retriable: true });
    } finally {
      store.redis.disconnect();
    }
  });
});
