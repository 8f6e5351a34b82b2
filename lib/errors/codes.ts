/**
 * Every stable error code, with what it means and what to do. docs/errors.md is generated from
 * this table (`npm run docs:errors`); tests check codes are unique. Never reuse or renumber a code.
 */
export const ERROR_CODES = {
  VERDICT_ERR_CONFIG: "A setting is missing or invalid. The message names the setting; fix it and restart.",
  VERDICT_ERR_STACK_JAVA_MISSING:
    "The local stack needs Java 17+. Install a JDK (apt-get install openjdk-17-jre-headless).",
  VERDICT_ERR_STACK_PORT_BUSY:
    "A port the local stack needs is taken by another process. Stop it or set the port env var.",
  VERDICT_ERR_STACK_DOWNLOAD:
    "Fetching a stack component from Maven Central failed. Check network/proxy and retry.",
  VERDICT_ERR_STACK_UNHEALTHY:
    "A stack service did not become healthy in time. The message includes its log tail.",
  VERDICT_ERR_STACK_REDIS_MISSING: "redis-server is not installed. Install Debian's redis-server package.",
  VERDICT_ERR_STACK_LOCKED:
    "Another stack:up/down holds the stack's lock file. Wait for it; a lock of a dead process is taken over.",
  VERDICT_ERR_TOPOLOGY_DRIFT:
    "An existing topic differs from topology/ (e.g. partition count). Verdict never deletes data; fix by hand.",
  VERDICT_ERR_TOPIC_UNKNOWN:
    "A topic name is not declared in topology/. Add it there instead of hard-coding it.",
  VERDICT_ERR_SCHEMA_VALIDATION:
    "An event does not match its Avro schema. The message names the field; nothing was sent.",
  VERDICT_ERR_SCHEMA_INCOMPATIBLE: "The registry refused a schema change that breaks BACKWARD compatibility.",
  VERDICT_ERR_SCHEMA_REGISTRY: "The schema registry could not be reached or answered an error.",
  VERDICT_ERR_DECODE_MAGIC: "A record is not in the Confluent wire format (first byte is not 0).",
  VERDICT_ERR_DECODE_SCHEMA_UNKNOWN: "A record names a schema id the registry does not know.",
  VERDICT_ERR_DECODE_AVRO: "A record's Avro payload is truncated or does not match its writer schema.",
  VERDICT_ERR_KAFKA: "The Kafka client failed. Retriable errors are retried with backoff.",
  VERDICT_ERR_KAFKA_AUTH: "Kafka authentication failed (SASL). Check KAFKA_SASL_* settings.",
  VERDICT_ERR_PUBLISH: "Publishing an event failed after retries.",
  VERDICT_ERR_RETRIES_EXHAUSTED: "An operation failed on every attempt; the cause is attached.",
  VERDICT_ERR_VALIDATION: "An event is well-formed Avro but semantically invalid (amount, timestamp, text).",
  VERDICT_ERR_STAGE: "A pipeline stage failed on a record.",
  VERDICT_ERR_OUTPUT_REFUSED:
    "The broker refused a record's outputs for good (e.g. larger than the topic's max.message.bytes). With onRefusedOutput=dead-letter the input is dead-lettered; otherwise its partition is re-read until the topic is fixed.",
  VERDICT_ERR_NOT_SENT:
    "Outputs were not sent because an earlier produce request failed; they are sent again when the partition is re-read.",
  VERDICT_ERR_FEATURE_STORE: "The feature store (Redis) failed; retried with backoff.",
  VERDICT_ERR_MODEL_INVALID: "A model's files or declared inputs do not match what the pipeline feeds it.",
  VERDICT_ERR_MODEL_RUNTIME: "ONNX Runtime failed to run a model.",
  VERDICT_ERR_PROVIDER_UNAVAILABLE: "No requested ONNX execution provider could be loaded.",
  VERDICT_ERR_WEBHOOK_SSRF:
    "A webhook endpoint resolves to a forbidden address (loopback, private, metadata).",
  VERDICT_ERR_WEBHOOK_DELIVERY: "A webhook delivery attempt failed.",
  VERDICT_ERR_WEBHOOK_SIGNATURE: "A webhook signature did not verify.",
  VERDICT_ERR_WEBHOOK_ENDPOINT:
    "A webhook endpoint definition is invalid (URL, secret, event types, filter, limits). The message names the field.",
  VERDICT_ERR_WEBHOOK_NOT_FOUND: "No webhook endpoint has this id. `verdict webhooks list` shows the ids.",
  VERDICT_ERR_WEBHOOK_DISABLED:
    "The webhook endpoint is disabled (410 Gone, sustained failure, SSRF refusal or an operator). Enable it to deliver again.",
  VERDICT_ERR_ADMIN_AUTH:
    "The admin API refused the request: missing or wrong bearer token (VERDICT_ADMIN_TOKEN).",
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;
