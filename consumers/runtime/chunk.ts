/**
 * A chunk of one partition's records through the stage: processed under the error policy, outputs
 * and dead letters encoded in input order, and the instrumentation once they are acknowledged. No
 * Kafka here: the runner fetches, sends and commits.
 */
import type { Batch, KafkaMessage, Message } from "kafkajs";
import { errorCode, errorMessage, VerdictError } from "../../lib/errors/index.ts";
import { ORIGIN_TIMESTAMP, parseTraceparent } from "../../lib/trace/index.ts";
import { toDeadLetter } from "./dead-letter.ts";
import { groupByTopic, type OutputEncoder, type TopicMessages } from "./encode.ts";
import { emit, type Instrumentation, wantsRecords } from "./instrumentation.ts";
import type { RunnerSettings } from "./options.ts";
import { processChunk, type RecordResult } from "./process.ts";
import { RecordItem, type RecordScope } from "./record-item.ts";
import type { AtLeastOnceSink } from "./sink.ts";
import type { Stage, StageInput } from "./types.ts";

/** A processed chunk whose outputs are encoded and ready to deliver. */
export interface PreparedChunk {
  topic: string;
  partition: number;
  started: number;
  messages: KafkaMessage[];
  items: RecordItem[];
  results: RecordResult[];
  outputs: TopicMessages[];
  produced: number;
  dead: number;
  perRecord: { topic: string; traceparent?: string }[][] | undefined;
}

/** Where a record came from, for logs, errors and dead letters. */
export interface RecordPosition {
  topic: string;
  partition: number;
  offset: string;
  [k: string]: unknown;
}

export interface ChunkWorkDeps {
  stage: Stage;
  inputs: ReadonlyMap<string, StageInput>;
  settings: RunnerSettings;
  encoder: OutputEncoder;
  scope: RecordScope;
  instrumentation: Instrumentation | undefined;
}

export class ChunkWork {
  constructor(private readonly deps: ChunkWorkDeps) {}

  /**
   * Runs the records through the stage and encodes their outputs and dead letters, in input order.
   * A record the error policy says to fail on throws VERDICT_ERR_STAGE (nothing of the chunk is sent).
   */
  async prepare(batch: Batch, messages: KafkaMessage[]): Promise<PreparedChunk> {
    const { stage, inputs, settings, encoder, scope, instrumentation } = this.deps;
    const { topic, partition } = batch;
    const started = scope.now();
    const input = inputs.get(topic)!;
    const items = messages.map((m) => new RecordItem(scope, input, topic, partition, m));
    const results: RecordResult[] = await processChunk(items, {
      concurrency: stage.concurrency ?? "sequential",
      maxInFlight: settings.maxInFlight,
      policy: settings.errorPolicy,
      signal: scope.signal,
      onRetry: ({ attempt, delayMs, error }) => {
        scope.logger.warn(
          { topic, partition, attempt, delayMs, code: errorCode(error), err: error },
          "retrying",
        );
        emit(instrumentation, { type: "retry", stage: stage.name, topic, attempt, code: errorCode(error) });
      },
    });
    const out: { topic: string; message: Message }[] = [];
    let dead = 0;
    const perRecord: { topic: string; traceparent?: string }[][] | undefined = wantsRecords(instrumentation)
      ? []
      : undefined;
    for (let i = 0; i < results.length; i++) {
      const result = results[i]!;
      const message = messages[i]!;
      const inputHeaders = items[i]!.headers;
      if (result.kind === "ok") {
        // origin-timestamp: broker time of the pipeline's first input, carried to every output, so
        // "event age at verdict" is measurable in split and fused mode alike.
        const origin = inputHeaders.extra[ORIGIN_TIMESTAMP] ?? message.timestamp;
        const produced: { topic: string; traceparent?: string }[] | undefined = perRecord ? [] : undefined;
        const extra = { [ORIGIN_TIMESTAMP]: origin };
        for (const o of result.outputs) {
          const at = scope.now();
          const encoded =
            encoder.encodeNow(o, inputHeaders, at, extra) ??
            (await encoder.encode(o, inputHeaders, at, extra));
          out.push({ topic: o.topic.name, message: encoded });
          produced?.push({ topic: o.topic.name, traceparent: encoded.headers?.traceparent?.toString() });
        }
        if (produced) perRecord!.push(produced);
        continue;
      }
      perRecord?.push([]);
      const context = this.position(topic, partition, message, inputHeaders);
      if (result.kind === "fatal") {
        scope.logger.fatal(
          { ...context, err: result.error },
          "record failed and the error policy says fail: stopping",
        );
        throw new VerdictError(
          "VERDICT_ERR_STAGE",
          `Stage ${stage.name} stopped on ${topic}[${partition}]@${message.offset}`,
          { cause: result.error, context },
        );
      }
      dead++;
      const letter = await this.deadLetter(context, message, result.error, result.attempts);
      if (letter) out.push(letter);
    }
    return {
      topic,
      partition,
      started,
      messages,
      items,
      results,
      outputs: groupByTopic(out),
      produced: out.length - dead,
      dead,
      perRecord,
    };
  }

