/**
 * A dynamic micro-batcher in the spirit of Triton's dynamic batcher: concurrent `submit(item)` calls
 * (from many keys and partitions of the per-key runner) are merged into one `run(items)`; each caller
 * gets its own item's result. A batch leaves when it is full (`maxBatchSize`), when its oldest item
 * has waited `maxQueueDelayMs`, or (eagerWhenIdle) at the end of the tick when nothing is running,
 * and only while fewer than `maxConcurrentBatches` runs are in flight; while a run is in flight the
 * queue keeps filling, which is what makes batches grow under load. The queue is bounded: a submit
 * beyond `maxQueueSize` waits
 * for room (backpressure on the consumer, never unbounded memory).
 * See https://docs.nvidia.com/deeplearning/triton-inference-server/user-guide/docs/user_guide/batcher.html
 */
import { VerdictError } from "../../lib/errors/index.ts";

export interface BatcherOptions {
  /** Largest batch handed to `run`. */
  maxBatchSize: number;
  /** Longest time the oldest queued item waits for a batch to fill, ms. 0 = the end of the current tick. */
  maxQueueDelayMs: number;
  /** Items queued (not yet running) at most; further submits wait for room. */
  maxQueueSize: number;
  /** Batches running at once. */
  maxConcurrentBatches: number;
  /**
   * Send at the end of the tick when no batch is running, instead of waiting out the delay
   * (default true). The delay then only applies while the model is busy, which is when waiting
   * grows batches. False = Triton's behaviour: always wait up to the delay for a full batch.
   */
  eagerWhenIdle?: boolean;
  /** Monotonic clock, ms. Default performance.now. */
  now?: () => number;
}

export interface Batched<O> {
  value: O;
  /** Time from submit to the batch leaving the queue, ms. */
  queueMs: number;
  /** Duration of the `run` call, ms. */
  runMs: number;
  batchSize: number;
}

interface Pending<I, O> {
  item: I;
  enqueuedAt: number;
  resolve(result: Batched<O>): void;
  reject(error: unknown): void;
  signal: AbortSignal | undefined;
}

export type BatchRunner<I, O> = (items: I[]) => Promise<O[]>;

/** Submitted to a closed batcher (a model version being replaced): resubmit to the current one. */
export class BatcherClosedError extends VerdictError {
  constructor() {
    super("VERDICT_ERR_MODEL_RUNTIME", "batcher is closed (model version replaced)", { retriable: true });
  }
}

export class MicroBatcher<I, O> {
  private readonly queue: Pending<I, O>[] = [];
  private readonly roomWaiters: (() => void)[] = [];
  private readonly now: () => number;
  private running = 0;
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  private timerAt = 0;
  private closed = false;
  private idle: (() => void)[] = [];

  constructor(
    private readonly runBatch: BatchRunner<I, O>,
    private readonly options: BatcherOptions,
  ) {
    if (options.maxBatchSize < 1 || options.maxConcurrentBatches < 1 || options.maxQueueSize < 1) {
      throw new VerdictError("VERDICT_ERR_CONFIG", "batcher sizes must be ≥ 1");
    }
    this.now = options.now ?? (() => performance.now());
  }

  /** Items waiting for a batch. */
  get depth(): number {
    return this.queue.length;
  }

  /** Batches running now. */
  get inFlight(): number {
    return this.running;
  }

  /**
   * Scores one item as part of a batch. Rejects with the batch's error if its run fails. An item
   * whose signal aborts while queued is dropped (and rejected) when its batch forms, at most
   * `maxQueueDelayMs` later: no listener per item, which keeps the hot path allocation-light.
   */
  submit(item: I, signal?: AbortSignal): Promise<Batched<O>> {
    if (this.queue.length >= this.options.maxQueueSize && !this.closed)
      return this.submitWhenRoom(item, signal);
    // Whoever holds the batcher (a model slot) resubmits to the current version.
    if (this.closed) return Promise.reject(new BatcherClosedError());
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<Batched<O>>((resolve, reject) => {
      this.queue.push({ item, enqueuedAt: this.now(), resolve, reject, signal });
      this.pump();
    });
  }

  private async submitWhenRoom(item: I, signal?: AbortSignal): Promise<Batched<O>> {
    while (this.queue.length >= this.options.maxQueueSize && !this.closed) await this.waitForRoom(signal);
    return this.submit(item, signal);
  }

