import { describe, expect, it } from "vitest";
import { combine, emit } from "../../consumers/runtime/index.ts";
import { createMetricsRegistry, createPipelineMetrics } from "./pipeline-metrics.ts";
import { createRunnerListener } from "./runner-listener.ts";

function setup() {
  const registry = createMetricsRegistry({ processMetrics: false });
  const metrics = createPipelineMetrics(registry);
  const listener = createRunnerListener(metrics, { now: () => 42, resultTopics: new Set(["verdicts"]) });
  return { registry, metrics, listener };
}

const value = async (
  metric: { get(): Promise<{ values: { value: number; labels: object; metricName?: string }[] }> },
  labels: object,
  name?: string,
) =>
  (await metric.get()).values.find(
    (v) =>
      (name === undefined || v.metricName === name) &&
      Object.entries(labels).every(([k, x]) => (v.labels as Record<string, unknown>)[k] === x),
  )?.value;

describe("runner listener", () => {
  it("turns runner events into counters, histograms and gauges", async () => {
    const { metrics, listener } = setup();
    listener.on({
      type: "chunk",
      stage: "ingest",
      topic: "in",
      partition: 0,
      records: 10,
      outputs: 8,
      deadLetters: 2,
      durationMs: 40,
    });
    listener.on({
      type: "chunk",
      stage: "ingest",
      topic: "in",
      partition: 1,
      records: 5,
      outputs: 5,
      deadLetters: 0,
      durationMs: 10,
    });
    listener.on({
      type: "dead-letter",
      stage: "embedded",
      topic: "in",
      code: "VERDICT_ERR_VALIDATION",
      failedStage: "ingest",
      dlq: "ingest.dlq",
    });
    listener.on({ type: "dead-letter", stage: "ingest", topic: "in", code: "VERDICT_ERR_X" });
    listener.on({ type: "retry", stage: "ingest", topic: "in", attempt: 1, code: "VERDICT_ERR_KAFKA" });
    listener.on({
      type: "record",
      stage: "scoring",
      topic: "scored",
      partition: 0,
      offset: "7",
      headers: {},
      outcome: "ok",
      startedAt: 900,
      ackedAt: 1000,
      timestamp: 800,
      originTimestamp: 500,
      outputs: [{ topic: "verdicts" }, { topic: "review" }],
    });
    listener.on({ type: "batch", stage: "ingest", topic: "in", partition: 3, records: 100, offsetLag: 250 });

    expect(await value(metrics.runnerRecords, { stage: "ingest", topic: "in" })).toBe(15);
    expect(await value(metrics.runnerOutputs, { stage: "ingest", topic: "in" })).toBe(13);
    expect(
      await value(metrics.chunkDuration, { stage: "ingest" }, "verdict_runner_chunk_duration_seconds_count"),
    ).toBe(2);
    expect(
      await value(metrics.chunkDuration, { stage: "ingest" }, "verdict_runner_chunk_duration_seconds_sum"),
    ).toBeCloseTo(0.05);
    expect(
      await value(metrics.deadLetters, {
        failed_stage: "ingest",
        dlq: "ingest.dlq",
        code: "VERDICT_ERR_VALIDATION",
      }),
    ).toBe(1);
    expect(await value(metrics.deadLetters, { stage: "ingest", failed_stage: "ingest", dlq: "" })).toBe(1);
    expect(await value(metrics.retries, { code: "VERDICT_ERR_KAFKA" })).toBe(1);
    expect(
      await value(metrics.recordLatency, { stage: "scoring" }, "verdict_record_latency_seconds_sum"),
    ).toBeCloseTo(0.2);
    // Only outputs on result topics count as verdicts: one observation of 1000 − 500 ms.
    expect(
      await value(metrics.eventAge, { topic: "verdicts" }, "verdict_event_age_at_verdict_seconds_count"),
    ).toBe(1);
    expect(
      await value(metrics.eventAge, { topic: "verdicts" }, "verdict_event_age_at_verdict_seconds_sum"),
    ).toBeCloseTo(0.5);
    expect(
      await value(metrics.eventAge, { topic: "review" }, "verdict_event_age_at_verdict_seconds_count"),
    ).toBeUndefined();
    expect(await value(metrics.fetchLag, { partition: "3" })).toBe(250);
  });

  it("tracks group membership for readiness", async () => {
    const { metrics, listener } = setup();
    expect(listener.groups()).toEqual([]);
    listener.on({
      type: "group",
      stage: "ingest",
      groupId: "verdict.ingest",
      state: "joined",
      partitions: 6,
    });
    expect(listener.groups()).toEqual([
      { stage: "ingest", groupId: "verdict.ingest", state: "joined", partitions: 6, since: 42 },
    ]);
    expect(await value(metrics.groupJoined, { group: "verdict.ingest" })).toBe(1);
    expect(await value(metrics.assignedPartitions, { group: "verdict.ingest" })).toBe(6);
    listener.on({ type: "group", stage: "ingest", groupId: "verdict.ingest", state: "rebalancing" });
    expect(listener.groups()[0]).toMatchObject({ state: "rebalancing", partitions: 6 });
    expect(await value(metrics.groupJoined, { group: "verdict.ingest" })).toBe(0);
  });

  it("a throwing listener never reaches the runner", () => {
    const broken = {
      on: () => {
        throw new Error("boom");
      },
    };
    const { listener } = setup();
    expect(() =>
      emit(combine(broken, listener), { type: "retry", stage: "s", topic: "t", attempt: 1, code: "C" }),
    ).not.toThrow();
  });
});
