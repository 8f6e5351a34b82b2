/**
 * The stage runner: a thin KafkaJS shell around a pure stage. Decode → stage → encode → produce →
 * commit (only after outputs are acknowledged), with the error policy applied per record, per-key
 * order kept, bounded in-flight work, and a graceful stop. One implementation for every stage.
 */
import type { Batch, Consumer, Kafka, KafkaMessage, Message } from "kafkajs";
import { errorCode, errorMessage, VerdictError } from "../../lib/errors/index.ts";
import type { Logger } from "../../lib/log/index.ts";
import { backoffDelay, sleep } from "../../lib/retry/index.ts";
import { fromKafkaHeaders, ORIGIN_TIMESTAMP, parseTraceparent } from "../../lib/trace/index.ts";
import type { AvroCodec } from "../../schemas/codec/index.ts";
import { TOPIC_PREFIX } from "../../topology/index.ts";
import { OffsetCommitter } from "./committer.ts";
import { RecordContext } from "./context.ts";
import { toDeadLetter } from "./dead-letter.ts";
import { groupByTopic, OutputEncoder, type TopicMessages } from "./encode.ts";
import type { Instrumentation } from "./instrumentation.ts";
import { emit, wantsRecords } from "./instrumentation.ts";
import { parseRunnerSettings, type RunnerSettings, type RunnerSettingsInput } from "./options.ts";
import { processChunk, type RecordResult, type WorkItem } from "./process.ts";
import { type AtLeastOnceSink, atLeastOnceSink, exactlyOnceSink, type Sink } from "./sink.ts";
import type { Stage, StageInput, StageOutput } from "./types.ts";

/** What every record of a runner shares. */
interface RecordScope {
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
class RecordItem implements WorkItem {
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
  run(attempt: number): StageOutput[] | Promise<StageOutput[]> {
    const { codec } = this.scope;
    const known = codec.decodeSync(this.input.topic, this.message.value);
    if (known) return this.handle(known.value, attempt);
    return codec.decode(this.input.topic, this.message.value).then((d) => this.handle(d.value, attempt));
  }

  private handle(value: unknown, attempt: number): StageOutput[] | Promise<StageOutput[]> {
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
      ),
    );
  }
}

/** A processed chunk whose outputs are encoded and ready to deliver. */
interface PreparedChunk {
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

/**
 * At-least-once delivery of one partition: chunks whose outputs are not acknowledged yet. The next
 * chunks are processed meanwhile (pipelining); offsets are committed in chunk order, each only once
 * every earlier chunk of the partition is acknowledged.
 */
interface Lane {
  pending: Promise<void>[];
  /** Last link of the chain: settles after every earlier chunk of the lane. */
  tail: Promise<void>;
  /** Settles once the last queued chunk is processed (never rejects): the next one starts then. */
  processed: Promise<void>;
  /** A send failed: nothing more is sent or committed until the partition is re-read (seek). */
  broken: boolean;
  /** First offset of the earliest chunk that was not acknowledged (set once a chunk fails). */
  resumeAt?: string;
}

const noop = () => {};

/** Broker errors that refuse a record for good: sending the same outputs again cannot succeed. */
const PERMANENT_REFUSALS = new Set([
  "MESSAGE_TOO_LARGE",
  "RECORD_LIST_TOO_LARGE",
  "INVALID_RECORD",
  "CORRUPT_MESSAGE",
]);

/** The broker refused these outputs for good (looking through KafkaJS's wrappers; "not sent" is not). */
export function isPermanentRefusal(err: unknown): boolean {
  let e = err;
  for (let depth = 0; e && depth < 6; depth++) {
    const x = e as { type?: unknown; code?: unknown; cause?: unknown; originalError?: unknown };
    if (x.code === "VERDICT_ERR_NOT_SENT") return false;
    if (typeof x.type === "string" && PERMANENT_REFUSALS.has(x.type)) return true;
    e = x.cause ?? x.originalError;
  }
  return false;
}

/** KafkaJS's own test (errors.js isRebalancing): the group is rebalancing and this member must rejoin. */
function isRebalancing(err: unknown): boolean {
  const type = (err as { type?: unknown })?.type;
  return (
    type === "REBALANCE_IN_PROGRESS" || type === "NOT_COORDINATOR_FOR_GROUP" || type === "ILLEGAL_GENERATION"
  );
}

/** Resolves when `promise` settles or after `ms`, whichever is first (the timer is cleared). */
function settledOrAfter(promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    promise.then(done, done);
  });
}

const partitionKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

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
      : atLeastOnceSink(deps.kafka, { lingerMs: settings.lingerMs });
  const consumer: Consumer = deps.kafka.consumer({
    groupId,
    sessionTimeout: settings.sessionTimeoutMs,
    heartbeatInterval: settings.heartbeatIntervalMs,
    minBytes: settings.fetchMinBytes,
    maxWaitTimeInMs: settings.fetchMaxWaitMs,
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
  /** At-least-once: offsets whose outputs are acknowledged, committed in groups. */
  const committer = new OffsetCommitter({
    intervalMs: settings.commitIntervalMs,
    commit: (offsets) => consumer.commitOffsets(offsets),
    onError: (err, offsets) =>
      logger.warn(
        { err, partitions: offsets.length },
        "offset commit failed; retrying (records since the last commit repeat if this process stops first)",
      ),
  });
  const lanes = new Map<string, Lane>();
  /** Consecutive re-reads per partition after a failed chunk, for backoff; cleared on success. */
  const refusals = new Map<string, number>();
  /**
   * onRefusedOutput "dead-letter": per partition, the last offset of a chunk whose outputs the broker
   * refused for good (MESSAGE_TOO_LARGE and the like), and once that repeated refusalsBeforeDeadLetter
   * times, the offset through which the partition is processed one record at a time, each record's
   * outputs in a request of their own, so the refused record can be told apart and dead-lettered.
   */
  const refused = new Map<string, string>();
  const isolating = new Map<string, string>();
  /** Partitions this member owns (GROUP_JOIN); outputs of others are not committed by it. */
  const assigned = new Set<string>();
  /** A record failed and the error policy says fail: thrown by the next eachBatch (KafkaJS restarts). */
  let fatal: unknown;
  /** eachBatch calls running now; stop() waits for them to drain before committing. */
  let inFlight = 0;
  /**
   * A heartbeat said the group is rebalancing. KafkaJS rejoins only between fetches, once every
   * eachBatch call has returned: the at-least-once loop stops taking chunks from its batch (the rest
   * is fetched again if the partition stays) instead of working through it first, which would hold
   * a joining member off for as long as the batch takes.
   */
  let rejoinNeeded = false;
  const beat = (heartbeat: () => Promise<void>): Promise<void> =>
    heartbeat().catch((err) => {
      if (isRebalancing(err)) rejoinNeeded = true;
    });
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
    rejoinNeeded = false;
    assigned.clear();
    for (const [topic, ps] of Object.entries(payload.memberAssignment)) {
      for (const p of ps) assigned.add(partitionKey(topic, p));
    }
    committer.retain((topic, partition) => assigned.has(partitionKey(topic, partition)));
    for (const m of [refused, isolating]) for (const k of m.keys()) if (!assigned.has(k)) m.delete(k);
    const partitions = assigned.size;
    emit(deps.instrumentation, { type: "group", stage: stage.name, groupId, state: "joined", partitions });
  });
  consumer.on(consumer.events.REBALANCING, () =>
    emit(deps.instrumentation, { type: "group", stage: stage.name, groupId, state: "rebalancing" }),
  );
  consumer.on(consumer.events.STOP, () =>
    emit(deps.instrumentation, { type: "group", stage: stage.name, groupId, state: "stopped" }),
  );

  const scope: RecordScope = { stage: stage.name, codec: deps.codec, signal: abort.signal, now, logger };

  function workItem(topic: string, partition: number, message: KafkaMessage): RecordItem {
    return new RecordItem(scope, inputs.get(topic)!, topic, partition, message);
  }

  /**
   * Runs a chunk through the stage and encodes its outputs and dead letters, in input order. A chunk
   * may take longer than the session timeout (a record retrying with backoff, the features stage's
   * label gate waiting): the membership is kept alive meanwhile, or the group rebalances and the
   * partition's uncommitted records are processed twice.
   */
  async function prepareChunk(
    batch: Batch,
    messages: KafkaMessage[],
    heartbeat: () => Promise<void>,
  ): Promise<PreparedChunk> {
    const keepAlive = setInterval(() => void beat(heartbeat), settings.heartbeatIntervalMs);
    try {
      return await processAndEncode(batch, messages);
    } finally {
      clearInterval(keepAlive);
    }
  }

  async function processAndEncode(batch: Batch, messages: KafkaMessage[]): Promise<PreparedChunk> {
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
    const out: { topic: string; message: Message }[] = [];
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
        const extra = { [ORIGIN_TIMESTAMP]: origin };
        for (const o of result.outputs) {
          const at = now();
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
      const context = recordContext(topic, partition, message, inputHeaders);
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
      const letter = await deadLetter(context, message, result.error, result.attempts);
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

  function recordContext(
    topic: string,
    partition: number,
    message: KafkaMessage,
    headers: RecordItem["headers"],
  ) {
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
   * onRefusedOutput "dead-letter": the broker refused the outputs of this one-record chunk for good,
   * so the record goes to its input's DLQ instead (in a request of its own) and the partition moves on.
   */
  async function deadLetterRefused(
    out: AtLeastOnceSink,
    c: PreparedChunk,
    refusal: unknown,
    onFail: (err: unknown) => void,
  ) {
    const key = partitionKey(c.topic, c.partition);
    const message = c.messages[0]!;
    const error = new VerdictError(
      "VERDICT_ERR_OUTPUT_REFUSED",
      `The broker refused this record's outputs for good: ${errorMessage(refusal)}. Fix the output topic (e.g. max.message.bytes) and replay the record from the DLQ.`,
      { cause: refusal },
    );
    const attempts = (refusals.get(key) ?? 0) + 1;
    const letter = await deadLetter(
      recordContext(c.topic, c.partition, message, c.items[0]!.headers),
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

  /**
   * A record that goes to its input's dead-letter topic: instrumentation, a log line with the reason,
   * and the encoded letter (original bytes, headers, position, error). Undefined when the policy skips
   * poison records or the input has no DLQ (logged as skipped).
   */
  async function deadLetter(
    context: { topic: string; partition: number; offset: string; [k: string]: unknown },
    message: KafkaMessage,
    error: unknown,
    attempts: number,
  ): Promise<{ topic: string; message: Message } | undefined> {
    const { topic, partition } = context;
    const dlqTopic = inputs.get(topic)!.topic.dlq;
    const code = errorCode(error);
    const skipped = settings.errorPolicy.onPoison === "skip" || !dlqTopic;
    emit(deps.instrumentation, {
      type: "dead-letter",
      stage: stage.name,
      topic,
      code,
      failedStage: (error as { failedStage?: string }).failedStage ?? stage.name,
      ...(skipped ? {} : { dlq: dlqTopic }),
    });
    if (skipped) {
      logger.error({ ...context, code, reason: errorMessage(error) }, "poison record skipped (no DLQ)");
      return undefined;
    }
    logger.warn({ ...context, code, reason: errorMessage(error), dlq: dlqTopic }, "record dead-lettered");
    const letter = toDeadLetter({ stage: stage.name, topic, partition, message }, error, attempts, now());
    return { topic: dlqTopic, message: await encoder.encodeDeadLetter(dlqTopic, letter, now()) };
  }

  /** Instrumentation once a chunk's outputs are acknowledged. */
  function chunkDelivered(c: PreparedChunk): void {
    const { topic, partition, messages } = c;
    const ackedAt = now();
    emit(deps.instrumentation, {
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
      emit(deps.instrumentation, {
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

  /**
   * At-least-once: queues a chunk on its partition's lane and returns. The lane processes its chunks
   * one after the other (per-partition order), hands each chunk's outputs to the shared produce queue
   * and commits its offsets once it and every earlier chunk of the partition are acknowledged.
   * Meanwhile KafkaJS fetches on: fetching, processing and producing overlap instead of taking turns.
   * A failed send or a fatal record stops the lane and re-reads the partition from that chunk.
   */
  function accept(
    out: AtLeastOnceSink,
    lane: Lane,
    batch: Batch,
    chunk: KafkaMessage[],
    commitOffset: string,
    heartbeat: () => Promise<void>,
    isolated: boolean,
  ): void {
    const { topic, partition } = batch;
    const key = partitionKey(topic, partition);
    const firstOffset = chunk[0]!.offset;
    const lastOffset = chunk[chunk.length - 1]!.offset;
    const breakLane = (err: unknown, why: string) => {
      if (lane.broken) return; // an earlier chunk of this lane failed first and seeked already
      lane.broken = true;
      if (state !== "running") return; // stopping: the next owner re-reads from the last commit
      logger.error({ topic, partition, offset: firstOffset, err }, why);
      consumer.seek({ topic, partition, offset: firstOffset });
    };
    const previousStep = lane.processed;
    const step = (async () => {
      await previousStep;
      if (lane.broken) return undefined;
      let prepared: PreparedChunk;
      try {
        prepared = await prepareChunk(batch, chunk, heartbeat);
      } catch (err) {
        breakLane(err, "chunk failed: re-reading the partition from it");
        if (state === "running") fatal ??= err;
        throw err;
      }
      if (lane.broken) return undefined;
      const notAcknowledged = (err: unknown) =>
        breakLane(
          err,
          "outputs not acknowledged: re-reading the partition from the first unacknowledged record",
        );
      let sent = out.send(
        prepared.outputs,
        (err) => {
          const permanent = isPermanentRefusal(err);
          if (isolated && permanent) return; // this record is dead-lettered instead (below)
          if (permanent) refused.set(key, lastOffset);
          notAcknowledged(err);
        },
        isolated,
      );
      if (isolated) {
        sent = sent.catch((err) =>
          isPermanentRefusal(err)
            ? deadLetterRefused(out, prepared, err, notAcknowledged)
            : Promise.reject(err),
        );
      }
      sent.catch(noop); // observed by the link below, which may stop earlier (an earlier chunk failed)
      return { prepared, sent };
    })();
    lane.processed = step.then(noop, noop);
    const previous = lane.tail;
    const link = (async () => {
      const done = await step;
      await previous; // never commit past an earlier chunk that was not acknowledged
      if (!done) throw new VerdictError("VERDICT_ERR_STAGE", "chunk skipped: its partition is re-read");
      await done.sent;
      chunkDelivered(done.prepared);
      refusals.delete(key);
      refused.delete(key);
      const through = isolating.get(key);
      if (through !== undefined && BigInt(lastOffset) >= BigInt(through)) isolating.delete(key);
      if (assigned.has(key)) committer.mark(topic, partition, commitOffset);
    })();
    link
      .catch(() => {
        // Not acknowledged: the partition must be re-read from here at the latest (see laneOf).
        if (lane.resumeAt === undefined || BigInt(firstOffset) < BigInt(lane.resumeAt))
          lane.resumeAt = firstOffset;
      })
      .finally(() => {
        lane.pending.shift();
        if (lane.pending.length === 0 && lanes.get(key) === lane && !lane.broken) lanes.delete(key);
      });
    lane.tail = link;
    lane.pending.push(link);
  }

  /**
   * The lane of a partition. A broken one is replaced once everything it queued has settled; if a
   * chunk earlier than the re-read position failed meanwhile (two failures in a row), the partition
   * is re-read from that one instead and this batch is skipped (undefined).
   */
  async function laneOf(topic: string, partition: number, firstOffset: string): Promise<Lane | undefined> {
    const key = partitionKey(topic, partition);
    let lane = lanes.get(key);
    if (lane?.broken) {
      await Promise.allSettled(lane.pending);
      const resumeAt = lane.resumeAt;
      if (resumeAt !== undefined && BigInt(firstOffset) > BigInt(resumeAt)) {
        if (state === "running") consumer.seek({ topic, partition, offset: resumeAt });
        return undefined;
      }
      lanes.delete(key);
      lane = undefined;
      // A refusal that repeats (the same output refused again) is retried with capped backoff, not
      // in a tight loop; capped below the session timeout's reach (KafkaJS heartbeats between batches).
      const failures = (refusals.get(key) ?? 0) + 1;
      refusals.set(key, failures);
      const refusedThrough = refused.get(key);
      if (
        settings.onRefusedOutput === "dead-letter" &&
        refusedThrough !== undefined &&
        failures >= settings.refusalsBeforeDeadLetter
      ) {
        // The same outputs were refused for good again and again: find the record and dead-letter it.
        isolating.set(key, refusedThrough);
        refused.delete(key);
        logger.warn(
          { topic, partition, from: firstOffset, through: refusedThrough, failures },
          "outputs refused for good repeatedly: processing these records one at a time to dead-letter the refused one",
        );
      }
      const p = settings.errorPolicy;
      const delayMs = backoffDelay(
        "exponential",
        Math.min(failures, 20),
        p.initialDelayMs,
        Math.min(p.maxDelayMs, 5000),
        0.5,
      );
      await sleep(delayMs, abort.signal).catch(noop);
    }
    if (!lane) {
      lane = { pending: [], tail: Promise.resolve(), processed: Promise.resolve(), broken: false };
      lanes.set(key, lane);
    }
    return lane;
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
      // Commits are the runner's: at-least-once by OffsetCommitter once outputs are acknowledged,
      // exactly-once inside each transaction. KafkaJS's own would commit what is merely processed.
      autoCommit: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
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
          if (fatal !== undefined) {
            const err = fatal;
            fatal = undefined;
            throw err;
          }
          const { topic, partition } = batch;
          const lane =
            sink.delivery === "at-least-once" && !isStale() && batch.messages.length > 0
              ? await laneOf(topic, partition, batch.messages[0]!.offset)
              : undefined;
          const key = partitionKey(topic, partition);
          for (let i = 0; i < batch.messages.length; ) {
            if (!isRunning() || isStale() || abort.signal.aborted || state !== "running" || rejoinNeeded)
              break;
            // onRefusedOutput "dead-letter": records up to a repeatedly refused chunk's end go one at a time.
            const isolateThrough = isolating.get(key);
            const isolated =
              isolateThrough !== undefined && BigInt(batch.messages[i]!.offset) <= BigInt(isolateThrough);
            const chunk = batch.messages.slice(i, i + (isolated ? 1 : settings.chunkSize));
            i += chunk.length;
            const last = chunk[chunk.length - 1]!.offset;
            // The last chunk of a batch also covers trailing control records (transaction markers).
            const through = i >= batch.messages.length ? batch.lastOffset() : last;
            if (sink.delivery === "at-least-once") {
              if (!lane || lane.broken) break; // the partition is re-read from the failed chunk
              accept(sink, lane, batch, chunk, (BigInt(through) + 1n).toString(), heartbeat, isolated);
              resolveOffset(last); // fetching moves on; committing waits for the acknowledgement
              // Bounded: at most pipelineDepth chunks of a partition queued or awaiting the broker (none
              // while isolating a refused record); heartbeats meanwhile tell whether the group wants
              // this member to rejoin.
              const depth = isolated ? 0 : settings.pipelineDepth;
              while (lane.pending.length > depth && !rejoinNeeded) {
                await settledOrAfter(lane.pending[0]!, settings.heartbeatIntervalMs);
                await beat(heartbeat);
              }
              continue;
            }
            // exactly-once: process, then outputs + offsets in one transaction, one chunk at a time.
            const prepared = await prepareChunk(batch, chunk, heartbeat);
            await sink.deliver(prepared.outputs, { topic, partition, lastOffset: through });
            resolveOffset(last);
            chunkDelivered(prepared);
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
      // At-least-once: outputs still waiting for the broker, then one last commit of what they cover.
      await Promise.allSettled([...lanes.values()].flatMap((lane) => lane.pending));
      await committer.flush();
      committer.close();
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
