/**
 * pino JSON logs. Child loggers carry stage/group/topic/partition/offset/correlationId.
 * Secrets are redacted by path, so a config object can be logged safely.
 */
import { type Logger, type LoggerOptions, pino } from "pino";

export type { Logger };

export const REDACT_PATHS = [
  "password",
  "*.password",
  "*.*.password",
  "secret",
  "*.secret",
  "*.secrets",
  "*.*.secret",
  "sasl.password",
  "kafka.sasl.password",
  "registry.password",
  "redis.password",
  "headers.authorization",
  "*.headers.authorization",
  "authorization",
  "token",
  "*.token",
];

export interface LoggerConfig {
  level?: string;
  /** Human-readable output (the embedded default). JSON otherwise. */
  pretty?: boolean;
  name?: string;
  /**
   * Where lines go. Default stdout; the CLI uses stderr, so what a command prints (a report, JSON
   * lines from `verdict tail`) stays alone on stdout for pipes and tools.
   */
  destination?: "stdout" | "stderr";
}

export function createLogger(config: LoggerConfig = {}): Logger {
  const options: LoggerOptions = {
    level: config.level ?? process.env.LOG_LEVEL ?? "info",
    name: config.name ?? "verdict",
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    base: { pid: process.pid },
  };
  const fd = config.destination === "stderr" ? 2 : 1;
  if (config.pretty) {
    return pino({
      ...options,
      transport: { target: "pino-pretty", options: { colorize: true, destination: fd } },
    });
  }
  return pino(options, pino.destination(fd));
}

/** A logger that drops everything: for unit tests and library callers that pass none. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
