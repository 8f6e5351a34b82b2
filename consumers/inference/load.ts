/**
 * Loading one model version the way the inference stage does, and `verdict models check`, which
 * does exactly that without a stage: contract and artifact hash (registry), the stage's features and
 * feature set, the ONNX graph's inputs, the provider chain and its self-check; then it scores the
 * parity sample through the micro-batched path a stage scores records with. Nothing is activated,
 * and every session is released.
 */
import { UnrecoverableError } from "../../lib/errors/index.ts";
import type { Logger } from "../../lib/log/index.ts";
import { rowsFromParity, syntheticRows } from "./encode.ts";
import { LoadedModel } from "./model-version.ts";
import type { InferenceSettings } from "./options.ts";
import { maxDiff } from "./provider-chain.ts";
import type { Domain } from "./registry/manifest.ts";
import type { ModelFiles } from "./registry/registry.ts";
import type { ModelRuntime } from "./types.ts";

/** What loading a version needs besides its files; a stage and the check build it the same way. */
export interface VersionLoadContext {
  runtime: ModelRuntime;
  settings: Readonly<InferenceSettings>;
  /** Feature names the features stage provides per domain (InferenceDeps.features). */
  features: Readonly<Record<Domain, readonly string[]>>;
  /** Feature sets the stream computes per domain; unchecked where absent. */
  featureSets?: Readonly<Partial<Record<Domain, string>>>;
  logger: Logger;
}

/** One version, loaded for `domain` with the stage's settings: all-or-nothing (LoadedModel.load). */
export function loadVersion(
  files: ModelFiles,
  domain: Domain,
  ctx: VersionLoadContext,
): Promise<LoadedModel> {
  const { settings } = ctx;
  const featureSet = ctx.featureSets?.[domain];
  return LoadedModel.load(files, {
    runtime: ctx.runtime,
    ...(featureSet ? { featureSet } : {}),
    provided: { features: ctx.features[domain], text: domain === "moderation" },
    chain: {
      providers: settings.providers,
      tolerance: settings.tolerance,
      breaker: settings.breaker,
      runTimeoutMs: settings.runTimeoutMs,
      ...(settings.intraOpNumThreads ? { intraOpNumThreads: settings.intraOpNumThreads } : {}),
    },
    batching: versionBatching(files, settings),
    logger: ctx.logger,
  });
}

/** The stage's batching settings, with what the version's model.json `serving.batching` sets instead. */
export function versionBatching(
  files: ModelFiles,
  settings: Readonly<InferenceSettings>,
): InferenceSettings["batching"] {
  return { ...settings.batching, ...files.manifest.serving?.batching };
}

export interface VersionCheck {
  model: string;
  domain: Domain;
  featureSet: string | undefined;
  /** Each ONNX input as model.json declares it, e.g. `features float32 [?, 15] ← 15 features`. */
  inputs: string[];
  /** The provider batches would go to, and every provider that passed its self-check. */
  provider: string;
  providers: string[];
  /** review, and decline (fraud) or block (moderation). */
  thresholds: Record<string, number>;
  /** model.json `screening.clearBelow`: the cut-off this version clears below as a cascade's screen. */
  clearBelow: number | undefined;
  /** The micro-batch bounds this version runs with, and whether model.json set any of them. */
  batching: { maxBatchSize: number; maxQueueDelayMs: number; fromModel: boolean };
  /** The parity sample scored through the batcher: rows, largest difference from the exported scores, tolerance. */
  parity: { rows: number; maxDiff: number; tolerance: number } | undefined;
  /** Rows scored when the version ships no parity sample (synthetic, nothing to compare with). */
  syntheticRows: number;
}

/**
 * Loads `files` for their own domain as a stage would, scores the parity sample through the batch
 * queue and compares it with the exported scores. Throws the stage's own error (VERDICT_ERR_MODEL_INVALID
 * and friends) where a stage would refuse the version, or when the batched scores drift from the sample.
 */
export async function checkModelVersion(files: ModelFiles, ctx: VersionLoadContext): Promise<VersionCheck> {
  const m = files.manifest;
  const loaded = await loadVersion(files, m.domain, ctx);
  try {
    const rows = files.parity ? rowsFromParity(m, files.parity) : syntheticRows(m);
    const scores = (await Promise.all(rows.map((row) => loaded.score(row)))).map((r) => r.score);
    let parity: VersionCheck["parity"];
    if (files.parity) {
      const tolerance = m.parity?.tolerance ?? files.parity.tolerance ?? ctx.settings.tolerance;
      parity = { rows: rows.length, maxDiff: maxDiff(scores, files.parity.scores), tolerance };
      if (!(parity.maxDiff <= tolerance)) {
        throw new UnrecoverableError(
          "VERDICT_ERR_MODEL_INVALID",
          `Model ${m.name}@${m.version}: scored in batches as the stage scores records, its parity sample is ${parity.maxDiff.toExponential(2)} away from the exported scores (tolerance ${tolerance}): check the feature order in model.json against the graph's columns`,
          { context: { model: m.name, version: m.version, maxDiff: parity.maxDiff } },
        );
      }
    }
    const batching = versionBatching(files, ctx.settings);
    return {
      model: `${m.name}@${m.version}`,
      domain: m.domain,
      featureSet: m.featureSet,
      inputs: m.inputs.map(
        (i) =>
          `${i.name} ${i.dtype} [${i.shape.map((d) => d ?? "?").join(", ")}] ← ${
            i.source === "text" ? "normalizedText" : `${m.features.length} features`
          }`,
      ),
      provider: loaded.provider,
      providers: loaded.providers.map((p) => p.provider),
      thresholds: Object.fromEntries(
        (["review", "decline", "block"] as const).flatMap((k) => {
          const t = m.thresholds[k];
          return typeof t === "number" ? [[k, t]] : [];
        }),
      ),
      clearBelow: m.screening?.clearBelow,
      batching: {
        maxBatchSize: batching.maxBatchSize,
        maxQueueDelayMs: batching.maxQueueDelayMs,
        fromModel: m.serving?.batching !== undefined,
      },
      parity,
      syntheticRows: files.parity ? 0 : rows.length,
    };
  } finally {
    await loaded.close();
  }
}
