import { describe, expect, it } from "vitest";
import { silentLogger } from "../../lib/log/index.ts";
import { TOPICS } from "../../topology/index.ts";
import { FusedStageError, fuse } from "./fuse.ts";
import type { Stage, StageContext, StageOutput } from "./types.ts";

// Values are opaque to fuse(): tiny stand-ins for the real records, routed by topic.
type V = { eventId: string; path: string[] };
const out = (topic: StageOutput["topic"], v: V): StageOutput => ({ topic, value: v as never });

function stage(
  name: string,
  from: StageOutput["topic"],
  to: StageOutput["topic"][],
  mode: "sync" | "async",
  seen?: StageContext[],
): Stage {
  return {
    name,
    concurrency: "per-key",
    produces: to,
    inputs: [
      {
        topic: from,
        handle: (value: unknown, ctx: StageContext) => {
          seen?.push(ctx);
          const v = value as V;
          if (v.path.includes(`fail@${name}`)) {
            if (mode === "sync") throw new TypeError(`bad record in ${name}`);
            return Promise.reject(new Error(`bad record in ${name}`));
          }
          const outputs = to.map((t, i) =>
            out(t, { eventId: `${v.eventId}/${name}${i}`, path: [...v.path, name] }),
          );
          return mode === "sync"
            ? outputs
            : new Promise<StageOutput[]>((r) => setTimeout(() => r(outputs), 1));
        },
      },
    ],
  };
}

const ctx: StageContext = {
  stage: "fused",
  topic: TOPICS.transactionCreated.name,
  partition: 3,
  offset: "42",
  key: "card-1",
  headers: {
    eventId: "e1",
    correlationId: "c1",
    traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
  },
  timestamp: 1,
  attempt: 1,
  logger: silentLogger(),
  signal: new AbortController().signal,
  now: () => 1,
};

function chain(modes: ("sync" | "async")[], seen?: StageContext[], emitIntermediate = false) {
  const t = TOPICS;
  return fuse(
    [
      stage("ingest", t.transactionCreated, [t.transactionIngested], modes[0]!, seen),
      stage("features", t.transactionIngested, [t.transactionFeatures], modes[1]!, seen),
      // two outputs: one routed on, one leaving the process
      stage("inference", t.transactionFeatures, [t.transactionScored, t.shadowScored], modes[2]!, seen),
      stage("scoring", t.transactionScored, [t.fraudVerdicts], modes[3]!, seen),
    ],
    { emitIntermediate },
  );
}

const handle = (s: Stage, path: string[] = []) =>
  s.inputs[0]!.handle({ eventId: "e1", path } as never, ctx) as StageOutput[] | Promise<StageOutput[]>;

describe("fuse()", () => {
  for (const modes of [
    ["sync", "sync", "sync", "sync"],
    ["sync", "sync", "async", "sync"],
    ["async", "async", "async", "async"],
  ] as const) {
    it(`chains ${modes.join("/")} stages in memory; outputs in order, only external topics leave`, async () => {
      const seen: StageContext[] = [];
      const fused = chain([...modes], seen);
      expect(fused.inputs.map((i) => i.topic.name)).toEqual([TOPICS.transactionCreated.name]);
      const result = await handle(fused);
      expect(result.map((o) => o.topic.name)).toEqual([TOPICS.fraudVerdicts.name, TOPICS.shadowScored.name]);
      expect((result[0]!.value as unknown as V).path).toEqual(["ingest", "features", "inference", "scoring"]);
      // every hop sees its stage name, the topic it consumes, the record's position and key
      expect(seen.map((c) => c.stage)).toEqual(["ingest", "features", "inference", "scoring"]);
      expect(seen.map((c) => c.topic)).toEqual([
        TOPICS.transactionCreated.name,
        TOPICS.transactionIngested.name,
        TOPICS.transactionFeatures.name,
        TOPICS.transactionScored.name,
      ]);
      expect(
        seen.every((c) => c.key === "card-1" && c.offset === "42" && c.headers.correlationId === "c1"),
      ).toBe(true);
      // in-process hops mint no headers: every stage sees the fetched record's
      expect(seen.every((c) => c.headers === ctx.headers)).toBe(true);
      expect(seen[3]!.logger).toBe(ctx.logger);
    });
  }

  it("a sync chain returns without a promise (no microtask per hop)", () => {
    const result = handle(chain(["sync", "sync", "sync", "sync"]));
    expect(Array.isArray(result)).toBe(true);
  });

  it("emits intermediate outputs for audit when asked, in causal order", async () => {
    const result = await handle(chain(["sync", "async", "sync", "sync"], undefined, true));
    expect(result.map((o) => o.topic.name)).toEqual([
      TOPICS.transactionIngested.name,
      TOPICS.transactionFeatures.name,
      TOPICS.transactionScored.name,
      TOPICS.fraudVerdicts.name,
      TOPICS.shadowScored.name,
    ]);
  });

  for (const mode of ["sync", "async"] as const) {
    it(`a ${mode} failure names the fused stage that failed`, async () => {
      const fused = chain([mode, mode, mode, mode]);
      const error = await Promise.resolve()
        .then(() => handle(fused, ["fail@features"]))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FusedStageError);
      expect((error as FusedStageError).failedStage).toBe("features");
      expect((error as Error).message).toMatch(/^\[features\] bad record in features/);
      // a TypeError is a bug in the stage, not worth retrying; a plain Error may be transient
      expect((error as FusedStageError).retriable).toBe(mode === "async");
    });
  }
});

describe("fuse: releasing the key before a stateless tail", () => {
  const chain = (statelessFrom: string[]) =>
    fuse(
      [
        stage("ingest", TOPICS.transactionCreated, [TOPICS.transactionIngested], "sync"),
        stage("features", TOPICS.transactionIngested, [TOPICS.transactionFeatures], "sync"),
        stage("inference", TOPICS.transactionFeatures, [TOPICS.transactionScored], "async"),
        stage("scoring", TOPICS.transactionScored, [TOPICS.fraudVerdicts], "sync"),
      ].map((s) => ({ ...s, stateless: statelessFrom.includes(s.name) })),
      { concurrency: "per-key" },
    );
  const runWith = (fused: Stage, releaseKey: () => void) =>
    fused.inputs[0]!.handle({ eventId: "e1", path: [] } as never, { ...ctx, releaseKey });

  it("releases once the record enters the first stage from which every stage on is stateless", async () => {
    const order: string[] = [];
    const fused = chain(["inference", "scoring"]);
    const result = runWith(fused, () => order.push("released"));
    order.push("returned");
    expect(order).toEqual(["released", "returned"]); // before inference's promise, after the sync features
    expect(await result).toHaveLength(1);
  });

  it("does not release when a stateful stage follows a stateless one", async () => {
    const released: string[] = [];
    await runWith(chain(["inference"]), () => released.push("first")); // scoring is not stateless here
    await runWith(chain(["ingest", "inference", "scoring"]), () => released.push("second")); // features in between
    expect(new Set(released)).toEqual(new Set(["second"])); // only the second chain (at inference, again at scoring)
  });
});