  /**
   * onRefusedOutput "dead-letter": the broker refused the outputs of this one-record chunk for good
   * (the `attempts`-th time), so the record goes to its input's DLQ instead, in a request of its own,
   * and the partition moves on.
   */
  async deadLetterRefused(
    out: AtLeastOnceSink,
    c: PreparedChunk,
    refusal: unknown,
    attempts: number,
    onFail: (err: unknown) => void,
  ): Promise<void> {
    const message = c.messages[0]!;
    const error = new VerdictError(
      "VERDICT_ERR_OUTPUT_REFUSED",
      `The broker refused this record's outputs for good: ${errorMessage(refusal)}. Fix the output topic (e.g. max.message.bytes) and replay the record from the DLQ.`,
      { cause: refusal },
    );
    const letter = await this.deadLetter(
      this.position(c.topic, c.partition, message, c.items[0]!.headers),
      message,
      error,
      attempts,
    );
    c.results = [{ kind: "poison", error, attempts }];
    c.produced = 0;
    c.dead = 1;
    if (c.perRecord) c.perRecord = [[]];
    if (letter) await out.send([{ topic: letter.topic, messages: [letter.message] }], onFail, true);
  }

  /** Instrumentation once a chunk's outputs are acknowledged. */
  delivered(c: PreparedChunk): void {
    const { stage, scope, instrumentation } = this.deps;
    const { topic, partition, messages } = c;
    const ackedAt = scope.now();
    emit(instrumentation, {
      type: "chunk",
      stage: stage.name,
      topic,
      partition,
      records: messages.length,
      outputs: c.produced,
      deadLetters: c.dead,
      durationMs: ackedAt - c.started,
    });
    if (!c.perRecord) return;
    for (let i = 0; i < messages.length; i++) {
      const message = messages[i]!;
      const headers = c.items[i]!.headers;
      emit(instrumentation, {
        type: "record",
        stage: stage.name,
        topic,
        partition,
        offset: message.offset,
        headers,
        outcome: c.results[i]!.kind === "ok" ? "ok" : "dead-letter",
        startedAt: c.started,
        ackedAt,
        timestamp: Number(message.timestamp),
        originTimestamp: Number(headers.extra[ORIGIN_TIMESTAMP] ?? message.timestamp),
        outputs: c.perRecord[i] ?? [],
      });
    }
  }

  private position(
    topic: string,
    partition: number,
    message: KafkaMessage,
    headers: RecordItem["headers"],
  ): RecordPosition {
    return {
      topic,
      partition,
      offset: message.offset,
      eventId: headers.eventId,
      correlationId: headers.correlationId,
      traceId: parseTraceparent(headers.traceparent)?.traceId,
    };
  }

  /**
   * A record that goes to its input's dead-letter topic: instrumentation, a log line with the reason,
   * and the encoded letter (original bytes, headers, position, error). Undefined when the policy skips
   * poison records or the input has no DLQ (logged as skipped).
   */
  private async deadLetter(
    context: RecordPosition,
    message: KafkaMessage,
    error: unknown,
    attempts: number,
  ): Promise<{ topic: string; message: Message } | undefined> {
    const { stage, inputs, settings, encoder, scope, instrumentation } = this.deps;
    const { topic, partition } = context;
    const dlqTopic = inputs.get(topic)!.topic.dlq;
    const code = errorCode(error);
    const skipped = settings.errorPolicy.onPoison === "skip" || !dlqTopic;
    emit(instrumentation, {
      type: "dead-letter",
      stage: stage.name,
      topic,
      code,
      failedStage: (error as { failedStage?: string }).failedStage ?? stage.name,
      ...(skipped ? {} : { dlq: dlqTopic }),
    });
    if (skipped) {
      scope.logger.error({ ...context, code, reason: errorMessage(error) }, "poison record skipped (no DLQ)");
      return undefined;
    }
    scope.logger.warn(
      { ...context, code, reason: errorMessage(error), dlq: dlqTopic },
      "record dead-lettered",
    );
    const letter = toDeadLetter(
      { stage: stage.name, topic, partition, message },
      error,
      attempts,
      scope.now(),
    );
    return { topic: dlqTopic, message: await encoder.encodeDeadLetter(dlqTopic, letter, scope.now()) };
  }
}
