import type { SchemaName } from "../schemas/generated/types.ts";

export type TopicRole = "input" | "stage" | "result" | "review" | "dead-letter" | "ops" | "webhooks";

/** A topic as data: used by producers, consumers, the admin bootstrap and the docs alike. */
export interface TopicDescriptor<S extends SchemaName = SchemaName> {
  name: string;
  role: TopicRole;
  /** What the record key is (a field of the value, or a description for ops topics). */
  key: string;
  /** Avro schema (schemas/avro/<valueSchema>.avsc), registered as subject `<name>-value`. */
  valueSchema: S;
  partitions: number;
  /** -1 = forever. */
  retentionMs: number;
  cleanupPolicy: "delete" | "compact";
  /** Largest record the topic accepts (topic `max.message.bytes`); broker default (1 MiB) when unset. */
  maxMessageBytes?: number;
  /** Dead-letter topic for records that fail while this topic is consumed. */
  dlq?: string;
  description: string;
}
