import { describe, expect, it } from "vitest";
import { createMetricsRegistry, createPipelineMetrics } from "../metrics/pipeline-metrics.ts";
import { createStatsCollector, quantileFromBuckets } from "./stats.ts";

describe("dashboard stats", () => {
  it("reads quantiles from cumulative buckets like histogram_quantile", () => {
    const b = new Map([
      [0.1, 50],
      [0.2, 90],
      [0.5, 100],
      [Number.POSITIVE_INFINITY, 100],
    ]);
    expect(quantileFromBuckets(b, 0.5)).toBeCloseTo(0.1); // rank 50 sits at the top of the first bucket
    expect(quantileFromBuckets(b, 0.7)).toBeCloseTo(0.15); // 20 of 40 into (0.1, 0.2]
    expect(quantileFromBuckets(b, 0.95)).toBeCloseTo(0.35);
    expect(quantileFromBuckets(new Map([[Number.POSITIVE_INFINITY, 0]]), 0.5)).toBeNull();
    expect(
      quantileFromBuckets(
        new Map([
          [1, 0],
          [Number.POSITIVE_INFINITY, 4],
        ]),
        0.5,
      ),
    ).toBe(1);
  });

  it("turns counters into per-second rates and keeps a history", async () => {
    const metrics = createPipelineMetrics(createMetricsRegistry({ processMetrics: false }));
    let t = 0;
    const stats = createStatsCollector({ metrics, extra: () => ({ process: "test" }) }, { now: () => t });
    await stats.sample();
    metrics.stageIn.inc({ stage: "ingest", topic: "a" }, 30);
    metrics.decisions.inc({ domain: "fraud", decision: "APPROVE" }, 20);
    for (let i = 0; i < 20; i++) metrics.eventAge.observe({ topic: "v" }, 0.004);
    metrics.deadLetters.inc({ stage: "ingest", failed_stage: "ingest", topic: "a", code: "C", dlq: "d" }, 3);
    t = 2000;
    await stats.sample();
    const [s] = stats.history();
    expect(s).toMatchObject({
      t: 2000,
      throughput: { ingest: 15 },
      decisions: { "fraud.APPROVE": 10 },
      deadLetters: 3,
      lag: 0,
    });
    expect(s!.latency.p50).toBeGreaterThan(2.5);
    expect(s!.latency.p99).toBeLessThanOrEqual(5);
    const snap = await stats.snapshot();
    expect(snap).toMatchObject({ process: "test", totals: { stagesIn: { ingest: 30 } } });
  });
});
