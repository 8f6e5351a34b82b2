/**
 * The one retry module. Named backoff strategies with full jitter; programming errors and
 * non-retriable VerdictErrors are never retried; the final failure is wrapped with the attempt count.
 */
import { isRetriable, VerdictError } from "../errors/index.ts";

export type BackoffName = "exponential" | "fixed";

export interface RetryOptions {
  /** Total attempts including the first. Default 5. */
  attempts?: number;
  /** First delay in ms. Default 100 (10 under NODE_ENV=test). */
  initialDelayMs?: number;
  /** Cap on a single delay in ms. Default 10_000. */
  maxDelayMs?: number;
  /** Default "exponential". */
  backoff?: BackoffName;
  /** 0..1 share of each delay that is randomised. Default 0.5. */
  jitter?: number;
  /** Called before each wait; must not throw (errors are swallowed). */
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
  signal?: AbortSignal;
  /** Extra predicate: return false to stop retrying this error. */
  retryIf?: (error: unknown) => boolean;
}

const underTest = process.env.NODE_ENV === "test" || process.env.VITEST !== undefined;

export function backoffDelay(
  name: BackoffName,
  attempt: number,
  initialDelayMs: number,
  maxDelayMs: number,
  jitter: number,
  random: () => number = Math.random,
): number {
  const base = name === "fixed" ? initialDelayMs : initialDelayMs * 2 ** (attempt - 1);
  const capped = Math.min(base, maxDelayMs);
  return Math.round(capped * (1 - jitter) + capped * jitter * random());
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 5;
  const initial = options.initialDelayMs ?? (underTest ? 10 : 100);
  const max = options.maxDelayMs ?? 10_000;
  const jitter = options.jitter ?? 0.5;
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      lastError = error;
      const canRetry = isRetriable(error) && (options.retryIf?.(error) ?? true);
      if (!canRetry) throw error;
      if (attempt === attempts) break;
      const delayMs = backoffDelay(options.backoff ?? "exponential", attempt, initial, max, jitter);
      try {
        options.onRetry?.({ attempt, delayMs, error });
      } catch {
        // A listener must never break the retry loop.
      }
      await sleep(delayMs, options.signal);
    }
  }
  throw new VerdictError(
    "VERDICT_ERR_RETRIES_EXHAUSTED",
    `Failed after ${attempts} attempts: ${lastError instanceof Error ? lastError.message : String(lastError)}`,
    { cause: lastError, retriable: false, context: { attempts } },
  );
}

/** Polls until `check` is true or the time is up; returns whether it became true. */
export async function eventually(check: () => boolean, timeoutMs: number, everyMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await sleep(everyMs);
  }
  return check();
}
