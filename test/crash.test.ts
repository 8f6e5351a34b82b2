/**
 * Kill -9 of the running features stage (fused behind ingest, state in Redis), several times, then
 * restart: no input without output, and in exactly-once mode no duplicate output (a checker counts
 * committed outputs per event id). Also a Redis restart mid-run: the stage recovers, nothing lost.
 */
import { vi } from "vitest";

vi.hoisted(() => {
  process.env.VERDICT_TOPIC_PREFIX = `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}.`;
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publishStream, transactionSource } from "../producers/publish/index.ts";
import { createProducer } from "../producers/sdk/index.ts";
import { TOPICS } from "../topology/index.ts";
import { testConnections, testDeps } from "./support/app.ts";
import { type Child, spawnVerdict, type ThrowawayRedis, throwawayRedis } from "./support/child.ts";
import { applyTestTopology, deleteTestTopology, readDecoded, waitForCount } from "./support/pipeline.ts";

const deps = testDeps();
const children: Child[] = [];
let redis: ThrowawayRedis | undefined;
const DAY = 86_400_000;

beforeAll(async () => {
  await applyTestTopology(deps);
});

afterAll(async () => {
  for (const c of children) await c.kill9().catch(() => {});
  await redis?.kill9();
  await deleteTestTopology(deps.kafka);
  await deps.close();
});

async function publishTransactions(days: number, seed: number): Promise<Set<string>> {
  const producer = await createProducer({ connections: testConnections(), clientId: "crash-test" });
  // Rebase the 2018 simulation to end now: ingestion refuses event times in the future.
  const offsetMs = Date.now() - (Date.UTC(2018, 3, 1) + (days + 1) * DAY);
  const ids = new Set<string>();
  async function* tracked() {
    for await (const item of transactionSource(
      { days, customers: 400, terminals: 800, seed },
      { withLabels: false, offsetMs },
    )) {
      ids.add((item.event as { eventId: string }).eventId);
      yield item;
    }
  }
  try {
    await publishStream(producer, tracked());
    return ids;
  } finally {
    await producer.close();
  }
}

function startStage(stages: string[], delivery: string, env: Record<string, string> = {}): Child {
  const child = spawnVerdict(
    [
      "stage",
      ...stages,
      "--fused",
      "--delivery",
      delivery,
      "--state",
      "redis",
      "--session-timeout",
      "6000",
      "--instance-id",
      "crash-0",
    ],
    env,
  );
  children.push(child);
  return child;
}

/** Runs the stage, kill -9s it three times mid-run, restarts, waits for all outputs; returns counts per event id. */
async function crashAndRecover(
  delivery: string,
  inputs: Set<string>,
): Promise<{ perEvent: Map<string, number>; killedAt: number[] }> {
  const output = TOPICS.transactionFeatures;
  const ours = async () => (await readDecoded(deps, output)).filter((o) => inputs.has(o.value.eventId));
  const killedAt: number[] = [];
  for (let kill = 0; kill < 3; kill++) {
    const child = startStage(["ingest", "features"], delivery);
    // Let it make some progress (cheap high-watermark polling), then kill it mid-run.
    const before = await waitForCount(deps.kafka, output.name, 0);
    await waitForCount(deps.kafka, output.name, before + inputs.size / 10, 90_000);
    await child.kill9();
    killedAt.push(new Set((await ours()).map((o) => o.value.eventId)).size);
  }
  const final = startStage(["ingest", "features"], delivery);
  let outputs = await ours();
  const deadline = Date.now() + 120_000;
  while (new Set(outputs.map((o) => o.value.eventId)).size < inputs.size && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 3000));
    outputs = await ours();
  }
  expect(new Set(outputs.map((o) => o.value.eventId)).size, final.output()).toBe(inputs.size);
  expect(await final.stop(), final.output()).toBe(0);
  // Per-key order: within each customer, event times never go backwards (first occurrence of each event).
  const lastByKey = new Map<string, number>();
  const firstSeen = new Set<string>();
  for (const o of outputs) {
    if (firstSeen.has(o.value.eventId)) continue;
    firstSeen.add(o.value.eventId);
    expect(o.value.occurredAt).toBeGreaterThanOrEqual(lastByKey.get(o.key!) ?? 0);
    lastByKey.set(o.key!, o.value.occurredAt);
  }
  const perEvent = new Map<string, number>();
  for (const o of outputs) perEvent.set(o.value.eventId, (perEvent.get(o.value.eventId) ?? 0) + 1);
  return { perEvent, killedAt };
}

describe("kill -9 and restart", () => {
  it("exactly-once: every input yields exactly one committed output across three kill -9s", async () => {
    const inputs = await publishTransactions(10, 7);
    expect(inputs.size).toBeGreaterThan(5000);
    const { perEvent, killedAt } = await crashAndRecover("exactly-once", inputs);
    // The kills really happened mid-run.
    expect(killedAt[0]).toBeLessThan(inputs.size);
    expect(perEvent.size).toBe(inputs.size); // none lost
    expect([...perEvent.values()].filter((n) => n > 1)).toEqual([]); // none duplicated (read_committed)
  }, 400_000);

  it("at-least-once: no input is lost across three kill -9s (repeats carry the same event id)", async () => {
    const inputs = await publishTransactions(10, 8);
    const { perEvent, killedAt } = await crashAndRecover("at-least-once", inputs);
    expect(killedAt[0]).toBeLessThan(inputs.size);
    expect(perEvent.size).toBe(inputs.size);
  }, 400_000);

  it("Redis restart mid-run: the features stage recovers and no record is lost", async () => {
    redis = await throwawayRedis();
    const inputs = await publishTransactions(10, 9);
    const output = TOPICS.transactionFeatures;
    const before = await waitForCount(deps.kafka, output.name, 0);
    const child = startStage(["ingest", "features"], "at-least-once", { REDIS_URL: redis.url });
    await waitForCount(deps.kafka, output.name, before + inputs.size / 5, 90_000);
    await redis.kill9();
    await new Promise((r) => setTimeout(r, 2000)); // the stage sees Redis down and retries
    await redis.start();
    const ours = async () => (await readDecoded(deps, output)).filter((o) => inputs.has(o.value.eventId));
    let outputs = await ours();
    const deadline = Date.now() + 120_000;
    while (new Set(outputs.map((o) => o.value.eventId)).size < inputs.size && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 3000));
      outputs = await ours();
    }
    expect(new Set(outputs.map((o) => o.value.eventId)).size, child.output()).toBe(inputs.size);
    // The outage really hit the stage mid-run: it retried feature-store calls, then carried on.
    expect(child.output()).toMatch(/VERDICT_ERR_FEATURE_STORE/);
    expect(await child.stop()).toBe(0);
  }, 300_000);
});
