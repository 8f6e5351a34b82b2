import type { Message } from "kafkajs";
import type { SchemaTypes } from "../../schemas/generated/types.ts";
import type { TopicDescriptor } from "../../topology/index.ts";

export interface PublishOptions {
  /** Partition key. Default: the event field named by the topic's `key` (e.g. customerId). */
  key?: string;
  /** Kept end to end. Default: a new UUID per event. */
  correlationId?: string;
  /** W3C traceparent of the caller's span; a child span is recorded. Default: a new trace. */
  traceparent?: string;
  tracestate?: string;
  /** Extra headers, passed through untouched. */
  headers?: Record<string, string>;
}

export interface PublishResult {
  topic: string;
  partition: number;
  /** Offset as a string (Kafka offsets are int64). */
  offset: string;
  eventId: string;
  correlationId: string;
  traceparent: string;
}

/** An event validated and encoded exactly as publish() would send it, not sent. */
export interface EncodedEvent {
  topic: string;
  /** Key, Avro value (Confluent wire format), standard headers and the partition it belongs to. */
  message: Message;
  eventId: string;
  correlationId: string;
  traceparent: string;
}

export interface VerdictProducer {
  /** Validates, encodes (Avro, Confluent wire format) and sends one event; resolves when acknowledged. */
  publish<S extends keyof SchemaTypes>(
    topic: TopicDescriptor<S>,
    event: SchemaTypes[S],
    options?: PublishOptions,
  ): Promise<PublishResult>;
  /** Same as publish for many events in one request; all are validated before any is sent. */
  publishMany<S extends keyof SchemaTypes>(
    topic: TopicDescriptor<S>,
    events: ReadonlyArray<{ event: SchemaTypes[S]; options?: PublishOptions }>,
  ): Promise<PublishResult[]>;
  /**
   * Validates and encodes without sending: for callers that write to Kafka themselves (inside their
   * own transaction, from an outbox, or pre-encoded ahead of time). Sending `message` as is, e.g.
   * with KafkaJS `send`, gives the same record publish() would.
   */
  encodeMany<S extends keyof SchemaTypes>(
    topic: TopicDescriptor<S>,
    events: ReadonlyArray<{ event: SchemaTypes[S]; options?: PublishOptions }>,
  ): Promise<EncodedEvent[]>;
  close(): Promise<void>;
}
