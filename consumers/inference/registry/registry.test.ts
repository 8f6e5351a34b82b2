import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { silentLogger } from "../../../lib/log/index.ts";
import { LoadedModel, type LoadOptions } from "../model-version.ts";
import { onnxRuntime } from "../onnx/onnx-runtime.ts";
import { FakeRuntime } from "../testing/fake-runtime.ts";
import { editManifest, FIXTURE_FRAUD_FEATURES, tempModels } from "../testing/fixtures.ts";
import type { ModelRuntime } from "../types.ts";
import { compareVersions, ModelRegistry } from "./registry.ts";

function loadOptions(
  runtime: ModelRuntime,
  features: readonly string[] = FIXTURE_FRAUD_FEATURES,
): LoadOptions {
  return {
    runtime,
    provided: { features, text: true },
    chain: { providers: ["cpu"], tolerance: 1e-4, breaker: { failureThreshold: 1, cooldownMs: 1000 } },
    batching: { maxBatchSize: 64, maxQueueDelayMs: 1, maxQueueSize: 1000, maxConcurrentBatches: 1 },
    logger: silentLogger(),
  };
}

/** Loads name@version from a registry root with the real ONNX Runtime; returns the refusal message. */
async function refusal(root: string, features?: readonly string[], version = "1.0.0"): Promise<string> {
  const registry = new ModelRegistry({ root });
  try {
    const m = await LoadedModel.load(
      await registry.load("fraud-lr", version),
      loadOptions(onnxRuntime(), features),
    );
    await m.close();
    return "loaded";
  } catch (err) {
    expect((err as { code?: string }).code).toBe("VERDICT_ERR_MODEL_INVALID");
    return (err as Error).message;
  }
}

describe("model registry on disk", () => {
  let root: string;
  beforeEach(async () => {
    root = await tempModels();
  });

  it("lists models and versions (semver order) and resolves the active one", async () => {
    const registry = new ModelRegistry({ root });
    expect(await registry.listModels()).toEqual(["fraud-lr", "moderation-lr"]);
    expect(await registry.listVersions("fraud-lr")).toEqual(["1.0.0", "1.1.0"]);
    // no active file: the highest version
    expect(await registry.activeVersion("fraud-lr")).toBe("1.1.0");
    await registry.activate("fraud-lr", "1.0.0");
    expect(await registry.activeVersion("fraud-lr")).toBe("1.0.0");
    expect((await readFile(join(root, "fraud-lr", "ACTIVE"), "utf8")).trim()).toBe("1.0.0");
    expect(["1.10.0", "1.2.0", "1.2.0-rc1", "0.9.9"].sort(compareVersions)).toEqual([
      "0.9.9",
      "1.2.0-rc1",
      "1.2.0",
      "1.10.0",
    ]);
  });

  it("refuses to activate a version that does not exist or does not parse", async () => {
    const registry = new ModelRegistry({ root });
    await expect(registry.activate("fraud-lr", "9.9.9")).rejects.toThrow(
      /Model fraud-lr has no version 9\.9\.9 in .* \(versions: 1\.0\.0, 1\.1\.0; verdict models list\)/,
    );
    await expect(registry.activate("fraud-xx", "1.0.0")).rejects.toThrow(/No model fraud-xx in /);
    await mkdir(join(root, "fraud-lr", "2.0.0"));
    await expect(registry.activate("fraud-lr", "2.0.0")).rejects.toThrow(/needs model.onnx and model.json/);
    await editManifest(root, "fraud-lr", "1.1.0", (m) => {
      m.thresholds = { review: 0.9, decline: 0.5 };
    });
    await expect(registry.activate("fraud-lr", "1.1.0")).rejects.toThrow(
      /thresholds: review must be ≤ decline/,
    );
  });

  it("emits an activation when the active file changes on disk (watch)", async () => {
    const registry = new ModelRegistry({ root, pollMs: 20 });
    await writeFile(join(root, "fraud-lr", "ACTIVE"), "1.0.0\n");
    const events: unknown[] = [];
    registry.subscribe((e) => events.push(e));
    registry.watch(["fraud-lr"]);
    await vi.waitFor(async () => expect(await registry.activeVersion("fraud-lr")).toBe("1.0.0"));
    await new Promise((r) => setTimeout(r, 50));
    await writeFile(join(root, "fraud-lr", "ACTIVE"), "1.1.0\n");
    await vi.waitFor(() =>
      expect(events).toContainEqual({
        type: "activated",
        name: "fraud-lr",
        version: "1.1.0",
        previous: "1.0.0",
      }),
    );
    registry.close();
  });

  it("validates model.json with zod and names every bad path", async () => {
    await editManifest(root, "fraud-lr", "1.0.0", (m) => {
      delete m.output;
      m.domain = "payments";
    });
    const message = await refusal(root);
    expect(message).toMatch(/Invalid .*fraud-lr\/1\.0\.0\/model\.json/);
    expect(message).toMatch(/- output:/);
    expect(message).toMatch(/- domain:/);
  });
});

