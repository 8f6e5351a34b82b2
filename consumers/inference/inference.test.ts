import { afterEach, describe, expect, it, vi } from "vitest";
import { silentLogger } from "../../lib/log/index.ts";
import type { Scored } from "../../schemas/generated/types.ts";
import { TOPICS, type TopicDescriptor } from "../../topology/index.ts";
import { parseRunnerSettings, processChunk, type StageContext, type StageOutput } from "../runtime/index.ts";
import {
  createInferenceStage,
  type DomainStatus,
  describeServing,
  type InferenceDeps,
  type InferenceStage,
  servingVersions,
} from "./inference.ts";
import { inCanary } from "./model-slot.ts";
import { onnxRuntime } from "./onnx/onnx-runtime.ts";
import type { InferenceSettingsInput } from "./options.ts";
import { ModelRegistry } from "./registry/registry.ts";
import { FakeRuntime } from "./testing/fake-runtime.ts";
import {
  FIXTURE_FRAUD_FEATURES,
  post,
  tempModels,
  tempModelsWithScreen,
  transaction,
} from "./testing/fixtures.ts";

const FEATURES = { fraud: FIXTURE_FRAUD_FEATURES, moderation: ["length"] };
const started: InferenceStage[] = [];

afterEach(async () => {
  for (const s of started.splice(0)) await s.stop();
});

async function stage(extra: Partial<InferenceDeps> & { root?: string } = {}): Promise<InferenceStage> {
  // a FakeRuntime does not score like the fixtures: leave their parity samples out
  const fake = !extra.runtime || extra.runtime instanceof FakeRuntime;
  const root = extra.root ?? (await tempModels({ parity: !fake }));
  const registry = extra.registry ?? new ModelRegistry({ root });
  const s = createInferenceStage({
    features: FEATURES,
    registry,
    runtime: extra.runtime ?? new FakeRuntime(),
    ...extra,
    settings: {
      providers: "cpu",
      models: { fraud: { name: "fraud-lr", version: undefined }, moderation: { name: "moderation-lr" } },
      batching: { maxQueueDelayMs: 2 },
      registry: { root, watch: false },
      ...extra.settings,
    },
  });
  await s.start();
  started.push(s);
  return s;
}

const quiet = silentLogger();

function ctx(key: string, extra: Partial<StageContext> = {}): StageContext {
  return {
    stage: "inference",
    topic: TOPICS.transactionFeatures.name,
    partition: 0,
    offset: "0",
    key,
    headers: {},
    timestamp: Date.now(),
    attempt: 1,
    logger: quiet,
    signal: new AbortController().signal,
    now: Date.now,
    ...extra,
  };
}

const handler = (s: InferenceStage, topic: TopicDescriptor = TOPICS.transactionFeatures) =>
  s.inputs.find((i) => i.topic.name === topic.name)!.handle as (
    v: unknown,
    c: StageContext,
  ) => Promise<StageOutput[]>;
const value = (o: StageOutput) => o.value as Scored;

