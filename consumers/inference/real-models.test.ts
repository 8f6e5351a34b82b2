/**
 * The trained models in models/ (when present) through the real stage: the contracts line up
 * (feature names and feature set from consumers/features, model.json, the ONNX graph, parity), the
 * provider chain falls back to what this machine has, and scores come out. Skipped per model when
 * training has not produced it.
 */
import { existsSync, readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../lib/log/index.ts";
import type { Scored } from "../../schemas/generated/types.ts";
import { TOPICS } from "../../topology/index.ts";
import { FEATURE_SET, FRAUD_FEATURE_NAMES } from "../features/fraud/index.ts";
import { MODERATION_FEATURE_NAMES, MODERATION_FEATURE_SET } from "../features/moderation/index.ts";
import type { StageContext, StageOutput } from "../runtime/index.ts";
import { createInferenceStage, type InferenceStage } from "./inference.ts";
import type { InferenceSettingsInput } from "./options.ts";
import { ModelRegistry } from "./registry/registry.ts";
import { post, transaction } from "./testing/fixtures.ts";

const registry = new ModelRegistry({ root: "models" });
const has = (name: string) => existsSync(`models/${name}`);
const stages: InferenceStage[] = [];
afterAll(async () => {
  for (const s of stages) await s.stop();
});

const quiet = silentLogger();
const ctx = (key: string): StageContext => ({
  stage: "inference",
  topic: "",
  partition: 0,
  offset: "0",
  key,
  headers: {},
  timestamp: Date.now(),
  attempt: 1,
  logger: quiet,
  signal: new AbortController().signal,
  now: Date.now,
});

/** A started stage on models/ with the stream's feature names and sets (stopped after the suite). */
async function shippedStage(
  settings: InferenceSettingsInput,
  env?: Record<string, string>,
): Promise<InferenceStage> {
  const s = createInferenceStage({
    features: { fraud: FRAUD_FEATURE_NAMES, moderation: MODERATION_FEATURE_NAMES },
    featureSets: { fraud: FEATURE_SET, moderation: MODERATION_FEATURE_SET },
    registry,
    settings: { ...settings, registry: { watch: false } },
    ...(env ? { env } : {}),
  });
  await s.start();
  stages.push(s);
  return s;
}

const stage = (domain: "fraud" | "moderation", name: string) =>
  shippedStage({ providers: "cuda,webgpu,cpu", models: { [domain]: { name } } });

const run = (s: InferenceStage, topic: typeof TOPICS.transactionFeatures | typeof TOPICS.postFeatures) =>
  s.inputs.find((i) => i.topic.name === topic.name)!.handle as (
    v: unknown,
    c: StageContext,
  ) => Promise<StageOutput[]>;

describe("trained models in models/", () => {
  for (const name of ["fraud-mlp", "fraud-gbt"]) {
    it.skipIf(!has(name))(`${name} loads against the stream's features and scores`, async () => {
      const s = await stage("fraud", name);
      expect(s.activeProvider("fraud")).toBeDefined();
      const tx = transaction(1, "c1", 80);
      tx.features = Object.fromEntries(FRAUD_FEATURE_NAMES.map((f) => [f, tx.features[f] ?? 0]));
      const out = await run(s, TOPICS.transactionFeatures)(tx, ctx("c1"));
      const v = out[0]!.value as Scored;
      expect(v.model.name).toBe(name);
      expect(v.score).toBeGreaterThanOrEqual(0);
      expect(v.score).toBeLessThanOrEqual(1);
    });
  }

  it.skipIf(!has("fraud-gbt") || !has("moderation-text"))(
    "the default settings load the shipped models",
    async () => {
      const s = await shippedStage({});
      expect(s.status().fraud?.active?.version).toBe(
        await registry.activeVersion(s.settings.models.fraud!.name),
      );
      expect(s.status().moderation?.active).toBeDefined();
    },
  );

  it.skipIf(!has("fraud-gbt") || !has("fraud-mlp"))(
    "the cascade clears by fraud-mlp's own cut-off and scores the rest exactly as fraud-gbt alone does",
    async () => {
      const s = await shippedStage({ providers: "cpu" }, { VERDICT_FRAUD_SCREEN: "fraud-mlp" });
      // The exporters' parity samples: the same 50 rows (test-week transactions and edge rows) for both.
      const sample = (name: string) =>
        JSON.parse(readFileSync(`models/${name}/1.0.0/parity-sample.json`, "utf8")) as {
          features: string[];
          rows: number[][];
          scores: number[];
        };
      const gbt = sample("fraud-gbt");
      const mlp = sample("fraud-mlp");
      const cut = (await registry.load("fraud-mlp", "1.0.0")).manifest.screening!.clearBelow;
      const out = await Promise.all(
        gbt.rows.map(async (row, i) => {
          const tx = transaction(i, `c${i}`);
          tx.features = Object.fromEntries(gbt.features.map((f, j) => [f, row[j]!]));
          return (await run(s, TOPICS.transactionFeatures)(tx, ctx(`c${i}`)))[0]!.value as Scored;
        }),
      );
      let cleared = 0;
      out.forEach((v, i) => {
        const byScreen = mlp.scores[i]! < cut;
        cleared += byScreen ? 1 : 0;
        expect(v.screen).toMatchObject({ model: { name: "fraud-mlp" }, clearBelow: cut, cleared: byScreen });
        expect(v.model.name).toBe(byScreen ? "fraud-mlp" : "fraud-gbt");
        expect(v.score).toBeCloseTo(byScreen ? mlp.scores[i]! : gbt.scores[i]!, 4);
      });
      expect(cleared).toBeGreaterThan(0);
      expect(cleared).toBeLessThan(out.length);
    },
  );

  it.skipIf(!has("moderation-text"))("moderation-text scores text on the string tensor", async () => {
    const s = await stage("moderation", "moderation-text");
    const features = Object.fromEntries(MODERATION_FEATURE_NAMES.map((f) => [f, 0]));
    const [nice, rude] = await Promise.all([
      run(s, TOPICS.postFeatures)({ ...post(1, "have a lovely day"), features }, ctx("a1")),
      run(s, TOPICS.postFeatures)({ ...post(2, "shut up you stupid idiot"), features }, ctx("a2")),
    ]);
    expect((nice[0]!.value as Scored).score).toBeLessThan(0.5);
    expect((rude[0]!.value as Scored).score).toBeGreaterThan(0.5);
  });
});
