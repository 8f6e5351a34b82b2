/**
 * Drift monitor settings, validated once with zod; each can come from the environment
 * (VERDICT_DRIFT_*). Defaults follow the usual PSI reading: < 0.1 stable, > 0.25 act.
 */
import { z } from "zod";
import { envBool } from "../../lib/config/index.ts";
import { settingPath, VerdictError } from "../../lib/errors/index.ts";

/** Records per count window when neither the options nor the reference choose a window. */
export const DEFAULT_WINDOW_SIZE = 2000;

export const driftOptionsSchema = z
  .object({
    /** Run the drift monitor at all. Env VERDICT_DRIFT_ENABLED. Default true. */
    enabled: z.boolean().default(true),
    /**
     * Count windows: the last N records per model version and feature. Env VERDICT_DRIFT_WINDOW.
     * Default: 2000, for models whose reference does not say what span of traffic it describes.
     */
    windowSize: z.number().int().min(10).max(1_000_000).optional(),
    /**
     * Event-time windows: the records of the last N ms of event time (occurredAt), for every model.
     * Env VERDICT_DRIFT_WINDOW_MS. Default: the span model.json's reference covers
     * (`reference.spanMs`, e.g. the fraud models' week), else count windows. Set one of windowSize and
     * windowMs to use that kind for every model.
     */
    windowMs: z.number().int().min(1000).optional(),
    /** Records a window needs before it is compared at all. Env VERDICT_DRIFT_MIN_SAMPLES. Default min(500, windowSize). */
    minSamples: z.number().int().min(1).optional(),
    /** How often windows are compared with the reference, ms. Env VERDICT_DRIFT_INTERVAL_MS. Default 5000. */
    intervalMs: z.number().int().min(50).default(5000),
    /** PSI at or above which an alert fires. Env VERDICT_DRIFT_PSI_ALERT. Default 0.25. */
    alertThreshold: z.number().positive().default(0.25),
    /** A firing alert resolves when PSI falls below this (hysteresis). Env VERDICT_DRIFT_PSI_RESOLVE. Default 0.1. */
    resolveThreshold: z.number().positive().default(0.1),
    /** A still-firing alert is published again after this long, ms. Env VERDICT_DRIFT_REPEAT_MS. Default 900000. */
    repeatAfterMs: z.number().int().min(0).default(900_000),
    /** Only these features (plus "score"); default every feature the reference describes. Env VERDICT_DRIFT_FEATURES (comma-separated). */
    features: z.array(z.string().min(1)).optional(),
  })
  .strict()
  .refine((o) => o.resolveThreshold <= o.alertThreshold, {
    message: "resolveThreshold must not exceed alertThreshold",
    path: ["resolveThreshold"],
  })
  .refine((o) => o.windowSize === undefined || o.windowMs === undefined, {
    message: "set windowSize (count windows) or windowMs (event-time windows), not both",
    path: ["windowMs"],
  })
  .refine((o) => o.minSamples === undefined || o.minSamples <= (o.windowSize ?? DEFAULT_WINDOW_SIZE), {
    message: "minSamples must not exceed windowSize",
    path: ["minSamples"],
  })
  .transform((o) => ({
    ...o,
    minSamples: o.minSamples ?? Math.min(500, o.windowSize ?? DEFAULT_WINDOW_SIZE),
  }));

export type DriftOptions = z.infer<typeof driftOptionsSchema>;
export type DriftOptionsInput = z.input<typeof driftOptionsSchema>;

const ENV: Record<string, [keyof DriftOptionsInput, "number" | "boolean" | "list"]> = {
  VERDICT_DRIFT_ENABLED: ["enabled", "boolean"],
  VERDICT_DRIFT_WINDOW: ["windowSize", "number"],
  VERDICT_DRIFT_WINDOW_MS: ["windowMs", "number"],
  VERDICT_DRIFT_MIN_SAMPLES: ["minSamples", "number"],
  VERDICT_DRIFT_INTERVAL_MS: ["intervalMs", "number"],
  VERDICT_DRIFT_PSI_ALERT: ["alertThreshold", "number"],
  VERDICT_DRIFT_PSI_RESOLVE: ["resolveThreshold", "number"],
  VERDICT_DRIFT_REPEAT_MS: ["repeatAfterMs", "number"],
  VERDICT_DRIFT_FEATURES: ["features", "list"],
};

/** Options from `input`, with VERDICT_DRIFT_* filling what it leaves out. */
export function parseDriftOptions(
  input: DriftOptionsInput = {},
  env: Record<string, string | undefined> = process.env,
): Readonly<DriftOptions> {
  const merged: Record<string, unknown> = {};
  for (const [name, [key, kind]] of Object.entries(ENV)) {
    const raw = env[name];
    if (raw === undefined || raw === "") continue;
    merged[key] =
      kind === "number"
        ? Number(raw)
        : kind === "boolean"
          ? envBool(env, name)
          : raw
              .split(",")
              .map((s) => s.trim())
              .filter(Boolean);
  }
  const parsed = driftOptionsSchema.safeParse({ ...merged, ...input });
  if (!parsed.success) {
    const lines = parsed.error.issues
      .map((i) => `  - ${settingPath("drift", i.path)}: ${i.message}`)
      .join("\n");
    throw new VerdictError("VERDICT_ERR_CONFIG", `Invalid drift settings (VERDICT_DRIFT_*):\n${lines}`);
  }
  return Object.freeze(parsed.data);
}
