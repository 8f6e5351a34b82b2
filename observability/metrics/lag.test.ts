import type { Kafka } from "kafkajs";
import { describe, expect, it } from "vitest";
import { captureLogger } from "../../lib/log/testing/capture.ts";
import { computeLag, createLagMonitor, WARN_AFTER_FAILURES } from "./lag.ts";
import type { PipelineMetrics } from "./pipeline-metrics.ts";

describe("consumer lag", () => {
  it("is high watermark minus committed offset per partition", () => {
    const lag = computeLag(
      "verdict.ingest",
      "payments.transaction.created.v1",
      [
        { partition: 0, offset: "90" },
        { partition: 1, offset: "-1" }, // never committed: counts from the low watermark
        { partition: 2, offset: "5" }, // below the low watermark (retention deleted it): from low
        { partition: 3, offset: "120" }, // committed at the end
      ],
      [
        { partition: 3, low: "0", high: "120" },
        { partition: 0, low: "0", high: "100" },
        { partition: 1, low: "10", high: "40" },
        { partition: 2, low: "20", high: "50" },
        { partition: 4, low: "7", high: "7" }, // missing from the committed list, empty
      ],
    );
    expect(lag.map((l) => [l.partition, l.lag])).toEqual([
      [0, 10],
      [1, 30],
      [2, 30],
      [3, 0],
      [4, 0],
    ]);
    expect(lag[1]).toEqual({
      group: "verdict.ingest",
      topic: "payments.transaction.created.v1",
      partition: 1,
      committed: -1,
      low: 10,
      high: 40,
      lag: 30,
    });
  });
});

describe("lag monitor", () => {
  it("logs a group that is still joining at debug, warns once when it keeps failing, says when it is back", async () => {
    let failing = true;
    const kafka = {
      admin: () => ({
        connect: async () => {
          if (failing) throw new Error("This is not the correct coordinator for this group");
        },
        disconnect: async () => {},
        fetchOffsets: async () => [{ topic: "t", partitions: [{ partition: 0, offset: "5" }] }],
        fetchTopicOffsets: async () => [{ partition: 0, offset: "9", high: "9", low: "0" }],
      }),
    } as unknown as Kafka;
    const metrics = { lag: { reset() {}, set() {} } } as unknown as PipelineMetrics;
    const { logger, lines } = captureLogger();
    const monitor = createLagMonitor(kafka, () => [{ group: "g", topics: ["t"] }], metrics, { logger });
    const messages = () => lines.map((l) => [l.level, l.msg]);

    for (let i = 1; i < WARN_AFTER_FAILURES; i++) await monitor.refresh();
    expect(messages()).toEqual(Array(WARN_AFTER_FAILURES - 1).fill([20, "consumer lag unavailable"]));
    await monitor.refresh();
    await monitor.refresh();
    expect(messages().filter(([level]) => level === 40)).toEqual([[40, "consumer lag unavailable"]]);

    failing = false;
    expect(await monitor.refresh()).toEqual([
      { group: "g", topic: "t", partition: 0, committed: 5, low: 0, high: 9, lag: 4 },
    ]);
    expect(messages().at(-1)).toEqual([30, "consumer lag available again"]);
    await monitor.stop();
  });
});
