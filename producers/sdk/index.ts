export { kafkaError } from "./kafka-errors.ts";
export type { ProducerOptions, ProducerSettings } from "./options.ts";
export { createProducer, keyOf } from "./producer.ts";
export type { EncodedEvent, PublishOptions, PublishResult, VerdictProducer } from "./types.ts";
