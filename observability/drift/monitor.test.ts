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

  it("a feature with a daily cycle: a count window alarms on undrifted traffic, a window spanning the reference's week does not", async () => {
    const HOUR = 3_600_000;
    // 7 night hours in 24, 100 records an hour, time-ordered (a live stream, or a replay).
    const night: ModelReference = {
      domain: "fraud",
      features: { NIGHT: { edges: [0], proportions: [17 / 24, 7 / 24], count: 16_800 } },
      spanMs: 7 * 24 * HOUR,
    };
    const run = async (options: Record<string, unknown>) => {
      const alerts: DriftAlert[] = [];
      let clock = 0;
      const monitor = createDriftMonitor({
        options: parseDriftOptions({ minSamples: 100, ...options }, {}),
        references: async () => night,
        publish: async (a) => void alerts.push(a),
        now: () => clock,
      });
      monitor.observe("m", "1.0.0", {}, 0, 0);
      await monitor.evaluate();
      const evaluatedAt: number[] = [];
      for (let h = 0; h < 14 * 24; h++) {
        for (let i = 0; i < 100; i++)
          monitor.observe("m", "1.0.0", { NIGHT: h % 24 < 7 ? 1 : 0 }, 0.1, h * HOUR + i * 36_000);
        clock = h * HOUR;
        await monitor.evaluate();
        const r = monitor.readings().find((x) => x.feature === "NIGHT")!;
        if (r.psi !== null) evaluatedAt.push(h);
      }
      return { alerts: alerts.filter((a) => a.feature === "NIGHT"), evaluatedAt, monitor };
    };

    // Two hours of records: all night or all day, never the week's mix; it alarms on undrifted traffic.
    const counted = await run({ windowSize: 200 });
    expect(counted.alerts.filter((a) => a.status === "FIRING").length).toBeGreaterThan(100);

    const spanning = await run({}); // the reference's spanMs: a week of event time
    expect(spanning.alerts).toEqual([]);
    expect(spanning.evaluatedAt[0]).toBe(7 * 24 - 7); // compared once a week of traffic is in (less one bucket)
    const reading = spanning.monitor.readings().find((x) => x.feature === "NIGHT")!;
    expect(reading).toMatchObject({ window: "7d of event time", ready: true, samples: 16_800 });
    expect(reading.psi).toBeCloseTo(0, 6);
  });

  it("chooses windows: options first (count or event time), then the reference's span, then 2000 records", async () => {
    const windowOf = async (options: Record<string, unknown>, ref: ModelReference) => {
      const monitor = createDriftMonitor({
        options: parseDriftOptions(options, {}),
        references: async () => ref,
        publish: async () => {},
      });
      monitor.observe("m", "1.0.0", {}, 0);
      await monitor.evaluate();
      return monitor.readings()[0]?.window;
    };
    const spanning = { ...reference, spanMs: 86_400_000 };
    expect(await windowOf({}, spanning)).toBe("1d of event time");
    expect(await windowOf({}, reference)).toBe("2000 records");
    expect(await windowOf({ windowSize: 300 }, spanning)).toBe("300 records");
    expect(await windowOf({ windowMs: 3_600_000 }, reference)).toBe("1h of event time");
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
    expect(parseDriftOptions({}, { VERDICT_DRIFT_WINDOW_MS: "86400000" }).windowMs).toBe(86_400_000);
    expect(() => parseDriftOptions({ windowSize: 300, windowMs: 60_000 }, {})).toThrow(/not both/);
    expect(parseDriftOptions({}, { VERDICT_DRIFT_ENABLED: "off" }).enabled).toBe(false);
    expect(parseDriftOptions({}, { VERDICT_DRIFT_ENABLED: "1" }).enabled).toBe(true);
    // A typo is refused rather than read as "disabled".
    expect(() => parseDriftOptions({}, { VERDICT_DRIFT_ENABLED: "ture" })).toThrow(
      /VERDICT_DRIFT_ENABLED=ture is not a boolean/,
    );
  });
});