describe("model validation at load (real ONNX Runtime)", () => {
  let root: string;
  beforeEach(async () => {
    root = await tempModels();
  });

  it("loads a model whose declaration matches the graph and the stage's features", async () => {
    expect(await refusal(root)).toBe("loaded");
  });

  it("refuses a model needing features the stage does not provide", async () => {
    const provided = FIXTURE_FRAUD_FEATURES.filter((f) => f !== "TERMINAL_ID_RISK_30DAY_WINDOW");
    const message = await refusal(root, provided);
    expect(message).toContain("Model fraud-lr@1.0.0 refused");
    expect(message).toContain("needs features the stage does not provide: TERMINAL_ID_RISK_30DAY_WINDOW");
  });

  it("refuses a declared input name the graph does not have", async () => {
    await editManifest(root, "fraud-lr", "1.0.0", (m) => {
      (m.inputs as { name: string }[])[0]!.name = "input";
    });
    const message = await refusal(root);
    expect(message).toContain(
      'input "input" is declared in model.json but the ONNX graph has inputs: features',
    );
    expect(message).toContain(
      'the ONNX graph has an input "features" (float32) that model.json does not declare',
    );
  });

  it("refuses a feature count that disagrees with the graph's input width", async () => {
    await rm(join(root, "fraud-lr", "1.0.0", "parity-sample.json")); // it has 15 columns
    await editManifest(root, "fraud-lr", "1.0.0", (m) => {
      m.features = FIXTURE_FRAUD_FEATURES.slice(0, 14);
      (m.inputs as { shape: unknown[] }[])[0]!.shape = [null, 14];
    });
    expect(await refusal(root)).toContain(
      'input "features" axis 1: model.json says 14, the ONNX graph says 15',
    );
  });

  it("refuses a dtype mismatch and a missing probability output", async () => {
    await editManifest(root, "fraud-lr", "1.0.0", (m) => {
      (m.inputs as { dtype: string }[])[0]!.dtype = "float64";
      m.output = { name: "probs", index: 1 };
    });
    const message = await refusal(root);
    expect(message).toContain('input "features": model.json says float64, the ONNX graph says float32');
    expect(message).toContain('output "probs" not found; the ONNX graph has outputs: label, probabilities');
  });

  it("refuses a model whose runtime scores disagree with its exported parity sample", async () => {
    const path = join(root, "fraud-lr", "1.0.0", "parity-sample.json");
    const parity = JSON.parse(await readFile(path, "utf8")) as { scores: number[] };
    parity.scores[0] = parity.scores[0]! + 0.2;
    await writeFile(path, JSON.stringify(parity));
    expect(await refusal(root)).toMatch(/parity sample .* away from the exported scores/);
  });

  it("refuses a model.onnx that is not the file model.json describes (artifact sha256)", async () => {
    await editManifest(root, "fraud-lr", "1.0.0", (m) => {
      (m.artifact as { sha256: string }).sha256 = "0".repeat(64);
    });
    await expect(new ModelRegistry({ root }).load("fraud-lr", "1.0.0")).rejects.toThrow(
      /model\.onnx \(715 bytes, sha256 [0-9a-f]{12}…\) is not the file model\.json describes/,
    );
  });

  it("refuses a model trained on another feature set than the stream computes", async () => {
    const registry = new ModelRegistry({ root });
    const options = { ...loadOptions(onnxRuntime()), featureSet: "fraud-baseline@2" };
    await expect(LoadedModel.load(await registry.load("fraud-lr", "1.0.0"), options)).rejects.toThrow(
      "Model fraud-lr@1.0.0 was trained on feature set fraud-baseline@1; the stream computes fraud-baseline@2",
    );
  });

  it("refuses declared outputs the graph does not have", async () => {
    await editManifest(root, "fraud-lr", "1.0.0", (m) => {
      (m.outputs as { dtype: string }[])[0]!.dtype = "float32";
    });
    expect(await refusal(root)).toContain(
      'output "label": model.json says float32, the ONNX graph says int64',
    );
  });

  it("is never half-loaded: a refused model releases every session it opened", async () => {
    const runtime = new FakeRuntime({
      providers: { cuda: {} },
      inputs: [{ name: "features", dtype: "float32", shape: ["N", 14] }],
    });
    const registry = new ModelRegistry({ root });
    const options = loadOptions(runtime);
    options.chain = { ...options.chain, providers: ["cuda", "cpu"] };
    await expect(LoadedModel.load(await registry.load("fraud-lr", "1.0.0"), options)).rejects.toThrow(
      /axis 1: model.json says 15, the ONNX graph says 14/,
    );
    expect(runtime.created.length).toBeGreaterThan(0);
    expect(runtime.released.length).toBe(runtime.created.length);
  });
});
