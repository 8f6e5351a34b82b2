/**
 * The stage runner: a thin KafkaJS shell around a pure stage. Decode → stage → encode → produce →
 * commit (only after outputs are acknowledged), with the error policy applied per record, per-key
 * order kept, bounded in-flight work, and a graceful stop. One implementation for every stage.
 * This file is the consumer-group shell; a chunk's processing is chunk.ts, at-least-once delivery per
 * partition lanes.ts, producing and transactions sink.ts.
 */
import type { Batch, Consumer, Kafka, KafkaMessage } from "kafkajs";
import { errorMessage, VerdictError } from "../../lib/errors/index.ts";
import type { Logger } from "../../lib/log/index.ts";
import type { AvroCodec } from "../../schemas/codec/index.ts";
import { TOPIC_PREFIX } from "../../topology/index.ts";
import { isRebalancing } from "./broker-errors.ts";
import { ChunkWork, type PreparedChunk } from "./chunk.ts";
import { OffsetCommitter } from "./committer.ts";
import { OutputEncoder } from "./encode.ts";
import { emit, type Instrumentation } from "./instrumentation.ts";
import { AtLeastOnceLanes, partitionKey, settledOrAfter } from "./lanes.ts";
import { parseRunnerSettings, type RunnerSettings, type RunnerSettingsInput } from "./options.ts";
import { atLeastOnceSink, exactlyOnceSink, type Sink } from "./sink.ts";
import type { Stage, StageInput } from "./types.ts";

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
  const chunks = new ChunkWork({
    stage,
    inputs,
    settings,
    encoder,
    scope: { stage: stage.name, codec: deps.codec, signal: abort.signal, now, logger },
    instrumentation: deps.instrumentation,
  });

  /**
   * Runs a chunk through the stage. A chunk may take longer than the session timeout (a record
   * retrying with backoff, the features stage's label gate waiting): the membership is kept alive
   * meanwhile, or the group rebalances and the partition's uncommitted records are processed twice.
   */
  async function prepareChunk(
    batch: Batch,
    messages: KafkaMessage[],
    heartbeat: () => Promise<void>,
  ): Promise<PreparedChunk> {
    const keepAlive = setInterval(() => void beat(heartbeat), settings.heartbeatIntervalMs);
    try {
      return await chunks.prepare(batch, messages);
    } finally {
      clearInterval(keepAlive);
    }
  }

  const lanes =
    sink.delivery === "at-least-once"
      ? new AtLeastOnceLanes({
          sink,
          settings,
          logger,
          committer,
          chunks,
          signal: abort.signal,
          running: () => state === "running",
          owns: (key) => assigned.has(key),
          seek: (topic, partition, offset) => consumer.seek({ topic, partition, offset }),
          prepare: prepareChunk,
          onFatal: (err) => {
            fatal ??= err;
          },
        })
      : undefined;

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
    lanes?.retainOwned();
    const partitions = assigned.size;
    emit(deps.instrumentation, { type: "group", stage: stage.name, groupId, state: "joined", partitions });
  });
  consumer.on(consumer.events.REBALANCING, () =>
    emit(deps.instrumentation, { type: "group", stage: stage.name, groupId, state: "rebalancing" }),
  );
  consumer.on(consumer.events.STOP, () =>
    emit(deps.instrumentation, { type: "group", stage: stage.name, groupId, state: "stopped" }),
  );

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
            lanes && !isStale() && batch.messages.length > 0
              ? await lanes.laneOf(topic, partition, batch.messages[0]!.offset)
              : undefined;
          const key = partitionKey(topic, partition);
          for (let i = 0; i < batch.messages.length; ) {
            if (!isRunning() || isStale() || abort.signal.aborted || state !== "running" || rejoinNeeded)
              break;
            // onRefusedOutput "dead-letter": records up to a repeatedly refused chunk's end go one at a time.
            const isolateThrough = lanes?.isolatedThrough(key);
            const isolated =
              isolateThrough !== undefined && BigInt(batch.messages[i]!.offset) <= BigInt(isolateThrough);
            const chunk = batch.messages.slice(i, i + (isolated ? 1 : settings.chunkSize));
            i += chunk.length;
            const last = chunk[chunk.length - 1]!.offset;
            // The last chunk of a batch also covers trailing control records (transaction markers).
            const through = i >= batch.messages.length ? batch.lastOffset() : last;
            if (sink.delivery === "exactly-once") {
              // Process, then outputs + offsets in one transaction, one chunk at a time.
              const prepared = await prepareChunk(batch, chunk, heartbeat);
              await sink.deliver(prepared.outputs, { topic, partition, lastOffset: through });
              resolveOffset(last);
              chunks.delivered(prepared);
              await heartbeat();
              continue;
            }
            if (!lane || lane.broken) break; // the partition is re-read from the failed chunk
            lanes!.accept(lane, batch, chunk, (BigInt(through) + 1n).toString(), heartbeat, isolated);
            resolveOffset(last); // fetching moves on; committing waits for the acknowledgement
            // Bounded: at most pipelineDepth chunks of a partition queued or awaiting the broker (none
            // while isolating a refused record); heartbeats meanwhile tell whether the group wants
            // this member to rejoin.
            const depth = isolated ? 0 : settings.pipelineDepth;
            while (lane.pending.length > depth && !rejoinNeeded) {
              await settledOrAfter(lane.pending[0]!, settings.heartbeatIntervalMs);
              await beat(heartbeat);
            }
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
      await lanes?.settled();
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
