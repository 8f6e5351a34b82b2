export { createLogger, type Logger, type LoggerConfig, REDACT_PATHS, silentLogger } from "./logger.ts";
