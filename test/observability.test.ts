/**
 * Split mode, four consumer groups (ingest, features, inference, scoring) on the real stack, each
 * with the observability wiring the `verdict stage` command uses: /metrics has non-zero counters and
 * histograms for every stage and runner; a trace id set by the producer reaches the verdict's
 * headers and appears in every stage's log lines (pino JSON captured in a buffer), next to the
 * event id and correlation id.
 */
import { vi } from "vitest";

vi.hoisted(() => {
  process.env.VERDICT_TOPIC_PREFIX = `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}.`;
});

import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDeps } from "../app/deps.ts";
import { buildStage, PIPELINE, StageContext } from "../app/stages.ts";
import { createStageRunner, type StageRunner } from "../consumers/runtime/index.ts";
import { createObservability, type Observability } from "../observability/index.ts";
import { createProducer } from "../producers/sdk/index.ts";
import type { PostSubmitted, TransactionCreated } from "../schemas/generated/types.ts";
import { TOPIC_PREFIX, TOPICS } from "../topology/index.ts";
import { testConnections } from "./support/app.ts";
import { applyTestTopology, deleteTestTopology, readDecoded, waitForCount } from "./support/pipeline.ts";

const lines: string[] = [];
const logger = pino(
  { level: "debug" },
  new Writable({
    write(chunk, _enc, cb) {
      lines.push(...chunk.toString().split("\n").filter(Boolean));
      cb();
    },
  }),
);
const deps = createDeps(testConnections(), logger, "observability-test");
const shared = new StageContext(deps, { state: "memory" });
let obs: Observability;
const runners: StageRunner[] = [];

const TRACE_ID = "0af7651916cd43dd8448eb211c80319c";
const TRACEPARENT = `00-${TRACE_ID}-b7ad6b7169203331-01`;
const now = Date.now();
const N = 40;

const tx = (i: number): TransactionCreated => ({
  eventId: `obs-tx-${i}`,
  transactionId: `tx-${i}`,
  customerId: `c-${i % 7}`,
  terminalId: `t-${i % 5}`,
  amount: 10 + i,
  currency: "EUR",
  occurredAt: now - 60_000 + i,
});
const post = (i: number): PostSubmitted => ({
  eventId: `obs-post-${i}`,
  postId: `p-${i}`,
  authorId: `a-${i % 3}`,
  text: `a perfectly friendly post number ${i}`,
  language: "en",
  occurredAt: now - 60_000 + i,
});

beforeAll(async () => {
  await applyTestTopology(deps);
  obs = createObservability(deps, {
    name: "split-test",
    http: { host: "127.0.0.1", port: 0 },
    drift: { enabled: false },
    processMetrics: false,
    logger,
  });
  const stages = obs.instrument(PIPELINE.map((name) => buildStage(name, shared)));
  for (const stage of stages) {
    const r = createStageRunner(
      stage,
      { kafka: deps.kafka, codec: deps.codec, logger, instrumentation: obs.instrumentation },
      { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1000 },
    );
    obs.track(r, stage);
    runners.push(r);
  }
  await obs.start();
  for (const r of runners) await r.start();
});

afterAll(async () => {
  for (const r of runners) await r.stop();
  await obs?.stop();
  await shared.close();
  await deleteTestTopology(deps.kafka);
  await deps.close();
});

function sample(text: string, name: string, filter: RegExp = /.*/): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if ((line.startsWith(`${name}{`) || line.startsWith(`${name} `)) && filter.test(line)) {
      sum += Number(line.slice(line.lastIndexOf(" ") + 1));
    }
  }
  return sum;
}

describe("observability in split mode", () => {
  it("metrics for every stage; the producer's trace id in the verdict headers and every stage's logs", async () => {
    const producer = await createProducer({ connections: testConnections(), clientId: "obs-test" });
    await producer.publish(TOPICS.transactionCreated, tx(0), {
      traceparent: TRACEPARENT,
      correlationId: "corr-traced",
    });
    await producer.publishMany(
      TOPICS.transactionCreated,
      Array.from({ length: N - 1 }, (_, i) => ({ event: tx(i + 1) })),
    );
    await producer.publishMany(
      TOPICS.postSubmitted,
      Array.from({ length: 10 }, (_, i) => ({ event: post(i) })),
    );
    await producer.close();
    expect(await waitForCount(deps.kafka, TOPICS.fraudVerdicts.name, N, 90_000)).toBe(N);
    expect(await waitForCount(deps.kafka, TOPICS.moderationVerdicts.name, 10, 90_000)).toBe(10);

    // The verdict of the traced transaction carries the producer's trace id (a new span id per hop).
    const verdicts = await readDecoded(deps, TOPICS.fraudVerdicts);
    const traced = verdicts.find((v) => v.value.eventId === "obs-tx-0")!;
    expect(traced.headers.traceparent).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`));
    expect(traced.headers.traceparent).not.toBe(TRACEPARENT);
    expect(traced.headers.correlationId).toBe("corr-traced");

    // Each stage logged the record with trace id, correlation id, event id and where it came from.
    const logged = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.traceId === TRACE_ID);
    for (const stage of PIPELINE) {
      const own = logged.filter((l) => l.stage === stage);
      expect(own.length, `${stage} log lines with the trace id`).toBeGreaterThan(0);
      expect(own[0]).toMatchObject({
        correlationId: "corr-traced",
        groupId: `${TOPIC_PREFIX}verdict.${stage}`,
        step: stage,
        msg: "stage processed record",
      });
      expect(own[0]!.eventId).toEqual(expect.any(String));
      expect(own[0]!.topic).toEqual(expect.stringContaining(TOPIC_PREFIX));
      expect(own[0]!.offset).toEqual(expect.any(String));
    }

    // /metrics: non-zero counters and histograms for every stage and runner, lag and model gauges.
    await obs.lag.refresh();
    const text = await (await fetch(`${obs.server!.url()}/metrics`)).text();
    for (const stage of PIPELINE) {
      const own = new RegExp(`stage="${stage}"`);
      expect(sample(text, "verdict_stage_records_in_total", own), stage).toBeGreaterThan(0);
      expect(sample(text, "verdict_stage_processing_seconds_count", own), stage).toBeGreaterThan(0);
      expect(sample(text, "verdict_runner_records_total", own), stage).toBeGreaterThan(0);
      expect(sample(text, "verdict_runner_chunk_duration_seconds_count", own), stage).toBeGreaterThan(0);
      expect(sample(text, "verdict_record_latency_seconds_count", own), stage).toBeGreaterThan(0);
      expect(text).toMatch(
        new RegExp(
          `^verdict_consumer_lag\\{group="${TOPIC_PREFIX.replace(/\./g, "\\.")}verdict\\.${stage}"`,
          "m",
        ),
      );
      expect(text).toMatch(new RegExp(`^verdict_consumer_group_joined\\{stage="${stage}".*\\} 1$`, "m"));
    }
    expect(sample(text, "verdict_event_age_at_verdict_seconds_count", /verdicts\.fraud\.v1/)).toBe(N);
    expect(sample(text, "verdict_decisions_total", /domain="fraud"/)).toBe(N);
    expect(sample(text, "verdict_inference_batch_size_count")).toBeGreaterThan(0);
    expect(text).toMatch(/^verdict_model_info\{domain="fraud",.*role="active"\} 1$/m);
    const ready = await (await fetch(`${obs.server!.url()}/readyz`)).json();
    expect(ready).toMatchObject({ ready: true });
  });
});
