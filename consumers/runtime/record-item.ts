/**
 * One fetched record as the runner's unit of work: decoded lazily (synchronously once the writer
 * schema is known) and handed to its stage input with a RecordContext.
 */
import type { KafkaMessage } from "kafkajs";
import type { Logger } from "../../lib/log/index.ts";
import { fromKafkaHeaders } from "../../lib/trace/index.ts";
import type { AvroCodec } from "../../schemas/codec/index.ts";
import { RecordContext } from "./context.ts";
import type { WorkItem } from "./process.ts";
import type { StageInput, StageOutput } from "./types.ts";

/** What every record of a runner shares. */
export interface RecordScope {
  stage: string;
  codec: AvroCodec;
  signal: AbortSignal;
  now: () => number;
  logger: Logger;
}

/**
 * One fetched record as a unit of work. A class, not a literal with closures: the runner makes one
 * per record, and its run() is the same function for all of them.
 */
export class RecordItem implements WorkItem {
  /** Parsed once per record: the stage context, the output headers and instrumentation share it. */
  readonly headers: ReturnType<typeof fromKafkaHeaders>;
  readonly key: string | null;

  constructor(
    private readonly scope: RecordScope,
    private readonly input: StageInput,
    private readonly topic: string,
    private readonly partition: number,
    private readonly message: KafkaMessage,
  ) {
    this.headers = fromKafkaHeaders(message.headers);
    this.key = message.key ? message.key.toString() : null;
  }

  /**
   * Synchronous once the writer schema is known: a fused in-memory chain then answers without a
   * promise until a stage (inference) makes one.
   */
  run(attempt: number, releaseKey?: () => void): StageOutput[] | Promise<StageOutput[]> {
    const { codec } = this.scope;
    const known = codec.decodeSync(this.input.topic, this.message.value);
    if (known) return this.handle(known.value, attempt, releaseKey);
    return codec
      .decode(this.input.topic, this.message.value)
      .then((d) => this.handle(d.value, attempt, releaseKey));
  }

  private handle(
    value: unknown,
    attempt: number,
    releaseKey: (() => void) | undefined,
  ): StageOutput[] | Promise<StageOutput[]> {
    const { scope, message } = this;
    return this.input.handle(
      value as never,
      new RecordContext(
        scope.stage,
        this.topic,
        this.partition,
        message.offset,
        this.key,
        this.headers,
        Number(message.timestamp),
        attempt,
        scope.signal,
        scope.now,
        scope.logger,
        releaseKey,
      ),
    );
  }
}
