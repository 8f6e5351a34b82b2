/**
 * One lane per endpoint: its own concurrency limit, rate limit, queue, breaker and throttle, so a
 * slow or dead partner only ever uses its own slots. Work the lane cannot take now is not held in
 * memory: it is parked durably in a retry tier until the time the lane gives (breaker re-probe,
 * Retry-After, queue drain), without counting as an attempt.
 */
import { type Admission, type BreakerSettings, type BreakerState, CircuitBreaker } from "./breaker.ts";

/** Answers remembered for the latency estimate. */
const RECENT = 16;
/** A request unanswered this long counts as the lane's latency (a hanging partner is seen before its timeout). */
const STALL_MS = 1000;
/** Longest park for a full queue before the lane is asked again. */
const QUEUE_FULL_RECHECK_MS = 5000;

export interface LaneJob {
  /** Makes the attempt. `probe` = this request tests a half-open circuit. */
  run(probe: boolean): Promise<void>;
  /** Parks the task until `until` (durably), for `reason`. */
  park(until: number, reason: string): Promise<void>;
}

export interface LaneLimits {
  maxConcurrency: number;
  /** Requests per second; null = unlimited. */
  ratePerSec: number | null;
}

export interface LaneSettings {
  breaker: BreakerSettings;
  /** Hard cap on tasks waiting in memory. */
  maxQueued: number;
  /** Park new work when the queue would take longer than this to drain at the observed latency. */
  maxQueueWaitMs: number;
  now: () => number;
  random?: () => number;
  onBreaker?: (state: BreakerState, info: { failures: number; openUntil: number }) => void;
}

export interface LaneStats {
  active: number;
  queued: number;
  breaker: BreakerState;
  consecutiveFailures: number;
  openUntil: number | null;
  throttledUntil: number | null;
  failingSince: number | null;
  lastSuccessAt: number | null;
}

export class EndpointLane {
  readonly breaker: CircuitBreaker;
  private readonly queue: LaneJob[] = [];
  private active = 0;
  private throttledUntil = 0;
  private tokens: number;
  private lastRefill: number;
  private timer: NodeJS.Timeout | undefined;
  failingSince: number | null = null;
  lastSuccessAt: number | null = null;
  /** Durations (ms) of the last answers; their median is the lane's latency (one slow connect is not a trend). */
  private readonly recent: number[] = [];
  /** Start time of each request in flight, by a sequence number. */
  private readonly started = new Map<number, number>();
  private seq = 0;

  constructor(
    private limits: LaneLimits,
    private readonly settings: LaneSettings,
  ) {
    this.breaker = new CircuitBreaker(settings.breaker, settings.onBreaker);
    this.tokens = this.capacity();
    this.lastRefill = settings.now();
  }

  setLimits(limits: LaneLimits): void {
    this.limits = limits;
    this.tokens = Math.min(this.tokens, this.capacity());
    this.pump();
  }

  /** Queues the job, or parks it at once when the lane cannot take it any time soon. */
  submit(job: LaneJob): void {
    const now = this.settings.now();
    const gate = this.gate(now);
    if (gate.kind === "blocked") return void job.park(this.spread(gate.until), gate.reason);
    const wait = this.queueWaitMs(now);
    if (this.queue.length >= this.settings.maxQueued || wait > this.settings.maxQueueWaitMs) {
      // Look again soon rather than at the (pessimistic) drain estimate: the lane may recover any time.
      return void job.park(
        this.spread(now + Math.min(Math.max(1000, wait), QUEUE_FULL_RECHECK_MS)),
        "queue full",
      );
    }
    this.queue.push(job);
    this.pump();
  }

  /** Pauses the endpoint (429/502/504): nothing is sent before `until`. */
  throttle(until: number): void {
    this.throttledUntil = Math.max(this.throttledUntil, until);
  }

  recordSuccess(now: number): void {
    this.breaker.success();
    this.failingSince = null;
    this.lastSuccessAt = now;
  }

  recordFailure(now: number): void {
    this.breaker.failure(now);
    this.failingSince ??= now;
  }

