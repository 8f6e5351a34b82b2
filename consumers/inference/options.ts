/**
 * Inference stage settings, validated once with zod. Every option documents its default. Some can
 * also come from the environment, where the settings given in code leave them out: VERDICT_EP
 * (providers), VERDICT_ONNX_WORKERS (workers), VERDICT_ONNX_THREADS (intraOpNumThreads),
 * VERDICT_BATCH_MAX_SIZE and VERDICT_BATCH_MAX_DELAY_MS (batching), VERDICT_WEBGPU_PRECHECK and
 * VERDICT_FRAUD_SCREEN.
 */
import { z } from "zod";
import { envBool, envInt } from "../../lib/config/index.ts";
import { settingPath, VerdictError } from "../../lib/errors/index.ts";

/** Execution providers onnxruntime-node knows (not all are bundled everywhere; the chain finds out). */
export const KNOWN_PROVIDERS = ["cuda", "tensorrt", "webgpu", "dml", "coreml", "xnnpack", "cpu"] as const;

const providerList = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : v.split(",")).map((p) => p.trim().toLowerCase()).filter(Boolean))
  .pipe(
    z
      .array(
        z.enum(KNOWN_PROVIDERS, {
          error: (i) => `unknown provider "${String(i.input)}" (known: ${KNOWN_PROVIDERS.join(", ")})`,
        }),
      )
      .min(1),
  );

export const batchingSchema = z
  .object({
    /** Rows per session.run at most. Default 256. */
    maxBatchSize: z.number().int().min(1).default(256),
    /** Longest a row waits for its batch to fill, ms (the latency bound); 0 = end of the tick. Default 2. */
    maxQueueDelayMs: z.number().min(0).max(1000).default(2),
    /** Rows queued per model version at most; further rows wait (backpressure). Default 4096. */
    maxQueueSize: z.number().int().min(1).default(4096),
    /** session.run calls in flight per model version. Default 2 (one runs, the next fills). */
    maxConcurrentBatches: z.number().int().min(1).default(2),
    /**
     * When no batch is running, send what the current tick queued at once instead of waiting out
     * maxQueueDelayMs (the delay then only applies while the model is busy). Default true.
     */
    eagerWhenIdle: z.boolean().default(true),
  })
  .strict();

const version = z.string().regex(/^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$/, "a semantic version like 1.2.0");

