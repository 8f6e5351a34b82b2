/**
 * Helpers for models/parity.test.ts: which models ship in this folder, the training contract's
 * required fields, and scoring a parity sample with onnxruntime-node exactly as the stream lays
 * inputs out (features → float32 [N, F] in model order; text → string [N, 1]).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as ort from "onnxruntime-node";
import type { ModelManifest } from "../consumers/inference/registry/index.ts";

export const MODELS_ROOT = dirname(fileURLToPath(import.meta.url));

export interface Distribution {
  edges: number[];
  proportions: number[];
  count: number;
}

/** The fields of model.json that training adds on top of what the inference registry reads. */
export interface TrainingManifest {
  features: string[];
  thresholds: { method: string };
  reference: { features: Record<string, Distribution>; score: Distribution };
  provenance: { command: string; seed: number };
}

/** Every models/<name>/ holding at least one <version>/model.json, versions sorted. */
export const SHIPPED: { name: string; versions: string[] }[] = readdirSync(MODELS_ROOT, {
  withFileTypes: true,
})
  .filter((e) => e.isDirectory())
  .map((e) => ({
    name: e.name,
    versions: readdirSync(join(MODELS_ROOT, e.name), { withFileTypes: true })
      .filter((v) => v.isDirectory() && existsSync(join(MODELS_ROOT, e.name, v.name, "model.json")))
      .map((v) => v.name)
      .sort(),
  }))
  .filter((m) => m.versions.length > 0);

export function schemaRequired(): string[] {
  const schema = JSON.parse(readFileSync(join(MODELS_ROOT, "model-json.schema.json"), "utf8")) as {
    required: string[];
  };
  return schema.required;
}

export function featureRows(vectors: readonly (readonly number[])[]): number[][] {
  return vectors.map((v) => [...v]);
}

/** Positive-class scores for the sample's rows or texts. */
export async function runScores(
  session: ort.InferenceSession,
  m: ModelManifest,
  sample: { rows?: readonly (readonly number[])[] | undefined; texts?: readonly string[] | undefined },
): Promise<number[]> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const input of m.inputs) {
    if (input.source === "features") {
      const rows = sample.rows ?? [];
      const width = m.features.length;
      const data = new Float32Array(rows.length * width);
      rows.forEach((row, r) => {
        data.set(row, r * width);
      });
      feeds[input.name] = new ort.Tensor("float32", data, [rows.length, width]);
    } else {
      const texts = sample.texts ?? [];
      feeds[input.name] = new ort.Tensor("string", [...texts], [texts.length, 1]);
    }
  }
  const out = (await session.run(feeds, [m.output.name]))[m.output.name]!;
  const data = out.data as Float32Array;
  const cols = out.dims.length === 2 ? (out.dims[1] as number) : 1;
  return Array.from({ length: out.dims[0] as number }, (_, r) => data[r * cols + m.output.index] as number);
}
