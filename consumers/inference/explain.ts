/**
 * Occlusion contributions: for a record a model flags, how much each input accounts for its score —
 * the score minus the score the same loaded version gives the record with that one input made
 * typical, scored through the version's own batch queue: a feature at its training mean (model.json
 * `reference.features[*].mean`), or, for a text model, a word left out of the text. Model-agnostic
 * (trees, networks, linear text models alike) and exact for what it measures: "the score would drop
 * by this much without this input". Inputs interact, so contributions need not add up to the score.
 * It runs only where a reviewer will look (records at or above the version's review threshold, ~1 %
 * of transactions and ~6 % of posts here), one extra row per feature or distinct word (at most
 * MAX_WORDS).
 */
import { errorMessage } from "../../lib/errors/index.ts";
import type { Logger } from "../../lib/log/index.ts";
import type { LoadedModel } from "./model-version.ts";
import type { ModelRow } from "./types.ts";

const NONE: Readonly<Record<string, number>> = Object.freeze({});

/**
 * A text model's words, as its graph's tokenizer sees them (moderation-text: [\p{L}\p{N}_]+ over
 * normalizedText): the distinct ones occlusion tries, in order of first appearance, at most this many.
 */
const WORD = /[\p{L}\p{N}_]+/gu;
export const MAX_WORDS = 24;

/** Whether `score` by `model` gets contributions: at or above the version's review threshold. */
export function explains(model: LoadedModel, score: number): boolean {
  return score >= model.manifest.thresholds.review;
}

/** The record with one input occluded, per feature (at its training mean) or per word (left out). */
function occlusions(model: LoadedModel, row: ModelRow): { name: string; row: ModelRow }[] {
  const out: { name: string; row: ModelRow }[] = [];
  const reference = model.manifest.reference?.features ?? {};
  for (const feature of model.manifest.features) {
    const mean = reference[feature]?.mean;
    if (typeof mean !== "number" || row.features[feature] === mean) continue;
    out.push({ name: feature, row: { ...row, features: { ...row.features, [feature]: mean } } });
  }
  if (typeof row.text === "string" && model.manifest.inputs.some((i) => i.source === "text")) {
    const words = row.text.match(WORD) ?? [];
    for (const word of [...new Set(words)].slice(0, MAX_WORDS)) {
      // The graph sees only tokens: the other words, joined by spaces, are the same input without this one.
      out.push({ name: `word:${word}`, row: { ...row, text: words.filter((w) => w !== word).join(" ") } });
    }
  }
  return out;
}

/**
 * Per feature with a reference mean, `score` minus the score with that feature at its mean; per word
 * of a text model's input (`word:<word>`), `score` minus the score without it (rounded to 1e-6).
 * Features already at their mean are left out (their contribution is 0). On failure (the version was
 * swapped out meanwhile, the run failed) the record goes on without contributions.
 */
export async function contributions(
  model: LoadedModel,
  row: ModelRow,
  score: number,
  logger: Logger,
  signal?: AbortSignal,
): Promise<Readonly<Record<string, number>>> {
  const occluded = occlusions(model, row);
  if (occluded.length === 0) return NONE;
  try {
    const scores = await Promise.all(occluded.map((o) => model.score(o.row, signal)));
    const out: Record<string, number> = {};
    occluded.forEach((o, i) => {
      out[o.name] = Math.round((score - scores[i]!.score) * 1e6) / 1e6;
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
