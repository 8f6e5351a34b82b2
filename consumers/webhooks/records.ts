/**
 * Encodes what the webhook service writes: tasks (first attempts, retries, parked), attempt
 * records, endpoint events and dead letters. Correlation id and trace context of the verdict ride
 * along in the headers; every record also carries `webhook-id` where it has one.
 */
import { randomUUID } from "node:crypto";
import type { KafkaMessage } from "kafkajs";
import type { EventHeaders } from "../../lib/trace/index.ts";
import type { AvroCodec } from "../../schemas/codec/index.ts";
import type { WebhookAttempt, WebhookEndpointEvent } from "../../schemas/generated/types.ts";
import { TOPICS, type TopicDescriptor } from "../../topology/index.ts";
import { OutputEncoder, toDeadLetter } from "../runtime/index.ts";
import type { OutRecord } from "./delivery/outbox.ts";
import type { EndpointEventType, WebhookTask } from "./types.ts";

export class WebhookRecords {
  private readonly encoder: OutputEncoder;

  constructor(
    codec: AvroCodec,
    private readonly now: () => number,
  ) {
    this.encoder = new OutputEncoder(codec, "verdict.webhooks");
  }

  async task(
    topic: TopicDescriptor<"WebhookTask">,
    task: WebhookTask,
    input: Partial<EventHeaders> = {},
  ): Promise<OutRecord> {
    const message = await this.encoder.encode(
      {
        topic,
        value: task,
        key: task.endpointId,
        eventId: task.webhookId,
        headers: { "webhook-id": task.webhookId },
      },
      { ...input, correlationId: input.correlationId ?? task.correlationId ?? undefined },
      this.now(),
    );
    return { topic: topic.name, message };
  }

  async attempt(attempt: WebhookAttempt, input: Partial<EventHeaders> = {}): Promise<OutRecord> {
    const topic = TOPICS.webhookAttempts;
    const message = await this.encoder.encode(
      {
        topic,
        value: attempt,
        key: attempt.webhookId,
        eventId: `${attempt.webhookId}#${attempt.attempt}`,
        headers: { "webhook-id": attempt.webhookId },
      },
      { ...input, correlationId: input.correlationId ?? attempt.correlationId ?? undefined },
      this.now(),
    );
    return { topic: topic.name, message };
  }

  async event(
    endpointId: string,
    type: EndpointEventType,
    reason: string,
    extra: { webhookId?: string; details?: Record<string, string> } = {},
  ): Promise<OutRecord> {
    const topic = TOPICS.webhookEndpointEvents;
    const value: WebhookEndpointEvent = {
      eventId: randomUUID(),
      endpointId,
      type,
      reason,
      at: this.now(),
      webhookId: extra.webhookId ?? null,
      details: extra.details ?? {},
    };
    const message = await this.encoder.encode({ topic, value, key: endpointId }, {}, this.now());
    return { topic: topic.name, message };
  }

  /** A dead letter carrying the task record as consumed (original bytes and headers). */
  async deadLetter(
    source: { topic: string; partition: number; message: KafkaMessage },
    error: unknown,
    attempts: number,
  ): Promise<OutRecord> {
    const letter = toDeadLetter({ stage: "webhooks", ...source }, error, attempts, this.now());
    const topic = TOPICS.webhooksDlq.name;
    const message = await this.encoder.encodeDeadLetter(topic, letter, this.now());
    const webhookId = source.message.headers?.["webhook-id"];
    if (webhookId) message.headers = { ...message.headers, "webhook-id": webhookId.toString() };
    const endpointId = source.message.key?.toString();
    if (endpointId) message.headers = { ...message.headers, "webhook-endpoint-id": endpointId };
    return { topic, message };
  }
}
