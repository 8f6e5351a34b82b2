/**
 * Writes to the subscriptions topic: a full endpoint record per change, keyed by id, or a tombstone
 * (null value) to delete. Kafka is the database: compaction keeps the latest record per id. Writes
 * are applied to the local view once acknowledged, so the admin API reads its own writes.
 */
import type { Kafka } from "kafkajs";
import { FreshOnFailureProducer } from "../../../lib/kafka/index.ts";
import { retry } from "../../../lib/retry/index.ts";
import { deriveHeaders, toKafkaHeaders } from "../../../lib/trace/index.ts";
import type { AvroCodec } from "../../../schemas/codec/index.ts";
import { TOPICS } from "../../../topology/index.ts";
import type { WebhookEndpoint } from "../types.ts";
import type { SubscriptionView } from "./view.ts";

export interface SubscriptionStore {
  put(endpoint: WebhookEndpoint): Promise<void>;
  remove(id: string): Promise<void>;
  close(): Promise<void>;
}

const topic = TOPICS.webhookSubscriptions;

export function createSubscriptionStore(deps: {
  kafka: Kafka;
  codec: AvroCodec;
  view?: SubscriptionView;
  producerName?: string;
}): SubscriptionStore {
  let producer: FreshOnFailureProducer | undefined;
  let connecting: Promise<FreshOnFailureProducer> | undefined;
  const connected = () => {
    connecting ??= (async () => {
      // Retried writes go out on a fresh producer id after a failure (lib/kafka/fresh-producer.ts).
      const p = new FreshOnFailureProducer(() =>
        deps.kafka.producer({
          idempotent: true,
          maxInFlightRequests: 1,
          allowAutoTopicCreation: false,
        }),
      );
      await p.connect();
      producer = p;
      return p;
    })();
    return connecting;
  };

  async function write(id: string, endpoint: WebhookEndpoint | null): Promise<void> {
    const p = await connected();
    const headers = toKafkaHeaders(
      deriveHeaders(undefined, {
        eventId: `${id}@${Date.now()}`,
        eventType: "io.verdict.webhooks.WebhookEndpoint",
        producer: deps.producerName ?? "verdict.webhooks.admin",
        occurredAt: Date.now(),
      }),
    );
    const value = endpoint ? await deps.codec.encode(topic, endpoint) : null;
    const [meta] = await retry(
      () =>
        p.sendBatch({
          topicMessages: [{ topic: topic.name, messages: [{ key: id, value, headers }] }],
          acks: -1,
        }),
      {
        attempts: 5,
        initialDelayMs: 200,
      },
    );
    deps.view?.apply(id, endpoint, meta?.baseOffset);
  }

  return {
    put: (endpoint) => write(endpoint.id, endpoint),
    remove: (id) => write(id, null),
    async close() {
      await producer?.disconnect().catch(() => {});
    },
  };
}
