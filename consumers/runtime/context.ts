/**
 * The StageContext objects the runner and fuse() build for every record and every in-process hop.
 * Classes, not literals: one hidden class each (cheap to allocate, monomorphic to read), and the
 * per-record logger is created on first use only: most records log nothing, and pino serializes a
 * child's bindings eagerly. Do not spread a context (`{ ...ctx }`): getters on the prototype are lost.
 */
import type { Logger } from "../../lib/log/index.ts";
import { parseTraceparent } from "../../lib/trace/index.ts";
import type { StageContext } from "./types.ts";

/** The context of one record fetched from Kafka. */
export class RecordContext implements StageContext {
  private recordLogger: Logger | undefined;

  constructor(
    readonly stage: string,
    readonly topic: string,
    readonly partition: number,
    readonly offset: string,
    readonly key: string | null,
    readonly headers: StageContext["headers"],
    readonly timestamp: number,
    readonly attempt: number,
    readonly signal: AbortSignal,
    readonly now: () => number,
    private readonly stageLogger: Logger,
    readonly releaseKey?: () => void,
  ) {}

  /** Every line a stage logs for this record carries where it came from and its ids. */
  get logger(): Logger {
    this.recordLogger ??= this.stageLogger.child({
      topic: this.topic,
      partition: this.partition,
      offset: this.offset,
      eventId: this.headers.eventId,
      correlationId: this.headers.correlationId,
      traceId: parseTraceparent(this.headers.traceparent)?.traceId,
    });
    return this.recordLogger;
  }
}

/**
 * The context of an in-process hop of a fused chain: the same record (position, key, headers, trace,
 * logger), seen by another stage as the topic it consumes.
 */
export class HopContext implements StageContext {
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly headers: StageContext["headers"];
  readonly timestamp: number;
  readonly attempt: number;
  readonly signal: AbortSignal;
  readonly now: () => number;
  readonly releaseKey: (() => void) | undefined;

  constructor(
    private readonly parent: StageContext,
    readonly stage: string,
    readonly topic: string,
  ) {
    this.partition = parent.partition;
    this.offset = parent.offset;
    this.key = parent.key;
    this.headers = parent.headers;
    this.timestamp = parent.timestamp;
    this.attempt = parent.attempt;
    this.signal = parent.signal;
    this.now = parent.now;
    this.releaseKey = parent.releaseKey;
  }

  get logger(): Logger {
    return this.parent.logger;
  }
}
