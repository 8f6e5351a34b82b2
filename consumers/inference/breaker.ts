/**
 * A circuit breaker per execution provider: closed (used) → open after `failureThreshold` consecutive
 * run failures (skipped; batches go to the next provider) → half-open after `cooldownMs` (one probe
 * batch is let through) → closed on the probe's success, open again on its failure.
 */
export type BreakerState = "closed" | "open" | "half-open";

export interface BreakerOptions {
  /** Consecutive failures that open the breaker. */
  failureThreshold: number;
  /** Time the breaker stays open before a probe is allowed, ms. */
  cooldownMs: number;
  now?: () => number;
  /** Told about every state change (logging, metrics). Must not throw; errors are swallowed. */
  onChange?: (from: BreakerState, to: BreakerState) => void;
}

export class CircuitBreaker {
  private current: BreakerState = "closed";
  private failures = 0;
  private openedAt = 0;
  private probing = false;
  private readonly now: () => number;

  constructor(private readonly options: BreakerOptions) {
    this.now = options.now ?? Date.now;
  }

  get state(): BreakerState {
    if (this.current === "open" && this.now() - this.openedAt >= this.options.cooldownMs) {
      this.move("half-open");
    }
    return this.current;
  }

  /** True when a call may go through now. In half-open, only one probe at a time. */
  tryAcquire(): boolean {
    const state = this.state;
    if (state === "closed") return true;
    if (state === "open" || this.probing) return false;
    this.probing = true;
    return true;
  }

  success(): void {
    this.failures = 0;
    this.probing = false;
    if (this.current !== "closed") this.move("closed");
  }

  failure(): void {
    this.probing = false;
    this.failures++;
    if (this.current === "half-open" || this.failures >= this.options.failureThreshold) {
      this.openedAt = this.now();
      if (this.current !== "open") this.move("open");
    }
  }

  private move(to: BreakerState): void {
    const from = this.current;
    this.current = to;
    try {
      this.options.onChange?.(from, to);
    } catch {
      // a listener must never break inference
    }
  }
}
