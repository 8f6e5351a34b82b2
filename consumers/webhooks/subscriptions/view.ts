/**
 * The in-memory view of the subscriptions topic (compacted, keyed by endpoint id; a tombstone
 * deletes). Every webhook process rebuilds it on start by reading the topic from the beginning with
 * a throwaway consumer group that never commits, then keeps following it, so an endpoint added by
 * the CLI or the admin API of another process shows up within a fetch. `start()` resolves once the
 * view has caught up with the end offsets taken at start: nothing is dispatched from a partial view.
 */
import { randomUUID } from "node:crypto";
import type { Consumer, Kafka } from "kafkajs";
import { VerdictError } from "../../../lib/errors/index.ts";
import type { Logger } from "../../../lib/log/index.ts";
import { retry } from "../../../lib/retry/index.ts";
import type { AvroCodec } from "../../../schemas/codec/index.ts";
import { TOPIC_PREFIX, TOPICS } from "../../../topology/index.ts";
import { readAll } from "../../dlq/read-all.ts";
import type { WebhookEndpoint } from "../types.ts";

export type ChangeListener = (
  id: string,
  next: WebhookEndpoint | null,
  previous: WebhookEndpoint | null,
) => void;

export interface SubscriptionView {
  /** Reads the topic to its current end, then follows it. Idempotent. */
  start(): Promise<void>;
  stop(): Promise<void>;
  get(id: string): WebhookEndpoint | undefined;
  list(): WebhookEndpoint[];
  /** Applies a write this process made (read-your-writes); `offset` orders it against the topic. */
  apply(id: string, endpoint: WebhookEndpoint | null, offset?: string): void;
  onChange(listener: ChangeListener): () => void;
}

export interface SubscriptionViewDeps {
  kafka: Kafka;
  codec: AvroCodec;
  logger: Logger;
  /** How long start() may take to catch up, ms. Default 60000. */
  catchUpTimeoutMs?: number;
}

const topic = TOPICS.webhookSubscriptions;

export function createSubscriptionView(deps: SubscriptionViewDeps): SubscriptionView {
  const endpoints = new Map<string, WebhookEndpoint>();
  /** Highest topic offset applied per id, so an older record never overwrites a newer local write. */
  const appliedAt = new Map<string, bigint>();
  const listeners = new Set<ChangeListener>();
  const logger = deps.logger.child({ component: "webhook-subscriptions" });
  let consumer: Consumer | undefined;
  let starting: Promise<void> | undefined;

  function apply(id: string, next: WebhookEndpoint | null, offset?: string): void {
    if (offset !== undefined) {
      const at = BigInt(offset);
      const seen = appliedAt.get(id);
      if (seen !== undefined && at < seen) return;
      appliedAt.set(id, at);
    }
    const previous = endpoints.get(id) ?? null;
    if (next) endpoints.set(id, next);
    else endpoints.delete(id);
    for (const l of listeners) {
      try {
        l(id, next, previous);
      } catch (err) {
        logger.warn({ err, endpointId: id }, "subscription listener failed");
      }
    }
  }

  async function decode(value: Buffer | null): Promise<WebhookEndpoint | null> {
    if (value === null) return null;
    return (await deps.codec.decode(topic, value)).value;
  }

  async function start(): Promise<void> {
    const admin = deps.kafka.admin();
    await admin.connect();
    // A just-created topic may still be electing its leader (NOT_LEADER_FOR_PARTITION is retriable).
    const ends = await retry(() => admin.fetchTopicOffsets(topic.name), {
      attempts: 10,
      initialDelayMs: 200,
      maxDelayMs: 2000,
    }).finally(() => admin.disconnect());
    const remaining = new Map<number, bigint>();
    for (const p of ends) if (BigInt(p.high) > BigInt(p.low)) remaining.set(p.partition, BigInt(p.high));
    consumer = deps.kafka.consumer({
      groupId: `${TOPIC_PREFIX}verdict.webhooks.view.${randomUUID()}`,
      maxWaitTimeInMs: 200,
      allowAutoTopicCreation: false,
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic.name], fromBeginning: true });
    let caughtUp!: () => void;
    const ready = new Promise<void>((resolve) => {
      caughtUp = resolve;
    });
    const check = () => {
      if (remaining.size === 0) caughtUp();
    };
    check();
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const id = message.key?.toString();
        if (id) {
          try {
            apply(id, await decode(message.value), message.offset);
          } catch (err) {
            // A record this version cannot read must not stop the view: log it and keep the old state.
            logger.error(
              { err, endpointId: id, offset: message.offset },
              "unreadable subscription record skipped",
            );
          }
        }
        const end = remaining.get(partition);
        if (end !== undefined && BigInt(message.offset) + 1n >= end) {
          remaining.delete(partition);
          check();
        }
      },
    });
    const timeoutMs = deps.catchUpTimeoutMs ?? 60_000;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      ready,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new VerdictError(
                "VERDICT_ERR_KAFKA",
                `Subscriptions view did not catch up with ${topic.name} in ${timeoutMs} ms`,
                {
                  retriable: true,
                },
              ),
            ),
          timeoutMs,
        );
      }),
    ]).finally(() => clearTimeout(timer));
    logger.info({ endpoints: endpoints.size }, "subscriptions view ready");
  }

  return {
    start() {
      starting ??= start();
      return starting;
    },
    async stop() {
      await consumer?.disconnect().catch(() => {});
      consumer = undefined;
    },
    get: (id) => endpoints.get(id),
    list: () => [...endpoints.values()].sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id)),
    apply,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** One bounded read of the topic (tools): the current endpoints, without following. */
export async function loadEndpoints(kafka: Kafka, codec: AvroCodec): Promise<Map<string, WebhookEndpoint>> {
  const out = new Map<string, WebhookEndpoint>();
  await readAll(kafka, topic.name, async (_partition, message) => {
    const id = message.key?.toString();
    if (!id) return;
    if (message.value === null) out.delete(id);
    else out.set(id, (await codec.decode(topic, message.value)).value);
  });
  return out;
}
