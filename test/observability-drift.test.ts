/**
 * Drift, end to end: simulated transactions with every amount × 5 run through the real fused
 * pipeline; the drift monitor compares the inference stage's TX_AMOUNT window with fraud-gbt's
 * model.json reference, publishes a FIRING alert on monitoring.drift-alerts.v1 and sets the gauges;
 * `verdict drift alerts` (a child process) shows it. The unit tests (observability/drift) show the
 * same simulator without the × 5 stays below the threshold.
 */
import { vi } from "vitest";

vi.hoisted(() => {
  process.env.VERDICT_TOPIC_PREFIX = `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}.`;
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildStage, PIPELINE, StageContext } from "../app/stages.ts";
import { createStageRunner, fuse, type StageRunner } from "../consumers/runtime/index.ts";
import { createObservability, type Observability } from "../observability/index.ts";
import { publishStream, transactionSource } from "../producers/publish/index.ts";
import { createProducer } from "../producers/sdk/index.ts";
import type { TransactionCreated } from "../schemas/generated/types.ts";
import { TOPICS } from "../topology/index.ts";
import { testConnections, testDeps } from "./support/app.ts";
import { spawnVerdict } from "./support/child.ts";
import { applyTestTopology, deleteTestTopology, readDecoded, waitForCount } from "./support/pipeline.ts";

const deps = testDeps();
const shared = new StageContext(deps, { state: "memory" });
let obs: Observability;
let runner: StageRunner;
const DAY = 86_400_000;

beforeAll(async () => {
  await applyTestTopology(deps);
  obs = createObservability(deps, {
    name: "drift-test",
    http: false,
    processMetrics: false,
    // A window small enough for a short test; TX_AMOUNT only, so cold-start feature windows
    // (counts over 7 and 30 days start empty) do not add alerts of their own.
    drift: { windowSize: 300, minSamples: 300, intervalMs: 500, features: ["TX_AMOUNT"] },
  });
  const stage = fuse(obs.instrument(PIPELINE.map((n) => buildStage(n, shared))), { name: "drift" });
  runner = createStageRunner(
    stage,
    { kafka: deps.kafka, codec: deps.codec, logger: deps.logger, instrumentation: obs.instrumentation },
    { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1000 },
  );
  obs.track(runner, stage);
  await obs.start();
  await runner.start();
});

afterAll(async () => {
  await runner?.stop();
  await obs?.stop();
  await shared.close();
  await deleteTestTopology(deps.kafka);
  await deps.close();
});

describe("drift monitoring", () => {
  it("drifted amounts raise a FIRING alert on the topic and in the metrics; the CLI lists it", async () => {
    const producer = await createProducer({ connections: testConnections(), clientId: "drift-test" });
    const days = 4;
    const offsetMs = Date.now() - (Date.UTC(2018, 3, 1) + (days + 1) * DAY);
    let published = 0;
    async function* drifted() {
      for await (const item of transactionSource(
        { days, customers: 150, terminals: 300, seed: 5 },
        { withLabels: false, offsetMs },
      )) {
        const event = item.event as TransactionCreated;
        published++;
        yield { ...item, event: { ...event, amount: Math.round(event.amount * 5 * 100) / 100 } };
      }
    }
    await publishStream(producer, drifted());
    await producer.close();
    expect(published).toBeGreaterThan(400);

    expect(await waitForCount(deps.kafka, TOPICS.driftAlerts.name, 1, 90_000)).toBeGreaterThanOrEqual(1);
    const alerts = await readDecoded(deps, TOPICS.driftAlerts);
    const alert = alerts.find((a) => a.value.feature === "TX_AMOUNT" && a.value.status === "FIRING");
    expect(alert, JSON.stringify(alerts.map((a) => a.value))).toBeDefined();
    expect(alert!.key).toBe(alert!.value.model);
    expect(alert!.value).toMatchObject({
      domain: "fraud",
      statistic: "PSI",
      threshold: 0.25,
      windowSize: 300,
    });
    expect(alert!.value.value).toBeGreaterThan(0.25);
    // Almost everything lands in the reference's top decile (amounts above ~110).
    expect(alert!.value.actual.at(-1)).toBeGreaterThan(0.5);

    const firing = (await obs.metrics.driftAlerting.get()).values.find(
      (v) => v.labels.feature === "TX_AMOUNT",
    );
    expect(firing?.value).toBe(1);
    const psi = (await obs.metrics.driftPsi.get()).values.find((v) => v.labels.feature === "TX_AMOUNT");
    expect(psi?.value).toBeGreaterThan(0.25);

    const cli = spawnVerdict(["drift", "alerts", "--model", alert!.value.model]);
    const code = await new Promise<number | null>((resolve) => cli.process.once("exit", resolve));
    expect(code, cli.output()).toBe(0);
    expect(cli.output()).toMatch(
      /FIRING\s+fraud-[a-z]+@\d+\.\d+\.\d+\s+TX_AMOUNT\s+\d+\.\d{3}\s+0\.25\s+300/,
    );
  });
});
