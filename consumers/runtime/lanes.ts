/**
 * At-least-once delivery per partition. Each partition's chunks queue on a lane: processed one after
 * the other (per-partition order), their outputs handed to the shared produce queue, their offsets
 * committed once the chunk and every earlier one of the partition are acknowledged. Meanwhile KafkaJS
 * fetches on: fetching, processing and producing overlap instead of taking turns. A failed send or a
 * fatal record breaks the lane, and the partition is re-read from the first chunk not acknowledged.
 */
import type { Batch, KafkaMessage } from "kafkajs";
import { VerdictError } from "../../lib/errors/index.ts";
import type { Logger } from "../../lib/log/index.ts";
import { backoffDelay, sleep } from "../../lib/retry/index.ts";
import { isPermanentRefusal } from "./broker-errors.ts";
import type { ChunkWork, PreparedChunk } from "./chunk.ts";
import type { OffsetCommitter } from "./committer.ts";
import type { RunnerSettings } from "./options.ts";
import type { AtLeastOnceSink } from "./sink.ts";

/**
 * One partition's chunks whose outputs are not acknowledged yet. The next chunks are processed
 * meanwhile (pipelining); offsets are committed in chunk order, each only once every earlier chunk
 * of the partition is acknowledged.
 */
export interface Lane {
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

export const partitionKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

const noop = () => {};

/** Resolves when `promise` settles or after `ms`, whichever is first (the timer is cleared). */
export function settledOrAfter(promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    promise.then(done, done);
  });
}

export interface LanesDeps {
  sink: AtLeastOnceSink;
  settings: RunnerSettings;
  logger: Logger;
  committer: OffsetCommitter;
  chunks: ChunkWork;
  /** Aborted when the runner stops (ends a backoff early). */
  signal: AbortSignal;
  /** False once the runner is stopping: the next owner of a partition re-reads it from the last commit. */
  running(): boolean;
  /** Whether this member owns the partition now (its offsets are committed only then). */
  owns(key: string): boolean;
  /** Re-reads the partition from `offset` (KafkaJS seek). */
  seek(topic: string, partition: number, offset: string): void;
  /** Processes a chunk (keeping the group membership alive meanwhile). */
  prepare(batch: Batch, chunk: KafkaMessage[], heartbeat: () => Promise<void>): Promise<PreparedChunk>;
  /** A chunk failed processing while running: the runner throws it from its next eachBatch. */
  onFatal(err: unknown): void;
}

export class AtLeastOnceLanes {
  private readonly lanes = new Map<string, Lane>();
  /** Consecutive re-reads per partition after a failed chunk, for backoff; cleared on success. */
  private readonly refusals = new Map<string, number>();
  /**
   * onRefusedOutput "dead-letter": per partition, the last offset of a chunk whose outputs the broker
   * refused for good (MESSAGE_TOO_LARGE and the like), and once that repeated refusalsBeforeDeadLetter
   * times, the offset through which the partition is processed one record at a time, each record's
   * outputs in a request of their own, so the refused record can be told apart and dead-lettered.
   */
  private readonly refused = new Map<string, string>();
  private readonly isolating = new Map<string, string>();

  constructor(private readonly deps: LanesDeps) {}

  /** onRefusedOutput "dead-letter": records of the partition up to this offset go one at a time. */
  isolatedThrough(key: string): string | undefined {
    return this.isolating.get(key);
  }

  /** After a rebalance: forgets refusals of partitions this member no longer owns. */
  retainOwned(): void {
    for (const m of [this.refused, this.isolating])
      for (const k of m.keys()) if (!this.deps.owns(k)) m.delete(k);
  }

