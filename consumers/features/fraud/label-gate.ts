/**
 * The label watermark gate. A transaction at event time t may use every label with occurredAt ≤ t.
 * Labels are keyed by customer, so the labels a terminal needs come from every label partition, and
 * in a fast replay those partitions drift apart in event time. The store keeps, per label partition,
 * the largest label time stored; their minimum W (the watermark) says every label with occurredAt < W
 * is stored (each partition is in event-time order). The gate holds a transaction until W > t − L
 * (L = allowedLatenessMs), at most maxWaitMs of processing time.
 *
 * A stalled watermark (an idle or finished label partition) costs one timeout, not one per record:
 * after a timeout the gate stays open until W moves again.
 */
import { sleep } from "../../../lib/retry/index.ts";
import type { FeatureStore } from "../store/index.ts";
import type { LabelGateOptions } from "./options.ts";

export interface GateResult {
  /** The watermark the features were computed with. */
  watermark: number;
  /** W > t − allowedLatenessMs: every label the definition allows was stored. */
  complete: boolean;
  /** Processing time spent waiting, ms. */
  waitedMs: number;
  timedOut: boolean;
}

export class LabelGate {
  private stalledAt = Number.NaN;

  constructor(
    private readonly store: FeatureStore,
    private readonly options: Readonly<LabelGateOptions>,
  ) {}

  isOpen(t: number, watermark: number): boolean {
    return watermark > t - this.options.allowedLatenessMs;
  }

  /** The gate's answer when it needs no waiting (open, waiting off, or stalled); else undefined. */
  immediate(t: number, watermark: number): GateResult | undefined {
    if (this.isOpen(t, watermark)) return { watermark, complete: true, waitedMs: 0, timedOut: false };
    if (this.options.maxWaitMs === 0 || watermark === this.stalledAt) {
      return { watermark, complete: false, waitedMs: 0, timedOut: false };
    }
    return undefined;
  }

  /**
   * Given the watermark read with the snapshot, waits (when configured) until the gate opens.
   * Returns the final watermark; the caller re-reads the state when it changed.
   */
  async wait(t: number, watermark: number, now: () => number, signal?: AbortSignal): Promise<GateResult> {
    const at = this.immediate(t, watermark);
    if (at) return at;
    const start = now();
    let current = watermark;
    while (!this.isOpen(t, current)) {
      if (now() - start >= this.options.maxWaitMs) {
        this.stalledAt = current;
        return { watermark: current, complete: false, waitedMs: now() - start, timedOut: true };
      }
      await sleep(this.options.pollMs, signal);
      current = await this.store.labelWatermark();
    }
    this.stalledAt = Number.NaN;
    return { watermark: current, complete: true, waitedMs: now() - start, timedOut: false };
  }
}
