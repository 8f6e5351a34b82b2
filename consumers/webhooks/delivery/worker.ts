/**
 * The delivery worker's Kafka shell. It consumes webhooks.deliveries.v1 and the retry tiers and
 * never blocks a partition on a partner: a due task is handed to its endpoint's lane and the next
 * record is taken at once; a task not yet due pauses its partition until it is (KafkaJS pause, then
 * resume, re-fetching from the first unresolved offset). Offsets are committed in order, up to the
 * lowest task not finished durably (OffsetTracker), so kill -9 at any moment loses no scheduled
 * retry: everything past the committed offset is read again on restart.
 * KafkaJS semantics relied on: the fetch position is the last *resolved* offset + 1; with
 * autoCommit off nothing is committed but what we commit (kafkajs src/consumer/offsetManager).
 */
import type { Consumer, Kafka } from "kafkajs";
import { errorMessage, isRetriable, VerdictError } from "../../../lib/errors/index.ts";
import type { Logger } from "../../../lib/log/index.ts";
import { sleep } from "../../../lib/retry/index.ts";
import { fromKafkaHeaders } from "../../../lib/trace/index.ts";
import type { AvroCodec } from "../../../schemas/codec/index.ts";
import { TOPIC_PREFIX, type TopicDescriptor } from "../../../topology/index.ts";
import type { WebhookMetrics } from "../metrics.ts";
import type { WebhookOptions } from "../options.ts";
import { WebhookRecords } from "../records.ts";
import type { SsrfGuard } from "../ssrf/index.ts";
import type { SecretBox } from "../subscriptions/secret-box.ts";
import type { SubscriptionStore } from "../subscriptions/store.ts";
import type { SubscriptionView } from "../subscriptions/view.ts";
import type { WebhookTask } from "../types.ts";
import { type Held, TaskHandler } from "./handler.ts";
import type { WebhookHttpClient } from "./http-client.ts";
import type { LaneStats } from "./lane.ts";
import { OffsetTracker } from "./offset-tracker.ts";
import { Outbox } from "./outbox.ts";
import { holdUntil, TASK_TOPICS } from "./schedule.ts";

export interface DeliveryWorkerDeps {
  kafka: Kafka;
  codec: AvroCodec;
  logger: Logger;
  view: SubscriptionView;
  store: SubscriptionStore;
  guard: SsrfGuard;
  http: WebhookHttpClient;
  box: SecretBox;
  metrics: WebhookMetrics;
  now?: () => number;
  random?: () => number;
}

export interface DeliveryWorker {
  readonly groupId: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Rejects when the consumer dies for good. */
  readonly done: Promise<void>;
  lane(endpointId: string): LaneStats | undefined;
  inFlight(): number;
}

const tp = (topic: string, partition: number) => `${topic}:${partition}`;

