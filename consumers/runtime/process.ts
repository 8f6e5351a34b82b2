/**
 * Runs the records of one chunk through a stage with the error policy applied, without knowing
 * anything about Kafka: results come back in input order whatever the concurrency mode, so the
 * runner can produce outputs in order and commit exactly past what succeeded.
 */
import { errorMessage, isRetriable } from "../../lib/errors/index.ts";
import { backoffDelay, sleep } from "../../lib/retry/index.ts";
import type { ErrorPolicy } from "./options.ts";
import type { Concurrency, StageOutput } from "./types.ts";

export interface WorkItem {
  /** Records with the same key run in order in "per-key" mode. */
  key: string | null;
  run(attempt: number): Promise<StageOutput[]>;
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

/** One record with retries as the policy says. Never throws except on abort. */
export async function runWithPolicy(item: WorkItem, options: ProcessOptions): Promise<RecordResult> {
  const { policy, signal } = options;
  for (let attempt = 1; ; attempt++) {
    signal.throwIfAborted();
    try {
      return { kind: "ok", outputs: await item.run(attempt), attempts: attempt };
    } catch (error) {
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
    }
  }
}

export async function processChunk(items: WorkItem[], options: ProcessOptions): Promise<RecordResult[]> {
  const results: RecordResult[] = new Array(items.length);
  if (options.concurrency === "sequential") {
    for (let i = 0; i < items.length; i++) results[i] = await runWithPolicy(items[i]!, options);
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
  const worker = async () => {
    while (next < queue.length) {
      const lane = queue[next++]!;
      for (const i of lane) results[i] = await runWithPolicy(items[i]!, options);
    }
  };
  const workers = Array.from({ length: Math.min(options.maxInFlight, queue.length) }, worker);
  await Promise.all(workers);
  return results;
}

export function describeResult(result: RecordResult): string {
  return result.kind === "ok" ? "ok" : `${result.kind}: ${errorMessage(result.error)}`;
}