describe("inference stage", () => {
  it("declares per-key concurrency, its inputs and every topic it produces", async () => {
    const s = await stage();
    expect(s.concurrency).toBe("per-key");
    expect(s.inputs.map((i) => i.topic.name)).toEqual([
      TOPICS.transactionFeatures.name,
      TOPICS.postFeatures.name,
    ]);
    expect(s.produces?.map((t) => t.name)).toEqual([
      TOPICS.transactionScored.name,
      TOPICS.postScored.name,
      TOPICS.shadowScored.name,
    ]);
  });

  it("turns one features record into one Scored, keyed like the input, with model, provider and timings", async () => {
    const s = await stage({
      settings: { models: { fraud: { name: "fraud-lr", version: "1.0.0", shadow: [] } } },
    });
    const tx = transaction(1, "cust-42");
    const out = await handler(s)(tx, ctx("cust-42"));
    expect(out).toHaveLength(1);
    expect(out[0]!.topic).toBe(TOPICS.transactionScored);
    expect(out[0]!.key).toBe("cust-42");
    const v = value(out[0]!);
    expect(v).toMatchObject({
      eventId: tx.eventId,
      domain: "FRAUD",
      subjectId: tx.transactionId,
      key: "cust-42",
      occurredAt: tx.occurredAt,
      model: { name: "fraud-lr", version: "1.0.0", provider: "cpu" },
      features: tx.features,
      ruleHits: [],
    });
    expect(Object.keys(v.timings).sort()).toEqual([
      "inference_batch_size",
      "inference_input_age_ms",
      "inference_ms",
      "inference_queue_ms",
      "inference_run_ms",
    ]);
    expect(s.activeProvider("fraud")).toBe("cpu");
  });

  it("under the per-key runner: batches fill across keys, outputs come back in input order", async () => {
    const runtime = new FakeRuntime({ providers: { cpu: { delayMs: 3 } } });
    const s = await stage({ runtime });
    const records = Array.from({ length: 64 }, (_, i) => transaction(i, `c${i % 16}`));
    const order: string[] = [];
    const probes = runtime.runs.length; // the load-time self-check runs
    const results = await processChunk(
      records.map((tx) => ({
        key: tx.customerId,
        run: async () => {
          const out = await handler(s)(tx, ctx(tx.customerId));
          order.push(tx.eventId);
          return out;
        },
      })),
      {
        concurrency: "per-key",
        maxInFlight: 256,
        policy: parseRunnerSettings({}).errorPolicy,
        signal: new AbortController().signal,
      },
    );
    // outputs in input order, one per input
    expect(results.map((r) => (r.kind === "ok" ? value(r.outputs[0]!).eventId : r.kind))).toEqual(
      records.map((r) => r.eventId),
    );
    // far fewer session.run calls than records: keys were batched together
    const sizes = runtime.runs.slice(probes).map((r) => r.batchSize);
    expect(Math.max(...sizes)).toBe(16);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(64);
    // per key, completion order = input order
    for (let k = 0; k < 16; k++) {
      const own = order.filter((id) => Number(id.slice(2)) % 16 === k);
      expect(own).toEqual(records.filter((_, i) => i % 16 === k).map((r) => r.eventId));
    }
  });

  it("refuses a bad record alone: a missing feature is poison, the rest of its batch scores", async () => {
    const s = await stage();
    const bad = transaction(1);
    delete (bad.features as Record<string, number>).TX_AMOUNT;
    const [ok, poison] = await Promise.allSettled([
      handler(s)(transaction(2), ctx("c2")),
      handler(s)(bad, ctx("c1")),
    ]);
    expect(ok.status).toBe("fulfilled");
    expect((poison as PromiseRejectedResult).reason).toMatchObject({
      code: "VERDICT_ERR_VALIDATION",
      retriable: false,
      message: expect.stringContaining("feature TX_AMOUNT is missing"),
    });
  });

  it("scores posts from their text (string tensor) on the moderation model", async () => {
    const s = await stage();
    const out = await handler(s, TOPICS.postFeatures)(post(1, "you idiot"), ctx("a1"));
    expect(out[0]!.topic).toBe(TOPICS.postScored);
    expect(value(out[0]!)).toMatchObject({
      domain: "MODERATION",
      key: "a1",
      model: { name: "moderation-lr" },
    });
    expect(value(out[0]!).score).toBeCloseTo(0.9, 5);
  });

  it("skips inference for records the rules pre-check decides", async () => {
    const runtime = new FakeRuntime();
    const s = await stage({
      runtime,
      preCheck: {
        fraud: (tx) =>
          tx.amount > 10_000
            ? {
                decided: true,
                hits: ["amount_hard_cap:DECLINE"],
                score: 1,
                ruleSet: { name: "fraud-rules", version: "1" },
              }
            : { decided: false, hits: [], ruleSet: { name: "fraud-rules", version: "1" } },
      },
    });
    const runsBefore = runtime.runs.length;
    const out = await handler(s)(transaction(1, "c1", 50_000), ctx("c1"));
    expect(runtime.runs.length).toBe(runsBefore);
    expect(value(out[0]!)).toMatchObject({
      score: 1,
      ruleHits: ["amount_hard_cap:DECLINE"],
      model: { name: "fraud-rules", version: "1", provider: "rules" },
    });
    await handler(s)(transaction(2, "c2", 50), ctx("c2"));
    expect(runtime.runs.length).toBe(runsBefore + 1);
  });
});

