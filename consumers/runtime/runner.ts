/**
 * The stage runner: a thin KafkaJS shell around a pure stage. Decode → stage → encode → produce →
 * commit (only after outputs are acknowledged), with the error policy applied per record, per-key
 * order kept, bounded in-flight work, and a graceful stop. One implementation for every stage.
 */
import type { Batch, Consumer, Kafka, KafkaMessage } from "kafkajs";
import { errorCode, errorMessage, VerdictError } from "../../lib/errors/index.ts";
import type { Logger } from "../../lib/log/index.ts";
import { fromKafkaHeaders, ORIGIN_TIMESTAMP, parseTraceparent } from "../../lib/trace/index.ts";
import type { AvroCodec } from "../../schemas/codec/index.ts";
import { TOPIC_PREFIX } from "../../topology/index.ts";
import { RecordContext } from "./context.ts";
import { toDeadLetter } from "./dead-letter.ts";
import { groupByTopic, OutputEncoder } from "./encode.ts";
import type { Instrumentation } from "./instrumentation.ts";
import { emit, wantsRecords } from "./instrumentation.ts";
import { parseRunnerSettings, type RunnerSettings, type RunnerSettingsInput } from "./options.ts";
import { processChunk, type RecordResult, type WorkItem } from "./process.ts";
import { atLeastOnceSink, exactlyOnceSink, type Sink } from "./sink.ts";
import type { Stage, StageInput } from "./types.ts";

/** A chunk's record with its headers parsed once. */
interface RecordItem extends WorkItem {
  headers: ReturnType<typeof fromKafkaHeaders>;
}

export interface StageRunnerDeps {
  kafka: Kafka;
  codec: AvroCodec;
  logger: Logger;
  /** Processing clock. Default Date.now. */
  now?: () => number;
  instrumentation?: Instrumentation;
}

export interface StageRunner {
  readonly groupId: string;
  readonly settings: Readonly<RunnerSettings>;
  /** Connects, joins the group and starts consuming; resolves once running. */
  start(): Promise<void>;
  /** Stops fetching, finishes in-flight work, commits, leaves the group. Idempotent. */
  stop(): Promise<void>;
  /** Rejects when the consumer dies for good (the process should exit non-zero). */
  readonly done: Promise<void>;
}

