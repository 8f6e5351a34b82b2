/**
 * The shipped models, checked without Python (CI does not retrain):
 * - every version under models/<name>/ loads through the inference stage's own registry (model.json
 *   contract, artifact hash) and carries the training contract's fields (models/model-json.schema.json);
 * - onnxruntime-node (CPU) reproduces the Python onnxruntime scores of its parity sample within 1e-5;
 * - its declared inputs are what the feature stage produces: FRAUD_FEATURE_NAMES (same order, same
 *   feature set) for fraud, normalizedText for moderation; and a record computed by the feature code
 *   itself scores through the graph.
 */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, describe, expect, it } from "vitest";
import {
  computeFraudFeatureVector,
  FEATURE_SET,
  FRAUD_FEATURE_NAMES,
} from "../consumers/features/fraud/index.ts";
import {
  computeModerationFeatures,
  loadBlocklist,
  MODERATION_FEATURE_NAMES,
  MODERATION_FEATURE_SET,
} from "../consumers/features/moderation/index.ts";
import { ModelRegistry } from "../consumers/inference/registry/index.ts";
import {
  featureRows,
  MODELS_ROOT,
  runScores,
  SHIPPED,
  schemaRequired,
  type TrainingManifest,
} from "./shipped.ts";

const MAX_MODEL_BYTES = 5 * 1024 * 1024;
const registry = new ModelRegistry({ root: MODELS_ROOT });
const sessions: ort.InferenceSession[] = [];
afterAll(async () => {
  await Promise.all(sessions.map((s) => s.release()));
});

async function open(path: string): Promise<ort.InferenceSession> {
  const session = await ort.InferenceSession.create(path, { executionProviders: ["cpu"] });
  sessions.push(session);
  return session;
}

describe("shipped models", () => {
  it("include a GBT and an MLP fraud model and a moderation model, each with an active version", async () => {
    expect(SHIPPED.map((s) => s.name).sort()).toEqual(["fraud-gbt", "fraud-mlp", "moderation-text"]);
    for (const { name, versions } of SHIPPED) {
      expect(versions).toContain(await registry.activeVersion(name));
    }
  });
});

for (const { name, versions } of SHIPPED) {
  for (const version of versions) {
    describe(`${name}@${version}`, () => {
      const dir = join(MODELS_ROOT, name, version);
      const raw = JSON.parse(readFileSync(join(dir, "model.json"), "utf8")) as TrainingManifest;

      it("loads through the inference registry (contract, artifact hash) and is small enough for git", async () => {
        const files = await registry.load(name, version);
        expect(files.manifest.name).toBe(name);
        expect(files.parity?.scores.length).toBeGreaterThan(0);
        expect(statSync(files.modelPath).size).toBeLessThan(MAX_MODEL_BYTES);
      });

      it("carries the training contract: provenance, thresholds method, reference distributions", () => {
        for (const key of schemaRequired()) expect(raw, `model.json needs "${key}"`).toHaveProperty(key);
        expect(raw.provenance.command).toMatch(/train/);
        expect(raw.thresholds.method.length).toBeGreaterThan(20);
        const dists = [...Object.values(raw.reference.features), raw.reference.score];
        for (const d of dists) {
          expect(d.proportions).toHaveLength(d.edges.length + 1);
          expect(d.proportions.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
        }
        for (const f of raw.features) expect(raw.reference.features).toHaveProperty(f);
      });

      it("reproduces the Python onnxruntime scores within the declared tolerance (1e-5)", async () => {
        const files = await registry.load(name, version);
        const session = await open(files.modelPath);
        const parity = files.parity!;
        const scores = await runScores(session, files.manifest, parity);
        expect(scores).toHaveLength(parity.scores.length);
        const worst = Math.max(...scores.map((s, i) => Math.abs(s - (parity.scores[i] as number))));
        expect(worst).toBeLessThanOrEqual(1e-5);
      });

      it("declares exactly the inputs the feature stage produces", async () => {
        const files = await registry.load(name, version);
        const m = files.manifest;
        const session = await open(files.modelPath);
        expect([...session.inputNames].sort()).toEqual(m.inputs.map((i) => i.name).sort());
        expect(session.outputNames).toContain(m.output.name);
        if (m.domain === "fraud") {
          expect(m.features).toEqual([...FRAUD_FEATURE_NAMES]);
          expect(m.featureSet).toBe(FEATURE_SET);
          expect(m.inputs).toEqual([
            {
              name: "features",
              dtype: "float32",
              shape: [null, FRAUD_FEATURE_NAMES.length],
              source: "features",
            },
          ]);
        } else {
          expect(m.inputs).toEqual([{ name: "text", dtype: "string", shape: [null, 1], source: "text" }]);
          for (const f of m.features) expect(MODERATION_FEATURE_NAMES).toContain(f);
          expect(m.featureSet).toBe(MODERATION_FEATURE_SET);
        }
      });

      it("scores a record computed by the feature code itself", async () => {
        const files = await registry.load(name, version);
        const session = await open(files.modelPath);
        const t = Date.UTC(2018, 7, 9, 3, 15);
        const day = 86_400_000;
        const inputs =
          files.manifest.domain === "fraud"
            ? {
                rows: featureRows([
                  computeFraudFeatureVector(
                    { occurredAt: t, amount: 480 },
                    {
                      customer: { occurredAt: [t - 3 * day, t - day / 2, t], amount: [40, 55, 480] },
                      terminal: {
                        transactionOccurredAt: [t - 9 * day, t - 8 * day],
                        knownAt: [t - 2 * day, t - day],
                        isFraud: [true, false],
                        transactionId: ["a", "b"],
                        eventId: ["ea", "eb"],
                      },
                    },
                  ),
                ]),
              }
            : {
                texts: [
                  computeModerationFeatures("ＹＯＵ are a STUPID idiot!!", loadBlocklist()).normalizedText,
                  computeModerationFeatures("Lovely\u200b weather for a picnic", loadBlocklist())
                    .normalizedText,
                ],
              };
        const scores = await runScores(session, files.manifest, inputs);
        for (const s of scores) {
          expect(s).toBeGreaterThanOrEqual(0);
          expect(s).toBeLessThanOrEqual(1);
        }
        if (files.manifest.domain === "moderation") expect(scores[0]).toBeGreaterThan(scores[1] as number);
      });
    });
  }
}
