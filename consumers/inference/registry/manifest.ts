/**
 * model.json: what a model version declares about itself, validated with zod when it is loaded.
 * Unknown fields are kept (training adds provenance, metrics...), known ones are checked strictly,
 * with cross-field rules: a dense input's width equals the feature list, thresholds are ordered.
 * The JSON Schema the training side writes against lives in models/model-json.schema.json.
 */
import { z } from "zod";
import { UnrecoverableError } from "../../../lib/errors/index.ts";

const dim = z.union([z.number().int(), z.string(), z.null()]);

export const inputSpecSchema = z.object({
  /** The ONNX graph input name. */
  name: z.string().min(1),
  /** Element type as onnxruntime names it. */
  dtype: z.enum(["float32", "float64", "int32", "int64", "string"]),
  /** Declared shape; the batch axis (first) is dynamic: null, a symbol ("N"), or -1. */
  shape: z.array(dim).min(1).max(2),
  /**
   * What feeds it: "features" = the named features in `features` order ([N, F]);
   * "text" = the record's normalized text ([N, 1] or [N] strings). Default "features".
   */
  source: z.enum(["features", "text"]).default("features"),
});

/** A reference distribution: decile edges and proportions (for drift), mean/std when numeric. */
const distribution = z
  .object({
    edges: z.array(z.number()).optional(),
    proportions: z.array(z.number().min(0).max(1)).optional(),
    count: z.number().int().optional(),
    mean: z.number().optional(),
    std: z.number().nonnegative().optional(),
  })
  .loose();

export const manifestSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "lower-case letters, digits and dashes"),
    version: z.string().regex(/^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$/, "a semantic version like 1.2.0"),
    domain: z.enum(["fraud", "moderation"]),
    description: z.string().optional(),
    /** Name@version of the feature definitions the model was trained on. */
    featureSet: z.string().optional(),
    /** Dense feature names in the model's input order. */
    features: z.array(z.string().min(1)).default([]),
    inputs: z.array(inputSpecSchema).min(1),
    /** The graph's outputs as exported; checked against the session when declared. */
    outputs: z
      .array(z.object({ name: z.string().min(1), dtype: z.string(), shape: z.array(dim) }).loose())
      .optional(),
    /** Which output holds the positive-class probability: tensor name and column (for [N, C] outputs). */
    output: z.object({ name: z.string().min(1), index: z.number().int().min(0).default(0) }),
    /** Score cut-offs: below review → approve/allow; [review, decline|block) → review; above → decline/block. */
    thresholds: z
      .object({
        review: z.number().min(0).max(1),
        decline: z.number().min(0).max(1).optional(),
        block: z.number().min(0).max(1).optional(),
      })
      .loose(),
    metrics: z.record(z.string(), z.unknown()).optional(),
    /**
     * This model as a cascade's screen (inference `models.<domain>.screen`): records it scores below
     * `clearBelow` are cleared without the decider. Written by training/fraud/cascade.py.
     */
    screening: z
      .object({
        clearBelow: z.number().min(0).max(1),
        /** The decider the cut-off was chosen against. */
        decider: z
          .object({ name: z.string().min(1), version: z.string() })
          .loose()
          .optional(),
      })
      .loose()
      .optional(),
    /**
     * How this model wants to be served. `batching` bounds its micro-batches like Triton's per-model
     * dynamic_batching: these fields win over the stage's `batching` settings for this model (e.g. a
     * graph exported with a fixed largest batch, or a heavy model worth a longer wait).
     */
    serving: z
      .object({
        batching: z
          .object({
            /** Rows per session.run at most. */
            maxBatchSize: z.number().int().min(1).max(65_536).optional(),
            /** Longest a row waits for its batch to fill, ms. */
            maxQueueDelayMs: z.number().min(0).max(1000).optional(),
          })
          .strict()
          .optional(),
      })
      .loose()
      .optional(),
    /** Reference distributions from the training data (drift detection, explanations). */
    reference: z
      .object({
        features: z.record(z.string(), distribution).optional(),
        score: distribution.optional(),
        /** The stretch of event time the reference sample covers, ms (drift windows span as much). */
        spanMs: z.number().int().positive().optional(),
      })
      .loose()
      .optional(),
    /** The exporter's parity sample (rows and their onnxruntime scores) and the tolerance to hold. */
    parity: z
      .object({ file: z.string().default("parity-sample.json"), tolerance: z.number().positive() })
      .loose()
      .optional(),
  })
  .loose()
  .superRefine((m, ctx) => {
    const top = m.domain === "fraud" ? "decline" : "block";
    const upper = m.thresholds[top];
    if (upper === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["thresholds", top],
        message: `a ${m.domain} model needs ${top}`,
      });
    } else if (upper < m.thresholds.review) {
      ctx.addIssue({ code: "custom", path: ["thresholds"], message: `review must be ≤ ${top}` });
    }
    if (m.screening && m.screening.clearBelow > m.thresholds.review) {
      ctx.addIssue({
        code: "custom",
        path: ["screening", "clearBelow"],
        message: `must be ≤ thresholds.review (${m.thresholds.review}): a record the screen clears is approved`,
      });
    }
    const dupes = m.features.filter((f, i) => m.features.indexOf(f) !== i);
    if (dupes.length) ctx.addIssue({ code: "custom", path: ["features"], message: `duplicates: ${dupes}` });
    m.inputs.forEach((input, i) => {
      if (input.source === "features") {
        if (m.features.length === 0) {
          ctx.addIssue({ code: "custom", path: ["features"], message: `input ${input.name} needs features` });
        }
        const width = input.shape[1];
        if (input.shape.length !== 2 || (typeof width === "number" && width !== m.features.length)) {
          ctx.addIssue({
            code: "custom",
            path: ["inputs", i, "shape"],
            message: `a features input is [N, ${m.features.length}] (features has ${m.features.length} names)`,
          });
        }
        if (input.dtype === "string") {
          ctx.addIssue({ code: "custom", path: ["inputs", i, "dtype"], message: "features are numeric" });
        }
      } else if (input.dtype !== "string") {
        ctx.addIssue({ code: "custom", path: ["inputs", i, "dtype"], message: "a text input is string" });
      }
    });
  });

export type ModelManifest = z.infer<typeof manifestSchema>;
export type InputSpec = ModelManifest["inputs"][number];
export type Domain = ModelManifest["domain"];

/** Parses a model.json; the error names the file, every bad path, and what is expected there. */
export function parseManifest(raw: unknown, where: string): ModelManifest {
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  - ${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new UnrecoverableError("VERDICT_ERR_MODEL_INVALID", `Invalid ${where}:\n${lines.join("\n")}`, {
      context: { file: where },
    });
  }
  return Object.freeze(parsed.data);
}

/** Reference mean/std of the features whose distribution has them. */
export function featureReference(m: ModelManifest): Record<string, { mean: number; std: number }> {
  const out: Record<string, { mean: number; std: number }> = {};
  for (const [name, d] of Object.entries(m.reference?.features ?? {})) {
    if (typeof d.mean === "number" && typeof d.std === "number") out[name] = { mean: d.mean, std: d.std };
  }
  return out;
}

/** The upper threshold under its domain's name. */
export function upperThreshold(m: ModelManifest): number {
  return (m.domain === "fraud" ? m.thresholds.decline : m.thresholds.block) ?? 1;
}
