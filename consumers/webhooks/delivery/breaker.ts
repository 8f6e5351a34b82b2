/**
 * A per-endpoint circuit breaker. Closed: requests flow; `failureThreshold` consecutive failures open
 * it. Open: no request until `openUntil`. Then half-open: exactly one probe; success closes it,
 * failure re-opens it for twice as long (capped). Throttling answers (429/502/504) are neither a
 * success nor a failure: the endpoint is alive and asked us to slow down, which the lane does.
 */
export type BreakerState = "closed" | "open" | "half-open";

export interface BreakerSettings {
  failureThreshold: number;
  openMs: number;
  maxOpenMs: number;
}

export type Admission =
  | { kind: "run"; probe: boolean }
  /** A probe is in flight: hold on until it answers. */
  | { kind: "wait" }
  /** Open: not before `until`. */
  | { kind: "blocked"; until: number };

export type BreakerListener = (state: BreakerState, info: { failures: number; openUntil: number }) => void;

export class CircuitBreaker {
  state: BreakerState = "closed";
  consecutiveFailures = 0;
  openUntil = 0;
  private openFor: number;
  private probing = false;

  constructor(
    private readonly settings: BreakerSettings,
    private readonly onChange: BreakerListener = () => {},
  ) {
    this.openFor = settings.openMs;
  }

  admit(now: number): Admission {
    if (this.state === "closed") return { kind: "run", probe: false };
    if (this.state === "open") {
      if (now < this.openUntil) return { kind: "blocked", until: this.openUntil };
      this.transition("half-open");
    }
    if (this.probing) return { kind: "wait" };
    this.probing = true;
    return { kind: "run", probe: true };
  }

  success(): void {
    this.consecutiveFailures = 0;
    this.probing = false;
    if (this.state !== "closed") {
      this.openFor = this.settings.openMs;
      this.transition("closed");
    }
  }

  failure(now: number): void {
    this.consecutiveFailures++;
    if (this.state === "half-open") {
      this.probing = false;
      this.openFor = Math.min(this.openFor * 2, this.settings.maxOpenMs);
      this.open(now);
    } else if (this.state === "closed" && this.consecutiveFailures >= this.settings.failureThreshold) {
      this.open(now);
    }
  }

  /** An answer that says nothing about health (throttled, aborted): frees the probe slot. */
  neutral(): void {
    this.probing = false;
  }

  private open(now: number): void {
    this.openUntil = now + this.openFor;
    this.transition("open");
  }

  private transition(state: BreakerState): void {
    this.state = state;
    try {
      this.onChange(state, { failures: this.consecutiveFailures, openUntil: this.openUntil });
    } catch {
      // a listener never breaks delivery
    }
  }
}