export function createStageRunner(
  stage: Stage,
  deps: StageRunnerDeps,
  options: RunnerSettingsInput = {},
): StageRunner {
  const settings = parseRunnerSettings(options);
  const groupId = settings.groupId ?? `${TOPIC_PREFIX}verdict.${stage.name}`;
  const now = deps.now ?? Date.now;
  const logger = deps.logger.child({ stage: stage.name, groupId });
  const inputs = new Map<string, StageInput>(stage.inputs.map((i) => [i.topic.name, i]));
  const encoder = new OutputEncoder(deps.codec, `verdict.${stage.name}`);
  const abort = new AbortController();
  const sink: Sink =
    settings.delivery === "exactly-once"
      ? exactlyOnceSink(deps.kafka, {
          transactionalId: `${groupId}.${settings.instanceId}`,
          groupId,
          transactionTimeoutMs: settings.transactionTimeoutMs,
        })
      : atLeastOnceSink(deps.kafka);
  const consumer: Consumer = deps.kafka.consumer({
    groupId,
    sessionTimeout: settings.sessionTimeoutMs,
    heartbeatInterval: settings.heartbeatIntervalMs,
    maxBytesPerPartition: settings.maxBytesPerPartition,
    maxBytes: settings.maxBytes,
    // EOS: only see committed transactional outputs of upstream stages (read_committed).
    readUncommitted: false,
    allowAutoTopicCreation: false,
  });

  let resolveDone!: () => void;
  let rejectDone!: (e: unknown) => void;
  const done = new Promise<void>((res, rej) => {
    resolveDone = res;
    rejectDone = rej;
  });
  done.catch(() => {}); // observed by whoever awaits it; never an unhandled rejection
  let state: "idle" | "running" | "stopping" | "stopped" = "idle";
  /** At-least-once: next offset to commit per partition, once its outputs were acknowledged. */
  const delivered = new Map<string, { topic: string; partition: number; offset: string }>();
  /** eachBatch calls running now; stop() waits for them to drain before committing. */
  let inFlight = 0;
  const idleWaiters: (() => void)[] = [];

  consumer.on(consumer.events.CRASH, ({ payload }) => {
    logger.error({ err: payload.error, restart: payload.restart }, "consumer crashed");
    if (!payload.restart) {
      state = "stopped";
      emit(deps.instrumentation, { type: "group", stage: stage.name, groupId, state: "crashed" });
      rejectDone(
        new VerdictError(
          "VERDICT_ERR_KAFKA",
          `Stage ${stage.name} consumer stopped: ${errorMessage(payload.error)}`,
          {
            cause: payload.error,
          },
        ),
      );
    }
  });

  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    const partitions = Object.values(payload.memberAssignment).reduce((n, p) => n + p.length, 0);
    emit(deps.instrumentation, { type: "group", stage: stage.name, groupId, state: "joined", partitions });
  });
  consumer.on(consumer.events.REBALANCING, () =>
    emit(deps.instrumentation, { type: "group", stage: stage.name, groupId, state: "rebalancing" }),
  );
  consumer.on(consumer.events.STOP, () =>
    emit(deps.instrumentation, { type: "group", stage: stage.name, groupId, state: "stopped" }),
  );

  function workItem(topic: string, partition: number, message: KafkaMessage): RecordItem {
    const input = inputs.get(topic)!;
    // Parsed once per record: the stage context, the output headers and instrumentation share it.
    const headers = fromKafkaHeaders(message.headers);
    const key = message.key ? message.key.toString() : null;
    return {
      key,
      headers,
      run: async (attempt) => {
        const { value } = await deps.codec.decode(input.topic, message.value);
        const ctx = new RecordContext(
          stage.name,
          topic,
          partition,
          message.offset,
          key,
          headers,
          Number(message.timestamp),
          attempt,
          abort.signal,
          now,
          logger,
        );
        return input.handle(value, ctx);
      },
    };
  }

  async function handleChunk(
    batch: Batch,
    messages: KafkaMessage[],
    resolveOffset: (offset: string) => void,
    commitIfNecessary: () => Promise<void>,
  ): Promise<void> {
    const { topic, partition } = batch;
    const started = now();
    const items = messages.map((m) => workItem(topic, partition, m));
    const results: RecordResult[] = await processChunk(items, {
      concurrency: stage.concurrency ?? "sequential",
      maxInFlight: settings.maxInFlight,
      policy: settings.errorPolicy,
      signal: abort.signal,
      onRetry: ({ attempt, delayMs, error }) => {
        logger.warn({ topic, partition, attempt, delayMs, code: errorCode(error), err: error }, "retrying");
        emit(deps.instrumentation, {
          type: "retry",
          stage: stage.name,
          topic,
          attempt,
          code: errorCode(error),
        });
      },
    });
    const out: { topic: string; message: import("kafkajs").Message }[] = [];
    const dlqTopic = inputs.get(topic)!.topic.dlq;
    let dead = 0;
    const perRecord: { topic: string; traceparent?: string }[][] | undefined = wantsRecords(
      deps.instrumentation,
    )
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
        for (const o of result.outputs) {
          const encoded = await encoder.encode(o, inputHeaders, now(), { [ORIGIN_TIMESTAMP]: origin });
          out.push({ topic: o.topic.name, message: encoded });
          produced?.push({ topic: o.topic.name, traceparent: encoded.headers?.traceparent?.toString() });
        }
        if (produced) perRecord!.push(produced);
        continue;
      }
      perRecord?.push([]);
      const context = {
        topic,
        partition,
        offset: message.offset,
        eventId: inputHeaders.eventId,
        correlationId: inputHeaders.correlationId,
        traceId: parseTraceparent(inputHeaders.traceparent)?.traceId,
      };
      if (result.kind === "fatal") {
        logger.fatal(
          { ...context, err: result.error },
          "record failed and the error policy says fail: stopping",
        );
        throw new VerdictError(
          "VERDICT_ERR_STAGE",
          `Stage ${stage.name} stopped on ${topic}[${partition}]@${message.offset}`,
          {
            cause: result.error,
            context,
          },
        );
      }
      dead++;
      const code = errorCode(result.error);
      const skipped = settings.errorPolicy.onPoison === "skip" || !dlqTopic;
      emit(deps.instrumentation, {
        type: "dead-letter",
        stage: stage.name,
        topic,
        code,
        failedStage: (result.error as { failedStage?: string }).failedStage ?? stage.name,
        ...(skipped ? {} : { dlq: dlqTopic }),
      });
      if (skipped) {
        logger.error(
          { ...context, code, reason: errorMessage(result.error) },
          "poison record skipped (no DLQ)",
        );
        continue;
      }
      logger.warn(
        { ...context, code, reason: errorMessage(result.error), dlq: dlqTopic },
        "record dead-lettered",
      );
      const letter = toDeadLetter(
        { stage: stage.name, topic, partition, message },
        result.error,
        result.attempts,
        now(),
      );
      out.push({ topic: dlqTopic, message: await encoder.encodeDeadLetter(dlqTopic, letter, now()) });
    }
    const last = messages[messages.length - 1]!.offset;
    await sink.deliver(groupByTopic(out), { topic, partition, lastOffset: last }, async () => {
      resolveOffset(last);
      if (settings.delivery === "at-least-once") {
        delivered.set(`${topic}\u0000${partition}`, {
          topic,
          partition,
          offset: (BigInt(last) + 1n).toString(),
        });
        await commitIfNecessary();
      }
    });
    emit(deps.instrumentation, {
      type: "chunk",
      stage: stage.name,
      topic,
      partition,
      records: messages.length,
      outputs: out.length - dead,
      deadLetters: dead,
      durationMs: now() - started,
    });
    if (perRecord) {
      const ackedAt = now();
      for (let i = 0; i < messages.length; i++) {
        const message = messages[i]!;
        const headers = items[i]!.headers;
        emit(deps.instrumentation, {
          type: "record",
          stage: stage.name,
          topic,
          partition,
          offset: message.offset,
          headers,
          outcome: results[i]!.kind === "ok" ? "ok" : "dead-letter",
          startedAt: started,
          ackedAt,
          timestamp: Number(message.timestamp),
          originTimestamp: Number(headers.extra[ORIGIN_TIMESTAMP] ?? message.timestamp),
          outputs: perRecord[i] ?? [],
        });
      }
    }
  }

  async function start(): Promise<void> {
    if (state !== "idle") return;
    state = "running";
    await stage.start?.();
    await sink.connect();
    await consumer.connect();
    await consumer.subscribe({ topics: [...inputs.keys()], fromBeginning: settings.fromBeginning });
    await consumer.run({
      partitionsConsumedConcurrently: settings.partitionsConsumedConcurrently,
      eachBatchAutoResolve: false,
      autoCommit: settings.delivery === "at-least-once",
      ...(settings.commitIntervalMs > 0 ? { autoCommitInterval: settings.commitIntervalMs } : {}),
      eachBatch: async ({
        batch,
        resolveOffset,
        heartbeat,
        commitOffsetsIfNecessary,
        isRunning,
        isStale,
      }) => {
        emit(deps.instrumentation, {
          type: "batch",
          stage: stage.name,
          topic: batch.topic,
          partition: batch.partition,
          records: batch.messages.length,
          offsetLag: Number(batch.offsetLag()),
        });
        inFlight++;
        try {
          for (let i = 0; i < batch.messages.length; i += settings.chunkSize) {
            if (!isRunning() || isStale() || abort.signal.aborted || state !== "running") break;
            const chunk = batch.messages.slice(i, i + settings.chunkSize);
            // A chunk may take longer than the session timeout (a record retrying with backoff, the
            // features stage's label gate waiting): keep the membership alive meanwhile, or the
            // group rebalances and the partition's uncommitted records are processed twice.
            const beat = setInterval(() => void heartbeat().catch(() => {}), settings.heartbeatIntervalMs);
            try {
              await handleChunk(batch, chunk, resolveOffset, () => commitOffsetsIfNecessary());
            } finally {
              clearInterval(beat);
            }
            await heartbeat();
          }
        } finally {
          if (--inFlight === 0) for (const wake of idleWaiters.splice(0)) wake();
        }
      },
    });
    logger.info({ topics: [...inputs.keys()], delivery: settings.delivery }, "stage running");
  }

  async function stop(): Promise<void> {
    if (state === "stopping" || state === "stopped" || state === "idle") {
      if (state === "idle") state = "stopped";
      resolveDone();
      return;
    }
    state = "stopping";
    // In-flight work gets a grace period to finish and commit; past it (e.g. a record blocked on a
    // dead dependency) it is aborted uncommitted, and redelivered to whoever owns the partition next.
    const grace = setTimeout(
      () => abort.abort(new VerdictError("VERDICT_ERR_STAGE", "stage stopping")),
      settings.shutdownGraceMs,
    );
    try {
      // Pause fetching and let in-flight chunks finish while still in the group, then commit what was
      // delivered (at-least-once: KafkaJS's stop() leaves the group without committing, and a graceful
      // restart must not repeat outputs), then leave the group.
      consumer.pause([...inputs.keys()].map((topic) => ({ topic })));
      if (inFlight > 0) await new Promise<void>((resolve) => idleWaiters.push(resolve));
      if (settings.delivery === "at-least-once" && delivered.size > 0) {
        await consumer
          .commitOffsets([...delivered.values()])
          .catch((err) =>
            logger.warn({ err }, "final offset commit failed; records since the last commit will repeat"),
          );
      }
      await consumer.disconnect();
      await sink.disconnect();
    } finally {
      clearTimeout(grace);
      abort.abort(new VerdictError("VERDICT_ERR_STAGE", "stage stopped"));
      await stage.stop?.();
      state = "stopped";
      logger.info("stage stopped");
      resolveDone();
    }
  }

  return { groupId, settings, start, stop, done };
}
