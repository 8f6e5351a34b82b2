/**
 * The stage contract. A stage is a pure, typed function `(input, ctx) => outputs`; the runner owns
 * Kafka: it decodes, calls the stage, encodes, produces, commits only after the outputs are
 * acknowledged, and applies the error policy. The same stage code runs in split mode (one consumer
 * group per stage) and fused mode (stages chained in one process).
 */
import type { Logger } from "../../lib/log/index.ts";
import type { EventHeaders } from "../../lib/trace/index.ts";
import type { SchemaName, SchemaTypes } from "../../schemas/generated/types.ts";
import type { TopicDescriptor } from "../../topology/index.ts";

export interface StageContext {
  /** The stage's name (ingest, features, inference, scoring...). */
  stage: string;
  topic: string;
  partition: number;
  offset: string;
  /** Record key as a string (null when the record had none). */
  key: string | null;
  /** Headers of the input record (correlation id, traceparent, event id...). */
  headers: Partial<EventHeaders>;
  /** Broker timestamp of the input record, epoch ms. */
  timestamp: number;
  /** 1 on the first try; grows when the runner retries a retriable failure. */
  attempt: number;
  logger: Logger;
  /** Aborted on shutdown: long work should stop early and throw. */
  signal: AbortSignal;
  /** Processing clock (never event time). Injected so tests can control it. */
  now(): number;
  /**
   * Per-key runs: lets the key's next record start while this one goes on. A fused chain calls it
   * once the record has passed its last order-sensitive stage (see Stage.stateless); its outputs
   * still leave in input order. Absent where there is no lane to release.
   */
  releaseKey?(): void;
}

/** One record a stage wants published. Key defaults to the topic's key field of the value. */
export interface StageOutput<S extends SchemaName = SchemaName> {
  topic: TopicDescriptor<S>;
  value: SchemaTypes[S];
  key?: string;
  /** Event id of the output record; default: the value's eventId field, else a new UUID. */
  eventId?: string;
  /** Extra headers for this output (added to the derived standard headers). */
  headers?: Record<string, string>;
}

export type StageHandler<S extends SchemaName = SchemaName> = (
  input: SchemaTypes[S],
  ctx: StageContext,
) => Promise<StageOutput[]> | StageOutput[];

/**
 * How records of one partition may run concurrently:
 * - "sequential": one at a time (stateful stages that must see every record in order);
 * - "per-key": records with different keys run concurrently, one key's records in order
 *   (lets a cross-partition micro-batcher fill batches while per-key order is kept).
 * Outputs are always produced in input order, whatever the mode.
 */
export type Concurrency = "sequential" | "per-key";

export interface StageInput<S extends SchemaName = SchemaName> {
  topic: TopicDescriptor<S>;
  handle: StageHandler<S>;
}

export interface Stage {
  name: string;
  inputs: StageInput[];
  concurrency?: Concurrency;
  /**
   * Handling a record reads and writes no state another record of the same key depends on (inference,
   * scoring): in a fused per-key chain, once a record reaches a stage from which every stage on is
   * stateless, its key's next record may start (Flink's ordered async I/O: overlapped work, outputs in
   * input order). Default false.
   */
  stateless?: boolean;
  /** Topics this stage may publish to (fused mode routes those in memory; docs list them). */
  produces?: TopicDescriptor[];
  /** Called once before consuming (open sessions, warm caches). */
  start?(): Promise<void>;
  /** Called once after the consumer stopped (flush, close). */
  stop?(): Promise<void>;
}

/** Helper to declare a typed input without casts at the call site. */
export function input<S extends SchemaName>(topic: TopicDescriptor<S>, handle: StageHandler<S>): StageInput {
  return { topic, handle: handle as unknown as StageHandler };
}

/** Whether a stage's answer is a promise (stages may answer synchronously; see StageHandler). */
export function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown })?.then === "function";
}