describe("rollout: hot reload, canary, shadow", () => {
  it("activating a new version mid-stream: in-flight rows finish on the old one, later rows use the new one", async () => {
    const root = await tempModels({ parity: false });
    const runtime = new FakeRuntime({ providers: { cpu: { delayMs: 40 } } });
    const registry = new ModelRegistry({ root });
    await registry.activate("fraud-lr", "1.0.0");
    const s = await stage({ runtime, registry, root });

    const inFlight = [1, 2, 3].map((i) => handler(s)(transaction(i), ctx(`c${i}`)));
    await vi.waitFor(() => expect(runtime.running).toBe(1), { interval: 1 }); // the batch is running
    await registry.activate("fraud-lr", "1.1.0");
    await s.settled();
    const later = await handler(s)(transaction(9), ctx("c9"));

    const old = await Promise.all(inFlight);
    expect(old.map((o) => value(o[0]!).model.version)).toEqual(["1.0.0", "1.0.0", "1.0.0"]);
    expect(value(later[0]!).model.version).toBe("1.1.0");
    expect(s.status().fraud?.active?.version).toBe("1.1.0");
    // the old version's sessions are released once its batches finished
    await vi.waitFor(() =>
      expect(runtime.released.some((r) => r.modelPath.includes("/fraud-lr/1.0.0/"))).toBe(true),
    );
    expect(runtime.released.some((r) => r.modelPath.includes("/fraud-lr/1.1.0/"))).toBe(false);
  });

  it("a version that fails to load is never served: the old one keeps serving", async () => {
    const root = await tempModels({ parity: false });
    const registry = new ModelRegistry({ root });
    await registry.activate("fraud-lr", "1.0.0");
    const runtime = new FakeRuntime({
      score: (row, path) => {
        if (path.includes("1.1.0") && row.values.length) throw new Error("broken graph");
        return 0.3;
      },
    });
    const s = await stage({ runtime, registry, root });
    await registry.activate("fraud-lr", "1.1.0"); // its self-check probe run fails on every provider
    await s.settled();
    expect(s.status().fraud?.active?.version).toBe("1.0.0");
    const out = await handler(s)(transaction(1), ctx("c1"));
    expect(value(out[0]!).model.version).toBe("1.0.0");
  });

  it("canary by key hash: about the configured share of keys, always the same keys", async () => {
    const s = await stage({
      settings: {
        models: {
          fraud: {
            name: "fraud-lr",
            version: "1.0.0",
            canary: { version: "1.1.0", percent: 20 },
            shadow: [],
          },
        },
      },
    });
    const keys = Array.from({ length: 4000 }, (_, i) => `customer-${i}`);
    const share = keys.filter((k) => inCanary("fraud-lr", k, 20)).length / keys.length;
    expect(share).toBeGreaterThan(0.18);
    expect(share).toBeLessThan(0.22);
    // the stage routes exactly those keys to the candidate, stably
    const sample = keys.slice(0, 200);
    const versions = await Promise.all(
      sample.map(async (k, i) => value((await handler(s)(transaction(i, k), ctx(k)))[0]!).model.version),
    );
    expect(versions).toEqual(sample.map((k) => (inCanary("fraud-lr", k, 20) ? "1.1.0" : "1.0.0")));
    const again = await handler(s)(transaction(999, sample[0]!), ctx(sample[0]!));
    expect(value(again[0]!).model.version).toBe(versions[0]);
  });

  it("rollout changes at run time through the registry API, and a dropped candidate is released", async () => {
    const runtime = new FakeRuntime();
    const s = await stage({
      runtime,
      settings: { models: { fraud: { name: "fraud-lr", version: "1.0.0", shadow: [] } } },
    });
    await s.registry.setRollout("fraud-lr", { canary: { version: "1.1.0", percent: 100 }, shadow: [] });
    await s.settled();
    expect(value((await handler(s)(transaction(1), ctx("c1")))[0]!).model.version).toBe("1.1.0");
    expect(s.status().fraud?.canary).toMatchObject({ version: "1.1.0", percent: 100 });
    await s.registry.setRollout("fraud-lr", { shadow: [] });
    await s.settled();
    expect(value((await handler(s)(transaction(2), ctx("c1")))[0]!).model.version).toBe("1.0.0");
    await vi.waitFor(() =>
      expect(runtime.released.some((r) => r.modelPath.includes("/fraud-lr/1.1.0/"))).toBe(true),
    );
  });

  it("shadow: the candidate scores the same rows to the shadow topic and never changes the verdict's score", async () => {
    const runtime = new FakeRuntime({ score: (_row, path) => (path.includes("1.1.0") ? 0.99 : 0.1) });
    const s = await stage({
      runtime,
      settings: { models: { fraud: { name: "fraud-lr", version: "1.0.0", shadow: ["1.1.0"] } } },
    });
    const out = await handler(s)(transaction(1, "c1"), ctx("c1"));
    expect(out.map((o) => o.topic.name)).toEqual([TOPICS.transactionScored.name, TOPICS.shadowScored.name]);
    expect(value(out[0]!)).toMatchObject({ score: expect.closeTo(0.1, 5), model: { version: "1.0.0" } });
    expect(value(out[1]!)).toMatchObject({
      score: expect.closeTo(0.99, 5),
      model: { version: "1.1.0" },
      key: "c1",
    });
    expect(out[1]!.key).toBe("c1");
    expect(out[1]!.headers).toEqual({ "verdict-shadow-of": "fraud-lr@1.0.0" });
  });

  it("a failing shadow is dropped without touching the primary score", async () => {
    let shadowBroken = false;
    const runtime = new FakeRuntime({
      score: (_row, path) => {
        if (shadowBroken && path.includes("/fraud-lr/1.1.0/")) throw new Error("shadow exploded");
        return path.includes("1.1.0") ? 0.9 : 0.2;
      },
    });
    const s = await stage({
      runtime,
      settings: { models: { fraud: { name: "fraud-lr", version: "1.0.0", shadow: ["1.1.0"] } } },
    });
    shadowBroken = true;
    const out = await handler(s)(transaction(1), ctx("c1"));
    expect(out).toHaveLength(1);
    expect(value(out[0]!)).toMatchObject({ score: expect.closeTo(0.2, 5), model: { version: "1.0.0" } });
  });
});

