/** Small statistics helpers shared by the benchmarks (no dependencies). */

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function sorted(xs: readonly number[]): number[] {
  return [...xs].sort((a, b) => a - b);
}

export function median(xs: readonly number[]): number {
  const s = sorted(xs);
  if (s.length === 0) return Number.NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Median with the min–max spread of repeated rounds. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
  values: number[];
}

export function spread(xs: readonly number[]): Spread {
  const s = sorted(xs.filter((x) => Number.isFinite(x)));
  return {
    median: median(s),
    min: s[0] ?? Number.NaN,
    max: s.at(-1) ?? Number.NaN,
    n: s.length,
    values: [...xs],
  };
}

export function fmt(x: number, digits = 0): string {
  if (!Number.isFinite(x)) return "n/a";
  return x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function fmtSpread(s: Spread, digits = 0, unit = ""): string {
  return `${fmt(s.median, digits)}${unit} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`;
}

export function pct(x: number, digits = 0): string {
  return Number.isFinite(x) ? `${(x * 100).toFixed(digits)} %` : "n/a";
}

/** A plain-text table: header row, then rows; columns padded to the widest cell. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ");
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}
