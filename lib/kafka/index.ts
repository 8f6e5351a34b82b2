export { createKafka, type KafkaClientOptions } from "./client.ts";
export { FreshOnFailureProducer } from "./fresh-producer.ts";
