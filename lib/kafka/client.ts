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

function pinoLogCreator(logger: Logger): KafkaConfig["logCreator"] {
  return () =>
    ({ level, log }) => {
      const { message, ...extra } = log;
      const method = LEVELS[level] ?? "info";
      // KafkaJS is chatty at INFO about joins and rebalances: keep it at debug unless it's a problem.
      logger[method === "info" ? "debug" : method]({ kafkajs: extra }, message);
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