export const modelSlotSchema = z
  .object({
    /** Model name in the registry (models/<name>/). */
    name: z.string().min(1),
    /** Pin a version; default: follow the registry's active version (hot reload on change). */
    version: version.optional(),
    /** Candidate version scoring `percent` % of keys (stable hash of the partition key). */
    canary: z
      .object({ version, percent: z.number().min(0).max(100) })
      .strict()
      .optional(),
    /** Candidate versions scoring every record to the shadow topic. Default none. */
    shadow: z.array(version).default([]),
    /**
     * Model cascade: a cheap screen model scores every record first; records it scores below its
     * cut-off are cleared (its score is the record's), the rest go to this slot's model (the decider).
     * Default none: the decider scores everything.
     */
    screen: z
      .object({
        /** Screen model name in the registry, e.g. "fraud-mlp". */
        name: z.string().min(1),
        /** Pin the screen's version; default: follow the registry's active version (hot reload). */
        version: version.optional(),
        /**
         * Cut-off; default: the screen version's model.json `screening.clearBelow` (chosen by
         * training). Must not exceed the screen's review threshold.
         */
        clearBelow: z.number().min(0).max(1).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

/**
 * The models a stage scores with when settings name none: fraud-gbt for fraud, moderation-text for
 * moderation. Env VERDICT_FRAUD_SCREEN=fraud-mlp puts a screen in front of fraud-gbt (model cascade).
 */
const DEFAULT_MODELS = {
  fraud: { name: "fraud-gbt", shadow: [] },
  moderation: { name: "moderation-text", shadow: [] },
} satisfies Record<string, ModelSlotSettings>;

export const inferenceSettingsSchema = z
  .object({
    /** Provider chain in order of preference. Default VERDICT_EP, else "cuda,webgpu,cpu". */
    providers: providerList.default(["cuda", "webgpu", "cpu"]),
    /** A session.run still running after this counts as a provider failure (batch moves on). Default 10000. */
    runTimeoutMs: z.number().int().min(1).default(10_000),
    /** Largest |Δscore| a provider may differ from the CPU reference in its self-check. Default 1e-3. */
    tolerance: z.number().positive().default(1e-3),
    breaker: z
      .object({
        /** Consecutive run failures that open a provider's circuit. Default 3. */
        failureThreshold: z.number().int().min(1).default(3),
        /** Time an open circuit waits before a probe batch, ms. Default 10000. */
        cooldownMs: z.number().int().min(0).default(10_000),
      })
      .strict()
      .default({ failureThreshold: 3, cooldownMs: 10_000 }),
    batching: batchingSchema.default({
      maxBatchSize: 256,
      maxQueueDelayMs: 2,
      maxQueueSize: 4096,
      maxConcurrentBatches: 2,
      eagerWhenIdle: true,
    }),
    /**
     * ONNX Runtime intra-op threads per session. Default 1: onnxruntime-node runs `session.run` on
     * the event-loop thread, and a thread pool spinning across a few shared cores cost 42 % more CPU
     * per record and raised p99 from ~150 ms to ~700 ms at half load (BENCHMARKS.md). Raise it on
     * dedicated cores with large batches. Env VERDICT_ONNX_THREADS.
     */
    intraOpNumThreads: z.number().int().min(1).optional().default(1),
    /**
     * Worker threads that run ONNX Runtime sessions (0: on the event-loop thread). Default 1: a
     * batch's session.run then never blocks fetching, encoding or the other stages of a fused
     * pipeline. Env VERDICT_ONNX_WORKERS.
     */
    workers: z.number().int().min(0).max(64).default(1),
    /**
     * Before asking ONNX Runtime for a WebGPU session on Linux, check that the Vulkan loader is
     * installed (onnx/prerequisites.ts): a clear reason instead of Dawn's raw stderr line. Default
     * true; false (env VERDICT_WEBGPU_PRECHECK=0) leaves the decision to ONNX Runtime alone.
     */
    webgpuPrecheck: z.boolean().default(true),
    explain: z
      .object({
        /**
         * For records scored at or above the version's review threshold, score each feature's
         * occlusion (the same record with that feature at its training mean) and put the differences
         * in Scored.contributions: the policy's reasons then name the features the model weighed
         * (explain.ts). Costs one extra row per feature for those records only. Default true.
         */
        contributions: z.boolean().default(true),
      })
      .strict()
      .default({ contributions: true }),
    /** Models per domain; leave one out to not consume that domain. */
    models: z
      .object({ fraud: modelSlotSchema.optional(), moderation: modelSlotSchema.optional() })
      .strict()
      .default(DEFAULT_MODELS),
    registry: z
      .object({
        /** Models folder. Default "models". */
        root: z.string().default("models"),
        /** Active-version file in models/<name>/. Default "ACTIVE". */
        activeFile: z.string().default("ACTIVE"),
        /** Poll the active files and hot-reload on change. Default true. */
        watch: z.boolean().default(true),
        /** Poll interval, ms. Default 2000. */
        pollMs: z.number().int().min(50).default(2000),
      })
      .strict()
      .default({ root: "models", activeFile: "ACTIVE", watch: true, pollMs: 2000 }),
  })
  .strict();

export type InferenceSettings = z.infer<typeof inferenceSettingsSchema>;
export type InferenceSettingsInput = z.input<typeof inferenceSettingsSchema>;
export type ModelSlotSettings = z.infer<typeof modelSlotSchema>;
export type BatchingSettings = z.infer<typeof batchingSchema>;

export function parseInferenceSettings(
  input: InferenceSettingsInput | undefined,
  env: Record<string, string | undefined> = process.env,
): Readonly<InferenceSettings> {
  const withEnv = { ...(input ?? {}) };
  if (withEnv.providers === undefined && env.VERDICT_EP) withEnv.providers = env.VERDICT_EP;
  withEnv.workers ??= envInt(env, "VERDICT_ONNX_WORKERS", { min: 0, max: 64 });
  withEnv.intraOpNumThreads ??= envInt(env, "VERDICT_ONNX_THREADS", { min: 1, max: 256 });
  // Triton's two batcher knobs (max_batch_size, max_queue_delay), for every model of the stage.
  const maxBatchSize = envInt(env, "VERDICT_BATCH_MAX_SIZE", { min: 1, max: 4096 });
  const maxQueueDelayMs = envInt(env, "VERDICT_BATCH_MAX_DELAY_MS", { min: 0, max: 1000 });
  if (maxBatchSize !== undefined || maxQueueDelayMs !== undefined) {
    withEnv.batching = {
      ...(maxBatchSize !== undefined && { maxBatchSize }),
      ...(maxQueueDelayMs !== undefined && { maxQueueDelayMs }),
      ...withEnv.batching,
    };
  }
  if (withEnv.webgpuPrecheck === undefined) {
    const precheck = envBool(env, "VERDICT_WEBGPU_PRECHECK");
    if (precheck !== undefined) withEnv.webgpuPrecheck = precheck;
  }
  const screen = env.VERDICT_FRAUD_SCREEN?.trim();
  if (withEnv.models === undefined && screen) {
    withEnv.models = {
      fraud: { ...DEFAULT_MODELS.fraud, ...(screen === "none" ? {} : { screen: { name: screen } }) },
      moderation: DEFAULT_MODELS.moderation,
    };
  }
  const parsed = inferenceSettingsSchema.safeParse(withEnv);
  if (!parsed.success) {
    const lines = parsed.error.issues
      .map((i) => `  - ${settingPath("inference", i.path)}: ${i.message}`)
      .join("\n");
    throw new VerdictError("VERDICT_ERR_CONFIG", `Invalid inference settings:\n${lines}`);
  }
  return Object.freeze(parsed.data);
}