  /** Settles once every queued chunk is acknowledged or failed. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.lanes.values()].flatMap((lane) => lane.pending));
  }

  /**
   * The lane of a partition. A broken one is replaced once everything it queued has settled; if a
   * chunk earlier than the re-read position failed meanwhile (two failures in a row), the partition
   * is re-read from that one instead and this batch is skipped (undefined).
   */
  async laneOf(topic: string, partition: number, firstOffset: string): Promise<Lane | undefined> {
    const { settings, logger } = this.deps;
    const key = partitionKey(topic, partition);
    let lane = this.lanes.get(key);
    if (lane?.broken) {
      await Promise.allSettled(lane.pending);
      const resumeAt = lane.resumeAt;
      if (resumeAt !== undefined && BigInt(firstOffset) > BigInt(resumeAt)) {
        if (this.deps.running()) this.deps.seek(topic, partition, resumeAt);
        return undefined;
      }
      this.lanes.delete(key);
      lane = undefined;
      // A refusal that repeats (the same output refused again) is retried with capped backoff, not
      // in a tight loop; capped below the session timeout's reach (KafkaJS heartbeats between batches).
      const failures = (this.refusals.get(key) ?? 0) + 1;
      this.refusals.set(key, failures);
      const refusedThrough = this.refused.get(key);
      if (
        settings.onRefusedOutput === "dead-letter" &&
        refusedThrough !== undefined &&
        failures >= settings.refusalsBeforeDeadLetter
      ) {
        // The same outputs were refused for good again and again: find the record and dead-letter it.
        this.isolating.set(key, refusedThrough);
        this.refused.delete(key);
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
      await sleep(delayMs, this.deps.signal).catch(noop);
    }
    if (!lane) {
      lane = { pending: [], tail: Promise.resolve(), processed: Promise.resolve(), broken: false };
      this.lanes.set(key, lane);
    }
    return lane;
  }

  /**
   * Queues a chunk on its partition's lane and returns: processed after the lane's earlier chunks,
   * its outputs sent, its offsets (`commitOffset`) marked for commit once it and every earlier chunk
   * are acknowledged. `isolated`: a one-record chunk whose refused outputs are dead-lettered.
   */
  accept(
    lane: Lane,
    batch: Batch,
    chunk: KafkaMessage[],
    commitOffset: string,
    heartbeat: () => Promise<void>,
    isolated: boolean,
  ): void {
    const { sink, logger, chunks, committer } = this.deps;
    const { topic, partition } = batch;
    const key = partitionKey(topic, partition);
    const firstOffset = chunk[0]!.offset;
    const lastOffset = chunk[chunk.length - 1]!.offset;
    const breakLane = (err: unknown, why: string) => {
      if (lane.broken) return; // an earlier chunk of this lane failed first and seeked already
      lane.broken = true;
      if (!this.deps.running()) return; // stopping: the next owner re-reads from the last commit
      logger.error({ topic, partition, offset: firstOffset, err }, why);
      this.deps.seek(topic, partition, firstOffset);
    };
    const previousStep = lane.processed;
    const step = (async () => {
      await previousStep;
      if (lane.broken) return undefined;
      let prepared: PreparedChunk;
      try {
        prepared = await this.deps.prepare(batch, chunk, heartbeat);
      } catch (err) {
        breakLane(err, "chunk failed: re-reading the partition from it");
        if (this.deps.running()) this.deps.onFatal(err);
        throw err;
      }
      if (lane.broken) return undefined;
      const notAcknowledged = (err: unknown) =>
        breakLane(
          err,
          "outputs not acknowledged: re-reading the partition from the first unacknowledged record",
        );
      let sent = sink.send(
        prepared.outputs,
        (err) => {
          const permanent = isPermanentRefusal(err);
          if (isolated && permanent) return; // this record is dead-lettered instead (below)
          if (permanent) this.refused.set(key, lastOffset);
          notAcknowledged(err);
        },
        isolated,
      );
      if (isolated) {
        sent = sent.catch((err) =>
          isPermanentRefusal(err)
            ? chunks.deadLetterRefused(
                sink,
                prepared,
                err,
                (this.refusals.get(key) ?? 0) + 1,
                notAcknowledged,
              )
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
      chunks.delivered(done.prepared);
      this.refusals.delete(key);
      this.refused.delete(key);
      const through = this.isolating.get(key);
      if (through !== undefined && BigInt(lastOffset) >= BigInt(through)) this.isolating.delete(key);
      if (this.deps.owns(key)) committer.mark(topic, partition, commitOffset);
    })();
    link
      .catch(() => {
        // Not acknowledged: the partition must be re-read from here at the latest (see laneOf).
        if (lane.resumeAt === undefined || BigInt(firstOffset) < BigInt(lane.resumeAt))
          lane.resumeAt = firstOffset;
      })
      .finally(() => {
        lane.pending.shift();
        if (lane.pending.length === 0 && this.lanes.get(key) === lane && !lane.broken) this.lanes.delete(key);
      });
    lane.tail = link;
    lane.pending.push(link);
  }
}
