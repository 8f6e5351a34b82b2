import { Writable } from "node:stream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { fuse, input, type Stage, type StageContext } from "../../consumers/runtime/index.ts";
import { VerdictError } from "../../lib/errors/index.ts";
import type { FraudVerdict, TransactionCreated, TransactionIngested } from "../../schemas/generated/types.ts";
import { TOPICS } from "../../topology/index.ts";
import { createMetricsRegistry, createPipelineMetrics } from "./pipeline-metrics.ts";
import { stageMetricsObserver } from "./stage-metrics.ts";
import { instrumentStage, type StageObservation } from "./stage-probe.ts";

function context(lines: string[]): StageContext {
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return {
    stage: "fused",
    topic: TOPICS.transactionCreated.name,
    partition: 0,
    offset: "0",
    key: "c-1",
    headers: {
      traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      correlationId: "corr-1",
      eventId: "e-1",
    },
    timestamp: 0,
    attempt: 1,
    logger: pino({ level: "debug" }, sink).child({ traceId: "4bf92f3577b34da6a3ce929d0e0e4736" }),
    signal: new AbortController().signal,
    now: () => 0,
  };
}

const ingest: Stage = {
  name: "ingest",
  produces: [TOPICS.transactionIngested],
  inputs: [
    input(TOPICS.transactionCreated, (tx: TransactionCreated) => {
      if (tx.amount < 0) throw new VerdictError("VERDICT_ERR_VALIDATION", "negative", { retriable: false });
      return [{ topic: TOPICS.transactionIngested, value: { ...tx } as unknown as TransactionIngested }];
    }),
  ],
};
const scoring: Stage = {
  name: "scoring",
  inputs: [
    input(TOPICS.transactionIngested, (tx: TransactionIngested) => [
      {
        topic: TOPICS.fraudVerdicts,
        value: { eventId: tx.eventId, customerId: tx.customerId, decision: "APPROVE" } as FraudVerdict,
      },
    ]),
  ],
};

describe("stage probe", () => {
  it("counts in/out/errors per logical stage inside a fused chain, and logs each hop with the trace id", async () => {
    const metrics = createPipelineMetrics(createMetricsRegistry({ processMetrics: false }));
    const seen: StageObservation[] = [];
    const observers = [
      stageMetricsObserver(metrics),
      (o: StageObservation) => void seen.push(o),
      () => {
        throw new Error("a broken observer");
      },
    ];
    const fused = fuse([ingest, scoring].map((s) => instrumentStage(s, observers)));
    const lines: string[] = [];
    const tx = {
      eventId: "e-1",
      transactionId: "t-1",
      customerId: "c-1",
      terminalId: "x",
      amount: 5,
      currency: "EUR",
      occurredAt: 0,
    };
    const out = await fused.inputs[0]!.handle(tx as never, context(lines));
    expect(out.map((o) => o.topic.name)).toEqual([TOPICS.fraudVerdicts.name]);
    await expect(fused.inputs[0]!.handle({ ...tx, amount: -1 } as never, context(lines))).rejects.toThrow(
      /negative/,
    );

    const get = async (m: {
      get(): Promise<{ values: { value: number; labels: Record<string, unknown> }[] }>;
    }) =>
      (await m.get()).values.map((v) => [
        v.labels.stage,
        v.labels.topic ?? v.labels.code ?? v.labels.decision,
        v.value,
      ]);
    expect(await get(metrics.stageIn)).toEqual([
      ["ingest", TOPICS.transactionCreated.name, 2],
      ["scoring", TOPICS.transactionIngested.name, 1],
    ]);
    expect(await get(metrics.stageOut)).toEqual([
      ["ingest", TOPICS.transactionIngested.name, 1],
      ["scoring", TOPICS.fraudVerdicts.name, 1],
    ]);
    expect(await get(metrics.stageErrors)).toEqual([["ingest", "VERDICT_ERR_VALIDATION", 1]]);
    expect((await metrics.decisions.get()).values).toMatchObject([
      { labels: { domain: "fraud", decision: "APPROVE" }, value: 1 },
    ]);
    expect(seen.map((o) => [o.stage, o.error === undefined])).toEqual([
      ["ingest", true],
      ["scoring", true],
      ["ingest", false],
    ]);
    // The fused hop into scoring carries the derived headers: same trace, new span.
    expect(seen[1]!.ctx.headers.traceparent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-/);
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged.map((l) => l.step)).toEqual(["ingest", "scoring", "ingest"]);
    expect(logged.every((l) => l.traceId === "4bf92f3577b34da6a3ce929d0e0e4736")).toBe(true);
  });

  it("keeps the wrapped stage's own members", () => {
    const stage = { ...ingest, status: () => "fine" };
    expect(instrumentStage(stage, []).status()).toBe("fine");
  });
});