describe("model cascade: a cheap screen clears, the decider scores the rest", () => {
  // The screen scores by amount (TX_AMOUNT is the first feature); the decider always says 0.7.
  const runtime = () =>
    new FakeRuntime({
      score: (row, path) => (path.includes("/fraud-screen/") ? (row.values[0]! < 100 ? 0.001 : 0.4) : 0.7),
    });
  const decided = (r: FakeRuntime) => r.runs.filter((x) => x.ok && x.modelPath.includes("/fraud-lr/")).length;
  const cascade = { name: "fraud-lr", version: "1.0.0", shadow: [], screen: { name: "fraud-screen" } };

  it("clears low screen scores alone and sends the rest to the decider, recording the screen's step", async () => {
    const root = await tempModelsWithScreen();
    const rt = runtime();
    const s = await stage({ root, runtime: rt, settings: { models: { fraud: cascade } } });
    const before = decided(rt);

    const cleared = value((await handler(s)(transaction(1, "c1", 50), ctx("c1")))[0]!);
    expect(cleared).toMatchObject({
      score: expect.closeTo(0.001, 6),
      model: { name: "fraud-screen", version: "1.0.0", provider: "cpu" },
      screen: { model: { name: "fraud-screen", version: "1.0.0" }, clearBelow: 0.01, cleared: true },
    });
    expect(decided(rt)).toBe(before); // the decider never saw it

    const escalated = value((await handler(s)(transaction(2, "c2", 500), ctx("c2")))[0]!);
    expect(escalated).toMatchObject({
      score: expect.closeTo(0.7, 6),
      model: { name: "fraud-lr", version: "1.0.0" },
      screen: {
        model: { name: "fraud-screen" },
        score: expect.closeTo(0.4, 6),
        clearBelow: 0.01,
        cleared: false,
      },
    });
    expect(escalated.timings.inference_screen_ms).toBeGreaterThanOrEqual(0);
    // One run for the record, one for its occlusion rows: the decider's 0.7 is at or above the
    // fixture's review threshold, so the stage explains it (a constant fake model: every
    // contribution is 0). The cleared record, below review, was not explained.
    expect(decided(rt)).toBe(before + 2);
    expect(Object.values(escalated.contributions).length).toBeGreaterThan(0);
    expect(Object.values(escalated.contributions).every((c) => c === 0)).toBe(true);
    expect(cleared.contributions).toEqual({});
    expect(s.status().fraud).toMatchObject({
      active: { version: "1.0.0" },
      screen: { name: "fraud-screen", clearBelow: { "1.0.0": 0.01 } },
    });
  });

  it("a screen version that carries no cut-off is refused at start with what to do; a configured one serves", async () => {
    const root = await tempModelsWithScreen({});
    await expect(
      stage({ root, runtime: runtime(), settings: { models: { fraud: cascade } } }),
    ).rejects.toThrow(
      /fraud-screen@1\.0\.0 cannot screen for fraud-lr: its model\.json has no screening\.clearBelow.*python -m training\.fraud\.cascade.*inference\.models\.fraud\.screen\.clearBelow/,
    );
    const s = await stage({
      root,
      runtime: runtime(),
      settings: { models: { fraud: { ...cascade, screen: { name: "fraud-screen", clearBelow: 0.5 } } } },
    });
    const out = value((await handler(s)(transaction(2, "c2", 500), ctx("c2")))[0]!);
    expect(out).toMatchObject({
      model: { name: "fraud-screen" },
      screen: { clearBelow: 0.5, cleared: true },
    });
  });

  it("refuses a configured cut-off above the screen's review threshold (cleared records must be approved)", async () => {
    const root = await tempModelsWithScreen();
    await expect(
      stage({
        root,
        runtime: runtime(),
        settings: { models: { fraud: { ...cascade, screen: { name: "fraud-screen", clearBelow: 0.6 } } } },
      }),
    ).rejects.toThrow(/clearBelow 0\.6 is above fraud-screen@1\.0\.0's review threshold 0\.5/);
  });

  it("activating a new screen version mid-stream switches to that version's own cut-off", async () => {
    const root = await tempModelsWithScreen({ "1.0.0": 0.01, "1.1.0": 0.45 });
    const registry = new ModelRegistry({ root });
    await registry.activate("fraud-screen", "1.0.0");
    const s = await stage({ root, registry, runtime: runtime(), settings: { models: { fraud: cascade } } });
    const first = value((await handler(s)(transaction(1, "c1", 500), ctx("c1")))[0]!);
    expect(first.screen).toMatchObject({ model: { version: "1.0.0" }, cleared: false });
    await registry.activate("fraud-screen", "1.1.0");
    await s.settled();
    const later = value((await handler(s)(transaction(2, "c1", 500), ctx("c1")))[0]!);
    expect(later).toMatchObject({
      model: { name: "fraud-screen", version: "1.1.0" },
      screen: { clearBelow: 0.45, cleared: true },
    });
  });
});

describe("inference stage on the real ONNX Runtime", () => {
  it("scores fraud and moderation fixtures with the chain cuda,webgpu,cpu falling back to cpu", async () => {
    const s = await stage({
      runtime: onnxRuntime(),
      settings: { providers: "cuda,webgpu,cpu" },
    });
    expect(s.activeProvider("fraud")).toBe("cpu");
    expect(s.activeProvider("moderation")).toBe("cpu");
    const [fraud, mod] = await Promise.all([
      handler(s)(transaction(1, "c1", 900), ctx("c1")),
      handler(s, TOPICS.postFeatures)(post(1, "you stupid idiot"), ctx("a1")),
    ]);
    expect(value(fraud[0]!).model).toEqual({ name: "fraud-lr", version: "1.1.0", provider: "cpu" });
    expect(value(fraud[0]!).score).toBeGreaterThan(0.5);
    expect(value(mod[0]!).score).toBeCloseTo(0.5744, 3); // the parity sample's score for this text
    // Flagged, so explained by occlusion: the 900 amount is what the model weighed most.
    const c = value(fraud[0]!).contributions;
    const top = Object.entries(c).sort((a, b) => b[1] - a[1])[0]!;
    expect(top[0]).toBe("TX_AMOUNT");
    expect(top[1]).toBeGreaterThan(0.1);
    expect(value(fraud[0]!).timings.inference_explain_ms).toBeGreaterThanOrEqual(0);
    // A text model: each word left out in turn. The fixture scores insults; "you" is no insult.
    const words = value(mod[0]!).contributions;
    expect(Object.keys(words).sort()).toEqual(["word:idiot", "word:stupid", "word:you"]);
    expect(words["word:you"]).toBeCloseTo(0, 3);
    expect(Math.max(words["word:idiot"]!, words["word:stupid"]!)).toBeGreaterThan(0.05);
  });

  it("explains only what a reviewer will see: scores below the review threshold get no contributions", async () => {
    const s = await stage({ runtime: onnxRuntime(), settings: { providers: "cpu" } });
    const low = value((await handler(s)(transaction(1, "c1", 20), ctx("c1")))[0]!);
    expect(low.score).toBeLessThan(0.5);
    expect(low.contributions).toEqual({});
    const off = await stage({
      runtime: onnxRuntime(),
      settings: { providers: "cpu", explain: { contributions: false } },
    });
    expect(value((await handler(off)(transaction(2, "c2", 900), ctx("c2")))[0]!).contributions).toEqual({});
  });

  it("VERDICT_EP picks the chain when settings leave it out", async () => {
    const s = createInferenceStage({
      features: FEATURES,
      runtime: new FakeRuntime(),
      env: { VERDICT_EP: "cuda, cpu" },
      settings: { registry: { root: "/nonexistent", watch: false } },
    });
    expect(s.settings.providers).toEqual(["cuda", "cpu"]);
    expect(() => createInferenceStage({ features: FEATURES, env: { VERDICT_EP: "cdua,cpu" } })).toThrow(
      /unknown provider "cdua"/,
    );
  });

  it("VERDICT_ONNX_WORKERS, VERDICT_ONNX_THREADS and VERDICT_BATCH_* set the runtime and the batcher; bad values are refused by name", () => {
    const settings = (env: Record<string, string>, given: InferenceSettingsInput = {}) =>
      createInferenceStage({
        features: FEATURES,
        runtime: new FakeRuntime(),
        env,
        settings: { registry: { root: "/nonexistent", watch: false }, ...given },
      }).settings;
    const defaults = settings({});
    expect([defaults.workers, defaults.intraOpNumThreads]).toEqual([1, 1]);
    expect([defaults.batching.maxBatchSize, defaults.batching.maxQueueDelayMs]).toEqual([256, 2]);

    const tuned = settings({
      VERDICT_ONNX_WORKERS: "0",
      VERDICT_ONNX_THREADS: "4",
      VERDICT_BATCH_MAX_SIZE: "64",
      VERDICT_BATCH_MAX_DELAY_MS: "5",
    });
    expect([tuned.workers, tuned.intraOpNumThreads]).toEqual([0, 4]);
    expect(tuned.batching).toEqual({ ...defaults.batching, maxBatchSize: 64, maxQueueDelayMs: 5 });
    // One knob alone leaves the other at its default.
    expect(settings({ VERDICT_BATCH_MAX_DELAY_MS: "0" }).batching).toEqual({
      ...defaults.batching,
      maxQueueDelayMs: 0,
    });

    expect(() => settings({ VERDICT_ONNX_WORKERS: "two" })).toThrow(
      /VERDICT_ONNX_WORKERS=two is not a whole number \(0-64\)/,
    );
    expect(() => settings({ VERDICT_ONNX_THREADS: "0" })).toThrow(/VERDICT_ONNX_THREADS=0/);
    expect(() => settings({ VERDICT_BATCH_MAX_SIZE: "10000" })).toThrow(
      /VERDICT_BATCH_MAX_SIZE=10000 .*\(1-4096\)/,
    );
    expect(() => settings({ VERDICT_BATCH_MAX_DELAY_MS: "1.5" })).toThrow(/VERDICT_BATCH_MAX_DELAY_MS=1.5/);

    // Settings given in code win over the environment.
    const given = settings(
      { VERDICT_ONNX_THREADS: "4", VERDICT_BATCH_MAX_SIZE: "64" },
      { intraOpNumThreads: 2, batching: { maxBatchSize: 32 } },
    );
    expect([given.intraOpNumThreads, given.batching.maxBatchSize]).toEqual([2, 32]);
    // Field by field: a batching setting given in code leaves the other knob to the environment.
    expect(
      settings({ VERDICT_BATCH_MAX_DELAY_MS: "7" }, { batching: { maxQueueSize: 100 } }).batching,
    ).toEqual({ ...defaults.batching, maxQueueSize: 100, maxQueueDelayMs: 7 });
  });

  it("VERDICT_WEBGPU_PRECHECK turns the Vulkan-loader check off; a value that is not a boolean is refused", () => {
    const precheck = (env: Record<string, string>) =>
      createInferenceStage({
        features: FEATURES,
        runtime: new FakeRuntime(),
        env,
        settings: { registry: { root: "/nonexistent", watch: false } },
      }).settings.webgpuPrecheck;
    expect(precheck({})).toBe(true);
    expect(precheck({ VERDICT_WEBGPU_PRECHECK: "0" })).toBe(false);
    expect(precheck({ VERDICT_WEBGPU_PRECHECK: "true" })).toBe(true);
    expect(precheck({ VERDICT_WEBGPU_PRECHECK: "off" })).toBe(false);
    expect(() => precheck({ VERDICT_WEBGPU_PRECHECK: "maybe" })).toThrow(
      /VERDICT_WEBGPU_PRECHECK=maybe is not a boolean: use true or false/,
    );
    // A setting given in code wins over the environment, as for the other inference settings.
    expect(
      createInferenceStage({
        features: FEATURES,
        runtime: new FakeRuntime(),
        env: { VERDICT_WEBGPU_PRECHECK: "maybe" },
        settings: { registry: { root: "/nonexistent", watch: false }, webgpuPrecheck: true },
      }).settings.webgpuPrecheck,
    ).toBe(true);
  });

  it("VERDICT_FRAUD_SCREEN puts a screen in front of the default fraud model; settings that name models win", () => {
    const settings = (env: Record<string, string>, models?: InferenceDeps["settings"]) =>
      createInferenceStage({
        features: FEATURES,
        runtime: new FakeRuntime(),
        env,
        settings: { registry: { root: "/nonexistent", watch: false }, ...models },
      }).settings.models;
    expect(settings({ VERDICT_FRAUD_SCREEN: "fraud-mlp" }).fraud).toEqual({
      name: "fraud-gbt",
      shadow: [],
      screen: { name: "fraud-mlp" },
    });
    expect(settings({ VERDICT_FRAUD_SCREEN: "none" }).fraud).toEqual({ name: "fraud-gbt", shadow: [] });
    expect(settings({}).fraud?.screen).toBeUndefined();
    expect(
      settings({ VERDICT_FRAUD_SCREEN: "fraud-mlp" }, { models: { fraud: { name: "fraud-lr" } } }).fraud,
    ).toEqual({ name: "fraud-lr", shadow: [] });
  });
});

describe("serving status, as rows and as a line", () => {
  const v = (version: string) => ({
    version,
    provider: "cpu",
    providers: [{ provider: "cpu", state: "closed" as const }],
  });
  /** A cascade with a canary and a shadow on the decider, a canary on the screen; moderation not loaded. */
  const status: Record<string, DomainStatus> = {
    fraud: {
      name: "fraud-gbt",
      active: v("1.0.0"),
      canary: { ...v("1.1.0"), percent: 10 },
      shadows: [v("1.2.0")],
      failed: {},
      screen: {
        name: "fraud-mlp",
        active: v("1.0.0"),
        canary: { ...v("1.1.0"), percent: 5 },
        shadows: [],
        failed: {},
        clearBelow: {},
      },
    },
    moderation: { name: "moderation-text", active: undefined, canary: undefined, shadows: [], failed: {} },
  };

  it("servingVersions lists every serving version with its slot and role, a canary with its share", () => {
    const row = (slot: string, model: string, role: string, version: string, percent?: number) => ({
      domain: "fraud",
      slot,
      model,
      role,
      version,
      provider: "cpu",
      ...(percent === undefined ? {} : { percent }),
    });
    expect(servingVersions(status)).toEqual([
      row("decider", "fraud-gbt", "active", "1.0.0"),
      row("decider", "fraud-gbt", "canary", "1.1.0", 10),
      row("decider", "fraud-gbt", "shadow", "1.2.0"),
      row("screen", "fraud-mlp", "active", "1.0.0"),
      row("screen", "fraud-mlp", "canary", "1.1.0", 5),
    ]);
  });

  it("describeServing says what serves each domain, a cascade's screen first, canary and shadows in brackets", () => {
    expect(describeServing(status)).toBe(
      "fraud fraud-mlp@1.0.0 on cpu [canary 1.1.0 5%], then fraud-gbt@1.0.0 on cpu [canary 1.1.0 10%, shadow 1.2.0] · moderation moderation-text (not loaded)",
    );
  });
});
