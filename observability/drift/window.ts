/**
 * The drift monitor's sliding windows over one feature's bins. Two kinds:
 *
 * - `BinnedWindow`: the last `size` observations, kept as bin indices in a ring with running counts
 *   per bin: observing is O(log bins), reading the proportions O(bins), memory 2 bytes per slot. A
 *   quiet hour and a busy minute are compared on the same number of records.
 * - `EventTimeWindow`: the observations of the last `spanMs` of *event time* (the record's
 *   occurredAt, not the clock), as `buckets` time buckets of bin counts. Memory is buckets × bins
 *   whatever the rate. This is the window for features with a daily or weekly cycle (night, weekend):
 *   a window of N records covers a few hours and swings with the time of day, while a window spanning
 *   the reference's period compares like with like. Replays and simulations advance it at their own
 *   pace. An event older than the window is not counted (`late`).
 */
import { binIndex, proportions } from "./psi.ts";

export interface DriftWindow {
  /** `at`: the observation's event time, ms (ignored by count windows). */
  observe(value: number, at: number): void;
  /** Observations in the window now. */
  readonly samples: number;
  /** Whether the window holds what a comparison needs (`minSamples`, and a full span for time windows). */
  ready(minSamples: number): boolean;
  proportions(): number[];
  /** What the window is, for readings and logs: "2000 records" or "7d of event time". */
  readonly describe: string;
}

export class BinnedWindow implements DriftWindow {
  private readonly ring: Uint16Array;
  private readonly counts: Uint32Array;
  private next = 0;
  private filled = 0;

  constructor(
    readonly edges: readonly number[],
    readonly size: number,
  ) {
    if (edges.length + 1 > 0xffff) throw new RangeError("too many bins");
    this.ring = new Uint16Array(size);
    this.counts = new Uint32Array(edges.length + 1);
  }

  observe(value: number, _at?: number): void {
    if (!Number.isFinite(value)) return;
    const bin = binIndex(value, this.edges);
    if (this.filled === this.size) this.counts[this.ring[this.next]!]!--;
    else this.filled++;
    this.ring[this.next] = bin;
    this.counts[bin]!++;
    this.next = (this.next + 1) % this.size;
  }

  get samples(): number {
    return this.filled;
  }

  ready(minSamples: number): boolean {
    return this.filled >= minSamples;
  }

  get describe(): string {
    return `${this.size} records`;
  }

  proportions(): number[] {
    return proportions(this.counts);
  }

  clear(): void {
    this.counts.fill(0);
    this.next = 0;
    this.filled = 0;
  }
}

export class EventTimeWindow implements DriftWindow {
  private readonly bins: number;
  private readonly width: number;
  /** Bucket b's counts live at slot (b mod buckets); `ids[slot]` says which bucket is there now. */
  private readonly counts: Uint32Array;
  private readonly ids: Float64Array;
  private readonly totals: Float64Array;
  private total = 0;
  private newest = Number.NEGATIVE_INFINITY;
  private firstAt = Number.POSITIVE_INFINITY;
  private lastAt = Number.NEGATIVE_INFINITY;
  /** Observations that arrived after the window had moved past their time. */
  late = 0;

  constructor(
    readonly edges: readonly number[],
    readonly spanMs: number,
    readonly buckets = 24,
  ) {
    if (!(spanMs > 0) || !Number.isInteger(buckets) || buckets < 1) {
      throw new RangeError(
        `an event-time window needs spanMs > 0 and buckets ≥ 1 (got ${spanMs}, ${buckets})`,
      );
    }
    this.bins = edges.length + 1;
    this.width = Math.ceil(spanMs / buckets);
    this.counts = new Uint32Array(buckets * this.bins);
    this.ids = new Float64Array(buckets).fill(Number.NaN);
    this.totals = new Float64Array(this.bins);
  }

  observe(value: number, at: number): void {
    if (!Number.isFinite(value) || !Number.isFinite(at)) return;
    const bucket = Math.floor(at / this.width);
    if (bucket > this.newest) this.advance(bucket);
    else if (bucket <= this.newest - this.buckets) {
      this.late++;
      return;
    }
    const slot = this.slotOf(bucket);
    const bin = binIndex(value, this.edges);
    this.counts[slot * this.bins + bin]!++;
    this.totals[bin]!++;
    this.total++;
    if (at < this.firstAt) this.firstAt = at;
    if (at > this.lastAt) this.lastAt = at;
  }

  /** Moves the window's head to `bucket`, emptying the slots of buckets that fall out of it. */
  private advance(bucket: number): void {
    const from = Math.max(this.newest + 1, bucket - this.buckets + 1);
    for (let b = from; b <= bucket; b++) {
      const slot = this.slotOf(b);
      if (!Number.isNaN(this.ids[slot]!)) {
        const base = slot * this.bins;
        for (let i = 0; i < this.bins; i++) {
          const n = this.counts[base + i]!;
          this.totals[i]! -= n;
          this.total -= n;
          this.counts[base + i] = 0;
        }
      }
      this.ids[slot] = b;
    }
    this.newest = bucket;
  }

  private slotOf(bucket: number): number {
    return ((bucket % this.buckets) + this.buckets) % this.buckets;
  }

  get samples(): number {
    return this.total;
  }

  /** Event time the observations seen so far span (from the first ever to the newest). */
  get coveredMs(): number {
    return this.total > 0 ? this.lastAt - this.firstAt : 0;
  }

  /** Ready once the traffic seen spans the whole window (a partial one would over-weight a part of the cycle). */
  ready(minSamples: number): boolean {
    return this.total >= minSamples && this.coveredMs >= this.spanMs - this.width;
  }

  get describe(): string {
    return `${formatSpan(this.spanMs)} of event time`;
  }

  proportions(): number[] {
    return proportions(this.totals);
  }
}

function formatSpan(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, "d"],
    [3_600_000, "h"],
    [60_000, "min"],
    [1000, "s"],
  ];
  for (const [size, unit] of units) if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}
