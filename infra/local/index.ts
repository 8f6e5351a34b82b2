/**
 * The local stack: Kafka 3.9 (KRaft, PLAINTEXT + SASL/SCRAM), Apicurio Registry 3.3 and Redis as
 * plain processes on loopback, for development and tests on machines without Docker.
 */

export { kafkaHealthy, waitUntil } from "./health.ts";
export {
  COMPOSE_SERVER_PROPERTIES,
  composeServerProperties,
  containerKafkaConfig,
  SCRAM_USER,
  serverProperties,
} from "./kafka-config.ts";
export { resolveStackOptions, type StackOptions, type StackOptionsInput } from "./options.ts";
export {
  type StackCallOptions,
  type StackDownOptions,
  stackDown,
  stackEndpoints,
  stackStatus,
  stackUp,
} from "./stack.ts";
export type {
  ScramCredentials,
  ServiceName,
  ServiceState,
  ServiceStatus,
  StackEndpoints,
  StackUpResult,
} from "./types.ts";
export { IMAGES } from "./versions.ts";
