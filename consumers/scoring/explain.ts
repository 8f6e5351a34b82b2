/**
 * Top contributing features, as a heuristic: the features furthest from the training mean in units
 * of the training std (|z|), from the model's reference distribution. It says which inputs are
 * unusual for this record, not how the model weighed them (that would need SHAP or similar); good
 * enough to point a reviewer at the amount or the terminal's recent fraud, and cheap.
 */
export interface ExplainOptions {
  topFeatures: number;
  minAbsZ: number;
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