  /** Stops accepting items, sends what is queued without waiting, resolves when every run finished. */
  async close(): Promise<void> {
    this.closed = true;
    for (const wake of this.roomWaiters.splice(0)) wake();
    this.pump();
    if (this.queue.length === 0 && this.running === 0) return;
    await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  /**
   * Sends every batch that is due while run slots are free; otherwise arms a timer for the next
   * deadline. A batch is due when it is full, when its oldest row waited `maxQueueDelayMs`, or — with
   * `eagerWhenIdle` — as soon as no batch is running (at the end of the submitting tick): an idle
   * model gains nothing from waiting, and rows that arrive while a batch runs form the next batch.
   * `fromTimer` marks the end-of-tick deadline.
   */
  private pump(fromTimer = false): void {
    const { maxBatchSize, maxConcurrentBatches, maxQueueDelayMs } = this.options;
    const eager = this.options.eagerWhenIdle ?? true;
    while (this.running < maxConcurrentBatches && this.queue.length > 0) {
      const waited = this.now() - this.queue[0]!.enqueuedAt;
      const endOfTick = maxQueueDelayMs === 0 || (eager && this.running === 0);
      const due =
        this.closed ||
        this.queue.length >= maxBatchSize ||
        (endOfTick && fromTimer) ||
        (maxQueueDelayMs > 0 && waited + 0.5 >= maxQueueDelayMs); // timers may fire up to ~1 ms early
      if (!due) {
        this.arm(endOfTick ? 0 : maxQueueDelayMs - waited);
        return;
      }
      this.dispatch(this.queue.splice(0, maxBatchSize));
    }
  }

  private arm(ms: number): void {
    const at = this.now() + Math.max(0, ms);
    if (this.timer !== undefined) {
      if (this.timerAt <= at) return; // an earlier deadline is armed already
      clearTimeout(this.timer as NodeJS.Timeout);
      clearImmediate(this.timer as NodeJS.Immediate);
    }
    const fire = () => {
      this.timer = undefined;
      this.pump(true);
    };
    this.timerAt = at;
    // setImmediate runs after the I/O callbacks of this loop turn, so a burst of submits joins one batch.
    this.timer = ms <= 0 ? setImmediate(fire) : setTimeout(fire, Math.ceil(ms));
  }

  private dispatch(taken: Pending<I, O>[]): void {
    for (let i = 0; i < taken.length; i++) this.wakeOne();
    const batch: Pending<I, O>[] = [];
    for (const p of taken) {
      if (p.signal?.aborted) p.reject(p.signal.reason);
      else batch.push(p);
    }
    if (batch.length === 0) return;
    this.running++;
    const started = this.now();
    const settle = (fn: (p: Pending<I, O>, i: number, runMs: number) => void) => {
      const runMs = this.now() - started;
      for (const [i, p] of batch.entries()) fn(p, i, runMs);
    };
    let promise: Promise<O[]>;
    try {
      promise = this.runBatch(batch.map((p) => p.item));
    } catch (error) {
      promise = Promise.reject(error);
    }
    promise
      .then(
        (values) => {
          if (!Array.isArray(values) || values.length !== batch.length) {
            const err = new VerdictError(
              "VERDICT_ERR_MODEL_RUNTIME",
              `batch run returned ${Array.isArray(values) ? values.length : typeof values} results for ${batch.length} items`,
            );
            settle((p) => p.reject(err));
            return;
          }
          settle((p, i, runMs) =>
            p.resolve({
              value: values[i]!,
              queueMs: started - p.enqueuedAt,
              runMs,
              batchSize: batch.length,
            }),
          );
        },
        (error) => settle((p) => p.reject(error)),
      )
      .finally(() => {
        this.running--;
        if (this.queue.length > 0) this.pump();
        this.checkIdle();
      });
  }

  private checkIdle(): void {
    if (this.running === 0 && this.queue.length === 0) for (const done of this.idle.splice(0)) done();
  }

  private waitForRoom(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const i = this.roomWaiters.indexOf(wake);
        if (i >= 0) this.roomWaiters.splice(i, 1);
        reject(signal?.reason);
      };
      const wake = () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.roomWaiters.push(wake);
    });
  }

  private wakeOne(): void {
    this.roomWaiters.shift()?.();
  }
}
