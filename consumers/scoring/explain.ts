/**
 * Explanations for the reasons of a flagged verdict. Where the inference stage computed occlusion
 * contributions (scores at or above the model's review threshold: per feature, or per word of a text
 * model), the inputs that raised the score most. Otherwise a heuristic: the features furthest from the training mean in
 * units of the training std (|z|), from the model's reference distribution, which says which inputs
 * are unusual for this record, not how the model weighed them.
 */
export interface ExplainOptions {
  topFeatures: number;
  minAbsZ: number;
  /** Smallest occlusion contribution (score points) worth naming. */
  minContribution: number;
}

/**
 * `contribution:<name>:+<Δscore>` reasons from Scored.contributions (the inference stage's occlusion:
 * how much lower the score would be with that feature at its training mean, or without that word,
 * `word:<word>`), largest first; only inputs that raised the score by at least `minContribution`. This is how the model weighed the
 * record, where unusualFeatures below only says which inputs are rare.
 */
export function contributingFeatures(
  contributions: Readonly<Record<string, number>>,
  options: ExplainOptions,
): string[] {
  if (options.topFeatures === 0) return [];
  return Object.entries(contributions)
    .filter(([, c]) => Number.isFinite(c) && c >= options.minContribution)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, options.topFeatures)
    .map(([name, c]) => `contribution:${name}:+${Number(c.toFixed(3))}`);
}

/** `feature:<name>:<±z>sd` reasons, most unusual first. */
export function unusualFeatures(
  features: Readonly<Record<string, number>>,
  reference: Readonly<Record<string, { mean: number; std: number }>> | undefined,
  options: ExplainOptions,
): string[] {
  if (!reference || options.topFeatures === 0) return [];
  const scored: { name: string; z: number }[] = [];
  for (const [name, value] of Object.entries(features)) {
    const ref = reference[name];
    if (!ref || !(ref.std > 0) || !Number.isFinite(value)) continue;
    const z = (value - ref.mean) / ref.std;
    if (Math.abs(z) >= options.minAbsZ) scored.push({ name, z });
  }
  return scored
    .sort((a, b) => Math.abs(b.z) - Math.abs(a.z) || a.name.localeCompare(b.name))
    .slice(0, options.topFeatures)
    .map(({ name, z }) => `feature:${name}:${z >= 0 ? "+" : ""}${z.toFixed(1)}sd`);
}
