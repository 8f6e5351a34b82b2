/**
 * Webhook health as any process can see it: the attempt log (webhooks.attempts.v1) and endpoint
 * events (webhooks.endpoint-events.v1) are topics, so attempts by outcome and HTTP status and each
 * endpoint's breaker / disabled state are read from Kafka, with no hook into the webhook service.
 * (The webhook service also serves its own live metrics on its admin API's /metrics.) Read-only: a
 * throwaway group that never commits, starting at the end of the log.
 */
import { randomUUID } from "node:crypto";
import type { Consumer, Kafka } from "kafkajs";
import { errorMessage } from "../../lib/errors/index.ts";
import type { Logger } from "../../lib/log/index.ts";
import type { AvroCodec } from "../../schemas/codec/index.ts";
import type { WebhookAttempt, WebhookEndpointEvent } from "../../schemas/generated/types.ts";
import { TOPIC_PREFIX, TOPICS } from "../../topology/index.ts";
import type { PipelineMetrics } from "../metrics/pipeline-metrics.ts";

export type EndpointState = "closed" | "half-open" | "open" | "disabled";

export interface EndpointHealth {
  endpoint: string;
  state: EndpointState;
  attempts: Record<string, number>;
  lastStatus: number | null;
  lastAttemptAt: number | null;
}

const STATE_VALUE: Record<EndpointState, number> = { closed: 0, "half-open": 1, open: 2, disabled: 3 };
const FROM_EVENT: Record<string, EndpointState> = {
  BREAKER_OPENED: "open",
  BREAKER_HALF_OPEN: "half-open",
  BREAKER_CLOSED: "closed",
  DISABLED: "disabled",
  ENABLED: "closed",
};

export interface WebhookObserver {
  start(): Promise<void>;
  endpoints(): EndpointHealth[];
  /** Applies one attempt / endpoint event (what the consumer does; tests call it directly). */
  attempt(a: WebhookAttempt): void;
  endpointEvent(e: WebhookEndpointEvent): void;
  stop(): Promise<void>;
}

export function createWebhookObserver(deps: {
  kafka: Kafka;
  codec: AvroCodec;
  metrics: PipelineMetrics;
  logger?: Logger;
}): WebhookObserver {
  const health = new Map<string, EndpointHealth>();
  let consumer: Consumer | undefined;

  const entry = (endpoint: string): EndpointHealth => {
    let h = health.get(endpoint);
    if (!h) {
      h = { endpoint, state: "closed", attempts: {}, lastStatus: null, lastAttemptAt: null };
      health.set(endpoint, h);
    }
    return h;
  };

  function attempt(a: WebhookAttempt): void {
    const h = entry(a.endpointId);
    h.attempts[a.outcome] = (h.attempts[a.outcome] ?? 0) + 1;
    h.lastStatus = a.status;
    h.lastAttemptAt = a.startedAt;
    deps.metrics.webhookAttempts.inc({
      endpoint: a.endpointId,
      outcome: a.outcome,
      status: a.status === null ? "none" : String(a.status),
    });
  }

  function endpointEvent(e: WebhookEndpointEvent): void {
    if (e.type === "DELETED") {
      health.delete(e.endpointId);
      deps.metrics.webhookEndpointState.remove({ endpoint: e.endpointId });
      return;
    }
    const state = FROM_EVENT[e.type];
    if (!state) return;
    const h = entry(e.endpointId);
    // A disabled endpoint stays disabled through breaker transitions until ENABLED.
    if (h.state === "disabled" && e.type !== "ENABLED" && e.type !== "DISABLED") return;
    h.state = state;
    deps.metrics.webhookEndpointState.set({ endpoint: e.endpointId }, STATE_VALUE[state]);
  }

  return {
    attempt,
    endpointEvent,
    endpoints: () => [...health.values()],
    async start() {
      consumer = deps.kafka.consumer({
        groupId: `${TOPIC_PREFIX}verdict.observe.${randomUUID()}`,
        maxWaitTimeInMs: 500,
        allowAutoTopicCreation: false,
      });
      await consumer.connect();
      await consumer.subscribe({
        topics: [TOPICS.webhookAttempts.name, TOPICS.webhookEndpointEvents.name],
        fromBeginning: false,
      });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ topic, message }) => {
          try {
            if (topic === TOPICS.webhookAttempts.name) {
              attempt((await deps.codec.decode(TOPICS.webhookAttempts, message.value)).value);
            } else {
              endpointEvent((await deps.codec.decode(TOPICS.webhookEndpointEvents, message.value)).value);
            }
          } catch (err) {
            deps.logger?.debug({ topic, err: errorMessage(err) }, "webhook observer skipped a record");
          }
        },
      });
    },
    async stop() {
      await consumer?.disconnect().catch(() => {});
    },
  };
}
