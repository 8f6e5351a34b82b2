/**
 * One error base class for the whole project. Retriability is decided where the error is made,
 * never guessed later by string matching. Codes are stable (`VERDICT_ERR_*`), listed in codes.ts
 * and documented in docs/errors.md; a code is never reused for a different meaning.
 */
import type { ErrorCode } from "./codes.ts";

export interface VerdictErrorOptions {
  cause?: unknown;
  /** True when trying the same operation again may succeed (network blip, broker rebalance). */
  retriable?: boolean;
  /** Structured context (topic, field, path...). Never put secrets here: it is logged. */
  context?: Record<string, unknown>;
}

export class VerdictError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly context: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: VerdictErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? false;
    this.context = options.context ?? {};
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      retriable: this.retriable,
      ...this.context,
    };
  }
}

/** An error that must never be retried: the record is poison, the config is wrong, the model is bad. */
export class UnrecoverableError extends VerdictError {
  constructor(code: ErrorCode, message: string, options: Omit<VerdictErrorOptions, "retriable"> = {}) {
    super(code, message, { ...options, retriable: false });
  }
}

/** JavaScript programming errors: retrying them only hides a bug. */
const PROGRAMMING_ERRORS = [TypeError, RangeError, ReferenceError, SyntaxError];

export function isProgrammingError(err: unknown): boolean {
  return PROGRAMMING_ERRORS.some((cls) => err instanceof cls);
}

/** Retriable unless it says otherwise: VerdictError decides; KafkaJS errors carry `retriable`. */
export function isRetriable(err: unknown): boolean {
  if (err instanceof VerdictError) return err.retriable;
  if (isProgrammingError(err)) return false;
  if (typeof err === "object" && err !== null && "retriable" in err) {
    return Boolean((err as { retriable: unknown }).retriable);
  }
  return true;
}

export function errorCode(err: unknown): string {
  if (err instanceof VerdictError) return err.code;
  if (typeof err === "object" && err !== null && "name" in err)
    return String((err as { name: unknown }).name);
  return "UNKNOWN";
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A validation issue's setting, under `root` ("scoring" → "scoring.fraud.rules"; the root itself for a key it does not know). */
export function settingPath(root: string, path: readonly PropertyKey[]): string {
  return path.length === 0 ? root : `${root}.${path.map(String).join(".")}`;
}
