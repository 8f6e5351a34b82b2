/**
 * The one place a KafkaJS client is built from validated connection settings. KafkaJS logs are
 * bridged into pino so they carry the same fields and redaction as ours.
 */
import { createRequire } from "node:module";
import {
  Kafka,
  type KafkaConfig,
  logLevel,
  Partitioners,
  type ProducerConfig,
  type SASLOptions,
} from "kafkajs";
import type { Connections } from "../config/index.ts";
import type { Logger } from "../log/index.ts";

const LEVELS: Record<number, "error" | "warn" | "info" | "debug"> = {
  [logLevel.ERROR]: "error",
  [logLevel.WARN]: "warn",
  [logLevel.INFO]: "info",
  [logLevel.DEBUG]: "debug",
};

/**
 * KafkaJS warns whenever an idempotent producer has a bounded retry count. Its concern is a send
 * that fails after the broker appended it: the producer's next batch reuses the sequence number and
 * is dropped as a duplicate. In Verdict no idempotent producer sends again on the same producer id
 * after a failure: the runner's sinks retry without limit, the producer SDK, the webhook outbox and
 * subscription store replace the producer after a failed send (FreshOnFailureProducer), and a DLQ
 * replay stops at its first failure. So the warning is kept at debug, not printed on every start.
 */
const HANDLED_WARNINGS = new Set([
  "Limiting retries for the idempotent producer may invalidate EoS guarantees",
]);

/**
 * KafkaJS logs every error response at ERROR ("Response GroupCoordinator(key: 10, version: 2)")
 * before its retrier handles it. For these transient states of a healthy cluster — a coordinator or
 * partition leader that is moving or still loading (every fresh broker, every restart), a rebalance
 * under way, a transaction still settling — the request is retried, and only if the retries run out
 * does the caller get the error, which Verdict then logs with what to do. So they are kept at debug,
 * the way the Java client logs them; every other error response stays an error.
 */
const TRANSIENT_RESPONSE_ERRORS = new Set([
  "GROUP_LOAD_IN_PROGRESS",
  "GROUP_COORDINATOR_NOT_AVAILABLE",
  "NOT_COORDINATOR_FOR_GROUP",
  "LEADER_NOT_AVAILABLE",
  "NOT_LEADER_FOR_PARTITION",
  "REBALANCE_IN_PROGRESS",
  "CONCURRENT_TRANSACTIONS",
  "UNSTABLE_OFFSET_COMMIT",
]);
const TRANSIENT_RESPONSE_MESSAGES = new Set(
  (createRequire(import.meta.url)("kafkajs/src/protocol/error.js") as ProtocolErrors).errorCodes
    .filter((e) => TRANSIENT_RESPONSE_ERRORS.has(e.type))
    .map((e) => e.message),
);
interface ProtocolErrors {
  errorCodes: Array<{ type: string; message: string }>;
}

export function pinoLogCreator(logger: Logger): KafkaConfig["logCreator"] {
  return () =>
    ({ level, log }) => {
      const { message, ...extra } = log;
      const method = LEVELS[level] ?? "info";
      // KafkaJS is chatty at INFO about joins and rebalances: keep it at debug unless it's a problem.
      const quiet =
        method === "info" ||
        (method === "warn" && HANDLED_WARNINGS.has(message)) ||
        (method === "error" &&
          message.startsWith("Response ") &&
          TRANSIENT_RESPONSE_MESSAGES.has(String(extra.error)));
      logger[quiet ? "debug" : method]({ kafkajs: extra }, message);
    };
}

export interface KafkaClientOptions {
  clientId?: string;
  logger: Logger;
  /** KafkaJS retry settings for the client (connection/metadata). */
  retry?: KafkaConfig["retry"];
}

/**
 * Producers partition with Java's murmur2 (KafkaJS's DefaultPartitioner) unless told otherwise, so a
 * key lands where Java, Kafka Streams and librdkafka clients put it, and KafkaJS does not warn on every
 * producer that names no partitioner (its "switched default partitioner" notice).
 */
class VerdictKafka extends Kafka {
  override producer(config: ProducerConfig = {}) {
    return super.producer({ createPartitioner: Partitioners.DefaultPartitioner, ...config });
  }
}

export function createKafka(kafka: Connections["kafka"], options: KafkaClientOptions): Kafka {
  const sasl: SASLOptions | undefined = kafka.sasl
    ? ({
        mechanism: kafka.sasl.mechanism,
        username: kafka.sasl.username,
        password: kafka.sasl.password,
      } as SASLOptions)
    : undefined;
  return new VerdictKafka({
    clientId: options.clientId ?? kafka.clientId,
    brokers: [...kafka.brokers],
    ssl: typeof kafka.ssl === "boolean" ? kafka.ssl : { ...kafka.ssl },
    sasl,
    connectionTimeout: kafka.connectionTimeoutMs,
    logLevel: logLevel.INFO,
    logCreator: pinoLogCreator(options.logger.child({ component: "kafkajs" })),
    retry: options.retry ?? { initialRetryTime: 100, retries: 8 },
  });
}
