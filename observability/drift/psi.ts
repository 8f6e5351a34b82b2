/**
 * PSI against model.json's reference bins, exactly as training computes it (training/common/drift.py,
 * models/README.md "Drift bins"): a value x falls in bin #{ j : edges[j] < x }, so the bins are
 * (-inf, e0], (e0, e1], ..., (e_last, inf) and there are edges.length + 1 of them;
 * PSI = sum over bins of (q - p) * ln(q / p), both proportions floored at 1e-4 so an empty bin
 * stays finite. Rule of thumb: < 0.1 stable, 0.1-0.25 moderate shift, > 0.25 significant.
 */

export const PSI_FLOOR = 1e-4;

/** Bin of `x`: how many edges lie strictly below it (binary search; edges ascending). */
export function binIndex(x: number, edges: readonly number[]): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (edges[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Proportions of `counts` (all zeros when empty). */
export function proportions(counts: ArrayLike<number>): number[] {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i]!;
  return Array.from({ length: counts.length }, (_, i) => (total > 0 ? counts[i]! / total : 0));
}

/** PSI of observed proportions `actual` against `expected` (same length). */
export function psi(expected: readonly number[], actual: readonly number[], floor = PSI_FLOOR): number {
  if (expected.length !== actual.length) {
    throw new RangeError(`PSI needs as many bins on both sides (${expected.length} vs ${actual.length})`);
  }
  let sum = 0;
  for (let i = 0; i < expected.length; i++) {
    const p = Math.max(expected[i]!, floor);
    const q = Math.max(actual[i]!, floor);
    sum += (q - p) * Math.log(q / p);
  }
  return sum;
}

/** PSI of raw `values` binned on `edges` against the reference proportions. */
export function psiOfValues(
  edges: readonly number[],
  expected: readonly number[],
  values: readonly number[],
): number {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (const v of values) counts[binIndex(v, edges)]!++;
  return psi(expected, proportions(counts));
}
