/**
 * A sliding window of the last `size` observations of one feature, kept as bin indices in a ring
 * with running counts per bin: observing is O(log bins), reading the window's proportions is
 * O(bins), memory is 2 bytes per slot. Count-based rather than time-based, so a quiet hour and a
 * busy minute are compared on the same number of records.
 */
import { binIndex, proportions } from "./psi.ts";

export class BinnedWindow {
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

  observe(value: number): void {
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

  proportions(): number[] {
    return proportions(this.counts);
  }

  clear(): void {
    this.counts.fill(0);
    this.next = 0;
    this.filled = 0;
  }
}
