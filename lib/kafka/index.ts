export { createKafka, type KafkaClientOptions } from "./client.ts";