export function createDeliveryWorker(
  deps: DeliveryWorkerDeps,
  options: Readonly<WebhookOptions>,
): DeliveryWorker {
  const now = deps.now ?? Date.now;
  const logger = deps.logger.child({ component: "webhook-delivery" });
  const groupId = `${TOPIC_PREFIX}verdict.webhooks.delivery`;
  const topics = new Map<string, TopicDescriptor<"WebhookTask">>(TASK_TOPICS.map((t) => [t.name, t]));
  const abort = new AbortController();
  let resolveDone!: () => void;
  let rejectDone!: (e: unknown) => void;
  const done = new Promise<void>((res, rej) => {
    resolveDone = res;
    rejectDone = rej;
  });
  done.catch(() => {});
  const outbox = new Outbox(deps.kafka, logger, {
    onFatal: (err) =>
      rejectDone(
        new VerdictError(
          "VERDICT_ERR_KAFKA",
          `Webhook worker cannot write its outcomes: ${errorMessage(err)}`,
          { cause: err },
        ),
      ),
  });
  const tracker = new OffsetTracker();
  const handler = new TaskHandler({
    view: deps.view,
    store: deps.store,
    box: deps.box,
    outbox,
    records: new WebhookRecords(deps.codec, now),
    metrics: deps.metrics,
    logger,
    options,
    now,
    random: deps.random ?? Math.random,
    signal: abort.signal,
    attempt: {
      guard: deps.guard,
      http: deps.http,
      now,
      requestTimeoutMs: options.requestTimeoutMs,
      maxResponseBytes: options.maxResponseBytes,
      maxRetryAfterMs: options.maxRetryAfterMs,
      userAgent: options.userAgent,
    },
  });
  const consumer: Consumer = deps.kafka.consumer({
    groupId,
    sessionTimeout: options.sessionTimeoutMs,
    heartbeatInterval: Math.min(3000, Math.floor(options.sessionTimeoutMs / 3)),
    // Short fetch waits: a resumed partition is fetched again within this time.
    maxWaitTimeInMs: 100,
    readUncommitted: false,
    allowAutoTopicCreation: false,
  });
  /** Paused partitions waiting for their head record, with the timer that resumes them. */
  const waiting = new Map<string, NodeJS.Timeout>();
  let assigned: Record<string, number[]> = {};
  let accepting = false;
  let commitTimer: NodeJS.Timeout | undefined;
  let committing: Promise<void> = Promise.resolve();

  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    assigned = payload.memberAssignment;
    tracker.retain(assigned);
    for (const [key, timer] of waiting) {
      const [topic, p] = [key.slice(0, key.lastIndexOf(":")), Number(key.slice(key.lastIndexOf(":") + 1))];
      if (!assigned[topic]?.includes(p)) {
        clearTimeout(timer);
        waiting.delete(key);
        // KafkaJS keeps a partition's pause across assignments: if it came back later it would
        // stay paused with no timer left to resume it.
        consumer.resume([{ topic, partitions: [p] }]);
      }
    }
    logger.info({ assigned }, "webhook delivery partitions assigned");
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    logger.error({ err: payload.error, restart: payload.restart }, "webhook delivery consumer crashed");
    if (!payload.restart) {
      rejectDone(
        new VerdictError(
          "VERDICT_ERR_KAFKA",
          `Webhook delivery consumer stopped: ${errorMessage(payload.error)}`,
        ),
      );
    }
  });

  function commit(): Promise<void> {
    committing = committing.then(async () => {
      const ready = tracker.commitable().filter((c) => assigned[c.topic]?.includes(c.partition));
      if (ready.length === 0) return;
      try {
        await consumer.commitOffsets(ready);
        tracker.markCommitted(ready);
      } catch (err) {
        // A rebalance in progress: the next tick commits again (nothing lost, at worst repeated).
        logger.debug({ err }, "webhook offset commit failed; retrying on the next tick");
      }
    });
    return committing;
  }

  function track(
    key: string,
    offset: string,
    work: Promise<void>,
    partition: ReturnType<OffsetTracker["get"]>,
  ) {
    work.then(
      () => partition.done(offset),
      (err) => {
        // Left unfinished on purpose: the offset stays uncommitted and the task is read again.
        if (!abort.signal.aborted)
          logger.error(
            { err, partition: key, offset },
            "webhook task failed; it will be retried after a restart",
          );
      },
    );
  }

  async function start(): Promise<void> {
    await outbox.connect();
    await consumer.connect();
    await consumer.subscribe({ topics: [...topics.keys()], fromBeginning: true });
    accepting = true;
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 4,
      eachBatch: async ({ batch, resolveOffset, heartbeat, pause, isRunning, isStale }) => {
        const { topic, partition } = batch;
        const key = tp(topic, partition);
        if (waiting.has(key)) return; // fetched before the pause took effect
        const descriptor = topics.get(topic)!;
        const progress = tracker.get(topic, partition);
        let taken = 0;
        for (const message of batch.messages) {
          if (!accepting || !isRunning() || isStale()) break;
          // Decoding resolves as microtasks: without a yield a large batch would starve the
          // sockets of requests in flight (their answers would wait for the whole batch).
          if (++taken % 32 === 0) await new Promise((r) => setImmediate(r));
          if (progress.seen(message.offset)) {
            resolveOffset(message.offset);
            continue;
          }
          while (tracker.inFlight >= options.maxInFlight && accepting && isRunning()) {
            await sleep(20);
            await heartbeat();
          }
          if (!accepting) break;
          let task: WebhookTask;
          try {
            task = (await deps.codec.decode(descriptor, message.value)).value;
          } catch (err) {
            if (isRetriable(err)) throw err; // registry unreachable: KafkaJS retries this batch
            progress.take(message.offset);
            resolveOffset(message.offset);
            track(key, message.offset, handler.poison({ topic, partition, message }, err), progress);
            continue;
          }
          const t = now();
          const hold = holdUntil(topic, task);
          if (hold > t) {
            // Records behind this one were enqueued later: none is ready before it. Sleep the partition.
            const resume = pause();
            waiting.set(
              key,
              setTimeout(() => {
                waiting.delete(key);
                resume();
              }, hold - t),
            );
            break;
          }
          progress.take(message.offset);
          resolveOffset(message.offset);
          const held: Held = { topic, partition, message, task, input: fromKafkaHeaders(message.headers) };
          track(key, message.offset, task.dueAt > t ? handler.hop(held) : handler.handle(held), progress);
        }
        await heartbeat();
      },
    });
    commitTimer = setInterval(() => void commit(), options.commitIntervalMs);
    logger.info({ topics: [...topics.keys()], groupId }, "webhook delivery running");
  }

  async function stop(): Promise<void> {
    if (!accepting && !commitTimer) {
      resolveDone();
      return;
    }
    accepting = false;
    // Stop fetching new work; in-flight attempts get a grace period, then are aborted uncommitted.
    consumer.pause([...topics.keys()].map((topic) => ({ topic })));
    const deadline = now() + options.shutdownGraceMs;
    while (tracker.inFlight > 0 && now() < deadline) await sleep(50);
    abort.abort(new VerdictError("VERDICT_ERR_STAGE", "webhook worker stopping"));
    await outbox.flush().catch(() => {});
    await sleep(10); // let finished tasks settle their offsets
    clearInterval(commitTimer);
    commitTimer = undefined;
    await commit();
    for (const timer of waiting.values()) clearTimeout(timer);
    waiting.clear();
    await consumer.disconnect().catch(() => {});
    await outbox.disconnect();
    handler.close();
    logger.info("webhook delivery stopped");
    resolveDone();
  }

  return {
    groupId,
    start,
    stop,
    done,
    lane: (id) => handler.lanes.get(id)?.stats(),
    inFlight: () => tracker.inFlight,
  };
}