  stats(): LaneStats {
    const now = this.settings.now();
    return {
      active: this.active,
      queued: this.queue.length,
      breaker: this.breaker.state,
      consecutiveFailures: this.breaker.consecutiveFailures,
      openUntil: this.breaker.state === "open" ? this.breaker.openUntil : null,
      throttledUntil: this.throttledUntil > now ? this.throttledUntil : null,
      failingSince: this.failingSince,
      lastSuccessAt: this.lastSuccessAt,
    };
  }

  /** Parks everything queued (shutdown of the lane, endpoint disabled...). */
  drain(reason: string, until: number): void {
    for (const job of this.queue.splice(0)) void job.park(until, reason);
  }

  close(): void {
    clearTimeout(this.timer);
  }

  private gate(now: number): { kind: "open" } | { kind: "blocked"; until: number; reason: string } {
    if (this.throttledUntil > now)
      return { kind: "blocked", until: this.throttledUntil, reason: "throttled" };
    if (this.breaker.state === "open" && now < this.breaker.openUntil) {
      return { kind: "blocked", until: this.breaker.openUntil, reason: "circuit open" };
    }
    return { kind: "open" };
  }

  private pump(): void {
    while (this.queue.length > 0 && this.active < this.limits.maxConcurrency) {
      const now = this.settings.now();
      const gate = this.gate(now);
      if (gate.kind === "blocked") {
        this.drain(gate.reason, this.spread(gate.until));
        return;
      }
      this.refill(now);
      if (this.tokens < 1) {
        this.wake(Math.ceil(((1 - this.tokens) / this.limits.ratePerSec!) * 1000));
        return;
      }
      const admission: Admission = this.breaker.admit(now);
      if (admission.kind === "wait") return; // the probe's answer pumps again
      if (admission.kind === "blocked") {
        this.drain("circuit open", this.spread(admission.until));
        return;
      }
      const job = this.queue.shift()!;
      if (this.limits.ratePerSec !== null) this.tokens -= 1;
      this.active++;
      const id = ++this.seq;
      this.started.set(id, now);
      job
        .run(admission.probe)
        .catch(() => {})
        .finally(() => {
          this.started.delete(id);
          this.recent.push(Math.max(0, this.settings.now() - now));
          if (this.recent.length > RECENT) this.recent.shift();
          this.active--;
          if (admission.probe && this.breaker.state === "half-open") this.breaker.neutral();
          this.pump();
        });
    }
  }

  private capacity(): number {
    return this.limits.ratePerSec === null ? Number.POSITIVE_INFINITY : Math.max(1, this.limits.ratePerSec);
  }

  private refill(now: number): void {
    if (this.limits.ratePerSec === null) {
      this.tokens = Number.POSITIVE_INFINITY;
      return;
    }
    this.tokens = Math.min(
      this.capacity(),
      this.tokens + ((now - this.lastRefill) / 1000) * this.limits.ratePerSec,
    );
    this.lastRefill = now;
  }

  private wake(inMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.pump(), Math.max(1, inMs));
    this.timer.unref?.();
  }

  /**
   * How long a task queued now would wait, roughly: queue length over the drain rate, where a
   * request takes the median recent latency or, once a request has stalled past STALL_MS, its age
   * (a partner that hangs is recognised before its first timeout).
   */
  private queueWaitMs(now: number): number {
    const sorted = [...this.recent].sort((a, b) => a - b);
    let latency = sorted.length > 0 ? sorted[Math.floor(sorted.length / 2)]! : 50;
    for (const t of this.started.values()) if (now - t > STALL_MS) latency = Math.max(latency, now - t);
    const byConcurrency = (latency / this.limits.maxConcurrency) * (this.queue.length + 1);
    const byRate =
      this.limits.ratePerSec === null ? 0 : ((this.queue.length + 1) / this.limits.ratePerSec) * 1000;
    return Math.round(Math.max(byConcurrency, byRate));
  }

  /** Spreads parked work over 10 % after `until`, so a re-opened endpoint is not hit all at once. */
  private spread(until: number): number {
    const now = this.settings.now();
    const span = Math.max(0, until - now) * 0.1;
    return Math.round(until + span * (this.settings.random ?? Math.random)());
  }
}
