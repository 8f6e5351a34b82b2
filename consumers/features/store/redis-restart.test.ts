/**
 * A Redis crash mid-run is survivable: kill -9 the server halfway through a replay, calls fail with
 * retriable VERDICT_ERR_FEATURE_STORE while it is down, the same client reconnects once it is back,
 * and (with AOF fsync=always, as production should run it) every feature equals the in-memory run.
 * Idempotent writes make the retried calls safe even when a reply was lost after the write applied.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isRetriable } from "../../../lib/errors/index.ts";
import { retry } from "../../../lib/retry/index.ts";
import { simulate, transactionEvents } from "../../../producers/simulators/transactions/index.ts";
import { computeFraudFeatureVector } from "../fraud/compute.ts";
import { FRAUD_WINDOW_QUERY } from "../fraud/definitions.ts";
import { type FeatureStore, MemoryFeatureStore, RedisFeatureStore } from "./index.ts";
import { RedisProcess, redisServerAvailable } from "./test-redis.ts";

describe.skipIf(!redisServerAvailable())("Redis feature store across a Redis restart", () => {
  let server: RedisProcess;
  beforeAll(async () => {
    server = await RedisProcess.start({ persistent: true });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("recovers after kill -9 and computes the same features as the memory store", async () => {
    const simulation = simulate({ days: 12, customers: 60, terminals: 120, seed: 11 });
    const events = [...transactionEvents(simulation)];
    const store = new RedisFeatureStore({ url: server.url, labelPartitions: 1, commandTimeoutMs: 1000 });
    const reference = new MemoryFeatureStore({ labelPartitions: 1 });
    const failures: unknown[] = [];
    const run = async (s: FeatureStore, e: (typeof events)[number]): Promise<number[] | undefined> => {
      if (e.kind === "label") {
        const { eventId, transactionId, terminalId, isFraud, transactionOccurredAt, occurredAt } = e.event;
        await s.recordLabel(
          { eventId, transactionId, terminalId, isFraud, transactionOccurredAt, occurredAt },
          0,
        );
        return undefined;
      }
      const snap = await s.recordTransaction(e.event, FRAUD_WINDOW_QUERY);
      return computeFraudFeatureVector(e.event, snap);
    };
    try {
      const half = Math.floor(events.length / 2);
      let restarted = false;
      for (let i = 0; i < events.length; i++) {
        const event = events[i] as (typeof events)[number];
        if (i === half) {
          await server.kill();
          // While Redis is down, the store fails fast and retriably (the runner would back off).
          failures.push(await run(store, event).catch((e: unknown) => e));
          setTimeout(() => {
            server.restart().then(() => {
              restarted = true;
            });
          }, 300);
        }
        const online = await retry(() => run(store, event), {
          attempts: 100,
          initialDelayMs: 50,
          maxDelayMs: 200,
        });
        expect(online).toEqual(await run(reference, event));
      }
      expect(restarted).toBe(true);
      expect(failures).toHaveLength(1);
      expect(failures[0]).toMatchObject({ code: "VERDICT_ERR_FEATURE_STORE" });
      expect(isRetriable(failures[0])).toBe(true);
    } finally {
      await store.close();
    }
  }, 60_000);
});
