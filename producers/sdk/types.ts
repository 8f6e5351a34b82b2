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
  close(): Promise<void>;
}
