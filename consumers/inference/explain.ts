/**
 * Occlusion contributions: for a record a model flags, how much each input feature accounts for its
 * score — the score minus the score the same loaded version gives the record with that one feature
 * at its training mean (model.json `reference.features[*].mean`), scored through the version's own
 * batch queue. Model-agnostic (trees and networks alike) and exact for what it measures: "the score
 * would drop by this much if this input were typical". Features interact, so contributions need not
 * add up to the score. It runs only where a reviewer will look (records at or above the version's
 * review threshold, ~1-2 % of transactions), one extra row per feature; text models have no
 * features to occlude and get none.
 */
import { errorMessage } from "../../lib/errors/index.ts";
import type { Logger } from "../../lib/log/index.ts";
import type { LoadedModel } from "./model-version.ts";
import type { ModelRow } from "./types.ts";

const NONE: Readonly<Record<string, number>> = Object.freeze({});

/** Whether `score` by `model` gets contributions: a features model, at or above its review threshold. */
export function explains(model: LoadedModel, score: number): boolean {
  return model.manifest.features.length > 0 && score >= model.manifest.thresholds.review;
}

/**
 * Per feature with a reference mean, `score` minus the score with that feature at its mean (rounded
 * to 1e-6). Features already at their mean are left out (their contribution is 0). On failure (the
 * version was swapped out meanwhile, the run failed) the record goes on without contributions.
 */
export async function contributions(
  model: LoadedModel,
  row: ModelRow,
  score: number,
  logger: Logger,
  signal?: AbortSignal,
): Promise<Readonly<Record<string, number>>> {
  const reference = model.manifest.reference?.features ?? {};
  const occluded: { feature: string; row: ModelRow }[] = [];
  for (const feature of model.manifest.features) {
    const mean = reference[feature]?.mean;
    if (typeof mean !== "number" || row.features[feature] === mean) continue;
    occluded.push({ feature, row: { ...row, features: { ...row.features, [feature]: mean } } });
  }
  if (occluded.length === 0) return NONE;
  try {
    const scores = await Promise.all(occluded.map((o) => model.score(o.row, signal)));
    const out: Record<string, number> = {};
    occluded.forEach((o, i) => {
      out[o.feature] = Math.round((score - scores[i]!.score) * 1e6) / 1e6;
    });
    return out;
  } catch (err) {
    logger.debug(
      { model: `${model.name}@${model.version}`, err: errorMessage(err) },
      "contributions not computed; the verdict goes on without them",
    );
    return NONE;
  }
}
