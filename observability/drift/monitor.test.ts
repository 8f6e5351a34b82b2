import { describe, expect, it } from "vitest";
import type { DriftAlert, Scored, TransactionFeatures } from "../../schemas/generated/types.ts";
import { createMetricsRegistry, createPipelineMetrics } from "../metrics/pipeline-metrics.ts";
import { createDriftMonitor, type ModelReference, textStatistics } from "./monitor.ts";
import { parseDriftOptions } from "./options.ts";

const reference: ModelReference = {
  domain: "fraud",
  features: {
    AMOUNT: { edges: [10, 20], proportions: [0.3, 0.4, 0.3], count: 1000 },
    FLAG: { edges: [0], proportions: [0.5, 0.5], count: 1000 },
  },
  score: { edges: [0.5], proportions: [0.9, 0.1], count: 1000 },
};

function setup(overrides = {}) {
  const alerts: DriftAlert[] = [];
  const metrics = createPipelineMetrics(createMetricsRegistry({ processMetrics: false }));
  let t = 1_000_000;
  const monitor = createDriftMonitor({
    options: parseDriftOptions({ windowSize: 100, minSamples: 50, repeatAfterMs: 60_000, ...overrides }, {}),
    references: async (name) => (name === "m" ? reference : undefined),
    publish: async (a) => void alerts.push(a),
    metrics,
    now: () => t,
    source: "test",
  });
  return { monitor, alerts, metrics, advance: (ms: number) => (t += ms) };
}

/** Values spread like the reference: 30 % ≤ 10, 40 % in (10, 20], 30 % above. */
const like = (i: number) => [5, 5, 5, 15, 15, 15, 15, 25, 25, 25][i % 10]!;

async function feed(monitor: ReturnType<typeof setup>["monitor"], n: number, amount: (i: number) => number) {
  monitor.observe("m", "1.0.0", { AMOUNT: 0, FLAG: 0 }, 0); // first sight: the reference loads
  await monitor.evaluate();
  for (let i = 0; i < n; i++)
    monitor.observe("m", "1.0.0", { AMOUNT: amount(i), FLAG: i % 2 }, i % 10 === 0 ? 0.9 : 0.1);
}

describe("drift monitor", () => {
  it("stays quiet on reference-like traffic and says nothing before minSamples", async () => {
    const { monitor, alerts } = setup();
    await feed(monitor, 40, like);
    await monitor.evaluate();
    expect(monitor.readings().every((r) => r.psi === null)).toBe(true);
    await feed(monitor, 100, like);
    await monitor.evaluate();
    expect(alerts).toEqual([]);
    const amount = monitor.readings().find((r) => r.feature === "AMOUNT")!;
    expect(amount.psi).toBeCloseTo(0, 6);
    expect(amount.samples).toBe(100);
  });

  it("fires once on drift, repeats after repeatAfterMs, resolves below the resolve threshold", async () => {
    const { monitor, alerts, metrics, advance } = setup();
    await feed(monitor, 100, (i) => like(i) * 5); // everything lands above 20
    await monitor.evaluate();
    const fired = alerts.filter((a) => a.feature === "AMOUNT");
    expect(fired).toHaveLength(1);
    expect(fired[0]).toMatchObject({
      model: "m",
      version: "1.0.0",
      domain: "fraud",
      status: "FIRING",
      statistic: "PSI",
      threshold: 0.25,
      windowSize: 100,
      referenceCount: 1000,
      source: "test",
    });
    expect(fired[0]!.value).toBeGreaterThan(1);
    expect(fired[0]!.actual).toEqual([0, 0, 1]);
    expect(fired[0]!.expected).toEqual([0.3, 0.4, 0.3]);
    expect(alerts.some((a) => a.feature === "FLAG" || a.feature === "score")).toBe(false);

    await monitor.evaluate(); // still drifting, within repeatAfterMs: no new event
    expect(alerts.filter((a) => a.feature === "AMOUNT")).toHaveLength(1);
    advance(60_000);
    await monitor.evaluate();
    expect(alerts.filter((a) => a.feature === "AMOUNT")).toHaveLength(2);

    await feed(monitor, 100, like); // the window is reference-like again
    await monitor.evaluate();
    const last = alerts.filter((a) => a.feature === "AMOUNT").at(-1)!;
    expect(last.status).toBe("RESOLVED");
    expect(last.threshold).toBe(0.1);

    const psiGauge = (await metrics.driftPsi.get()).values.find((v) => v.labels.feature === "AMOUNT");
    expect(psiGauge?.value).toBeCloseTo(0, 6);
    const counted = (await metrics.driftAlerts.get()).values.filter((v) => v.labels.feature === "AMOUNT");
    expect(counted.map((v) => [v.labels.status, v.value]).sort()).toEqual([
      ["FIRING", 2],
      ["RESOLVED", 1],
    ]);
  });

  it("watches only the configured features, and ignores models without a reference", async () => {
    const { monitor, alerts } = setup({ features: ["AMOUNT"] });
    await feed(monitor, 100, (i) => like(i) * 5);
    monitor.observe("other", "1.0.0", { AMOUNT: 1 }, 0.5);
    await monitor.evaluate();
    expect(
      monitor
        .readings()
        .map((r) => r.feature)
        .sort(),
    ).toEqual(["AMOUNT", "score"]);
    expect(alerts.map((a) => a.feature)).toEqual(["AMOUNT"]);
  });

  it("takes features and score from Scored outputs, skipping rule decisions", async () => {
    const { monitor } = setup({ windowSize: 10, minSamples: 1 });
    const input = { features: {} } as unknown as TransactionFeatures;
    const scored = (provider: string) =>
      ({
        score: 0.7,
        model: { name: "m", version: "1.0.0", provider },
        features: { AMOUNT: 50, FLAG: 1 },
      }) as unknown as Scored;
    monitor.observeScored(input, scored("cpu"));
    await monitor.evaluate();
    monitor.observeScored(input, scored("cpu"));
    monitor.observeScored(input, scored("rules"));
    await monitor.evaluate();
    expect(monitor.readings().find((r) => r.feature === "AMOUNT")?.samples).toBe(1);
  });

  it("text statistics follow training (len() code points, str.split())", () => {
    expect(textStatistics("  hello   wörld 🎉 ")).toEqual({ textLength: 18, tokenCount: 3 });
    expect(textStatistics("")).toEqual({ textLength: 0, tokenCount: 0 });
  });

  it("options: env fills in, input wins, bad combinations name the setting", () => {
    const o = parseDriftOptions(
      { windowSize: 300 },
      { VERDICT_DRIFT_WINDOW: "999", VERDICT_DRIFT_PSI_ALERT: "0.5", VERDICT_DRIFT_FEATURES: "A, B" },
    );
    expect(o).toMatchObject({ windowSize: 300, alertThreshold: 0.5, features: ["A", "B"], minSamples: 300 });
    expect(parseDriftOptions({}, {}).minSamples).toBe(500);
    expect(() => parseDriftOptions({ windowSize: 300, minSamples: 301 }, {})).toThrow(/minSamples/);
    expect(() => parseDriftOptions({}, { VERDICT_DRIFT_PSI_RESOLVE: "0.9" })).toThrow(/resolveThreshold/);
  });
});
