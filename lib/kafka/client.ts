/**
 * The one place a KafkaJS client is built from validated connection settings. KafkaJS logs are
 * bridged into pino so they carry the same fields and redaction as ours.
 */
import { Kafka, type KafkaConfig, logLevel, type SASLOptions } from "kafkajs";
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

export function pinoLogCreator(logger: Logger): KafkaConfig["logCreator"] {
  return () =>
    ({ level, log }) => {
      const { message, ...extra } = log;
      const method = LEVELS[level] ?? "info";
      // KafkaJS is chatty at INFO about joins and rebalances: keep it at debug unless it's a problem.
      const quiet = method === "info" || (method === "warn" && HANDLED_WARNINGS.has(message));
      logger[quiet ? "debug" : method]({ kafkajs: extra }, message);
    };
}

export interface KafkaClientOptions {
  clientId?: string;
  logger: Logger;
  /** KafkaJS retry settings for the client (connection/metadata). */
  retry?: KafkaConfig["retry"];
}

export function createKafka(kafka: Connections["kafka"], options: KafkaClientOptions): Kafka {
  const sasl: SASLOptions | undefined = kafka.sasl
    ? ({
        mechanism: kafka.sasl.mechanism,
        username: kafka.sasl.username,
        password: kafka.sasl.password,
      } as SASLOptions)
    : undefined;
  return new Kafka({
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
