import { describe, expect, it } from "vitest";
import { silentLogger } from "../../lib/log/index.ts";
import { loadVersion, type VersionLoadContext } from "./load.ts";
import { onnxRuntime } from "./onnx/onnx-runtime.ts";
import { parseInferenceSettings } from "./options.ts";
import { ModelRegistry } from "./registry/registry.ts";
import { editManifest, FIXTURE_FRAUD_FEATURES, fraudFeatures, tempModels } from "./testing/fixtures.ts";

const context = (): VersionLoadContext => ({
  runtime: onnxRuntime(),
  settings: parseInferenceSettings(
    { providers: "cpu", batching: { maxBatchSize: 64, maxQueueDelayMs: 5 } },
    {},
  ),
  features: { fraud: FIXTURE_FRAUD_FEATURES, moderation: [] },
  logger: silentLogger(),
});

/** Loads fraud-lr@1.1.0 as a stage would and scores 40 rows at once: the batch sizes it ran. */
async function batchSizes(dir: string): Promise<number[]> {
  const files = await new ModelRegistry({ root: dir }).load("fraud-lr", "1.1.0");
  const loaded = await loadVersion(files, "fraud", context());
  try {
    const rows = Array.from({ length: 40 }, (_, i) => ({ features: fraudFeatures(10 + i) }));
    return (await Promise.all(rows.map((row) => loaded.score(row)))).map((r) => r.batchSize);
  } finally {
    await loaded.close();
  }
}

describe("loadVersion: a version's own batch bounds (model.json serving.batching)", () => {
  it("caps the version's micro-batches where model.json says so, else the stage's settings apply", async () => {
    const dir = await tempModels();
    expect(Math.max(...(await batchSizes(dir)))).toBeGreaterThan(8); // the stage's 64

    await editManifest(dir, "fraud-lr", "1.1.0", (m) => {
      m.serving = { batching: { maxBatchSize: 8 } };
    });
    const capped = await batchSizes(dir);
    expect(Math.max(...capped)).toBe(8);
    expect(capped).toHaveLength(40);
  });

  it("refuses bounds that cannot work, naming the field", async () => {
    const dir = await tempModels();
    await editManifest(dir, "fraud-lr", "1.1.0", (m) => {
      m.serving = { batching: { maxBatchSize: 0, maxQueueDelay: 3 } };
    });
    await expect(new ModelRegistry({ root: dir }).load("fraud-lr", "1.1.0")).rejects.toThrow(
      /serving\.batching\.maxBatchSize[\s\S]*serving\.batching: Unrecognized key: "maxQueueDelay"/,
    );
  });
});
