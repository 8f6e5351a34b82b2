/**
 * Runs the records of one chunk through a stage with the error policy applied, without knowing
 * anything about Kafka: results come back in input order whatever the concurrency mode, so the
 * runner can produce outputs in order and commit exactly past what succeeded.
 */
import { errorMessage, isRetriable } from "../../lib/errors/index.ts";
import { backoffDelay, sleep } from "../../lib/retry/index.ts";
import type { ErrorPolicy } from "./options.ts";
import { type Concurrency, isPromise, type StageOutput } from "./types.ts";

export interface WorkItem {
  /** Records with the same key run in order in "per-key" mode. */
  key: string | null;
  /**
   * May answer synchronously (a fused chain of in-memory stages): no promise is made then. In
   * "per-key" mode `releaseKey` lets the key's next record start before this one finished.
   */
  run(attempt: number, releaseKey?: () => void): StageOutput[] | Promise<StageOutput[]>;
}

export type RecordResult =
  | { kind: "ok"; outputs: StageOutput[]; attempts: number }
  | { kind: "poison"; error: unknown; attempts: number }
  | { kind: "fatal"; error: unknown; attempts: number };

export interface ProcessOptions {
  concurrency: Concurrency;
  maxInFlight: number;
  policy: ErrorPolicy;
  signal: AbortSignal;
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
}

/**
 * One record with retries as the policy says. Never throws except on abort. The first attempt runs
 * without a promise of its own when the stage answers synchronously (the common case of a fused
 * in-memory chain); a failure continues on the asynchronous retry path.
 */
export function runWithPolicy(
  item: WorkItem,
  options: ProcessOptions,
  releaseKey?: () => void,
): RecordResult | Promise<RecordResult> {
  options.signal.throwIfAborted();
  let outputs: StageOutput[] | Promise<StageOutput[]>;
  try {
    outputs = item.run(1, releaseKey);
  } catch (error) {
    return afterFailure(item, options, 1, error);
  }
  if (!isPromise(outputs)) return { kind: "ok", outputs, attempts: 1 };
  return outputs.then(
    (o): RecordResult => ({ kind: "ok", outputs: o, attempts: 1 }),
    (error) => afterFailure(item, options, 1, error),
  );
}

/** What the policy says after attempt `attempt` failed with `error`: give up, or back off and retry. */
async function afterFailure(
  item: WorkItem,
  options: ProcessOptions,
  failed: number,
  firstError: unknown,
): Promise<RecordResult> {
  const { policy, signal } = options;
  let error = firstError;
  for (let attempt = failed; ; attempt++) {
    if (signal.aborted) throw signal.reason;
    if (!isRetriable(error)) {
      return policy.onPoison === "fail"
        ? { kind: "fatal", error, attempts: attempt }
        : { kind: "poison", error, attempts: attempt };
    }
    if (attempt >= policy.attempts && policy.onRetriesExhausted !== "block") {
      return policy.onRetriesExhausted === "dlq"
        ? { kind: "poison", error, attempts: attempt }
        : { kind: "fatal", error, attempts: attempt };
    }
    // "block": keep trying with capped backoff; nothing past this record is committed meanwhile.
    const delayMs = backoffDelay(
      "exponential",
      Math.min(attempt, 20),
      policy.initialDelayMs,
      policy.maxDelayMs,
      0.5,
    );
    try {
      options.onRetry?.({ attempt, delayMs, error });
    } catch {
      // instrumentation must never break processing
    }
    await sleep(delayMs, signal);
    signal.throwIfAborted();
    try {
      return { kind: "ok", outputs: await item.run(attempt + 1), attempts: attempt + 1 };
    } catch (next) {
      error = next;
    }
  }
}

export async function processChunk(items: WorkItem[], options: ProcessOptions): Promise<RecordResult[]> {
  const results: RecordResult[] = new Array(items.length);
  if (options.concurrency === "sequential") {
    for (let i = 0; i < items.length; i++) {
      const r = runWithPolicy(items[i]!, options);
      results[i] = isPromise(r) ? await r : r;
    }
    return results;
  }
  // per-key: one lane per key, lanes run concurrently (bounded), each lane in input order.
  const lanes = new Map<string, number[]>();
  items.forEach((item, i) => {
    const k = item.key ?? `\u0000null-${i}`;
    let lane = lanes.get(k);
    if (!lane) {
      lane = [];
      lanes.set(k, lane);
    }
    lane.push(i);
  });
  const queue = [...lanes.values()];
  let next = 0;
  // Records that released their key and are still running; the chunk is done when they are.
  const released: Promise<void>[] = [];
  const worker = async () => {
    while (next < queue.length) {
      const lane = queue[next++]!;
      for (const i of lane) {
        const gate = new LaneGate();
        const r = runWithPolicy(items[i]!, options, gate.release);
        if (!isPromise(r)) {
          results[i] = r;
          continue;
        }
        const done = r.then((result) => {
          results[i] = result;
        });
        if (!gate.released) await gate.until(done);
        if (gate.released) {
          done.catch(() => {}); // rejects only on abort; Promise.all below reports it
          released.push(done);
        } else {
          await done; // settled: rethrows an abort
        }
      }
    }
  };
  const workers = Array.from({ length: Math.min(options.maxInFlight, queue.length) }, worker);
  await Promise.all(workers);
  if (released.length) await Promise.all(released);
  return results;
}

/** Holds a per-key lane until its record finishes or releases the key (StageContext.releaseKey). */
class LaneGate {
  released = false;
  private open: (() => void) | undefined;
  readonly release = (): void => {
    this.released = true;
    this.open?.();
  };
  until(done: Promise<void>): Promise<void> {
    return new Promise<void>((resolve) => {
      this.open = resolve;
      done.then(resolve, resolve);
    });
  }
}

export function describeResult(result: RecordResult): string {
  return result.kind === "ok" ? "ok" : `${result.kind}: ${errorMessage(result.error)}`;
}
