/** Public types of the local stack. */

export type ServiceName = "kafka" | "registry" | "redis";

export const SERVICE_NAMES: readonly ServiceName[] = ["kafka", "registry", "redis"];

export interface ScramCredentials {
  username: string;
  password: string;
  /** KafkaJS mechanism name. The broker also accepts scram-sha-512 for the same user. */
  mechanism: "scram-sha-256" | "scram-sha-512";
}

/** Where clients connect. Plain data, so it can cross process boundaries (vitest provide/inject). */
export interface StackEndpoints {
  /** PLAINTEXT listener(s), host:port. */
  brokers: string[];
  /** SASL_PLAINTEXT listener(s) with SCRAM-SHA-256/512, host:port. */
  saslBrokers: string[];
  /** Confluent-compatible registry base URL (Apicurio: .../apis/ccompat/v7). */
  registryUrl: string;
  /** redis://host:port */
  redisUrl: string;
  scram: ScramCredentials;
}

export type ServiceState =
  /** Our process is alive and its health check passes. */
  | "running"
  /** Our process is alive but the health check fails (starting, or stuck). */
  | "unhealthy"
  /** No process of ours. */
  | "stopped";

export interface ServiceStatus {
  name: ServiceName;
  state: ServiceState;
  pid?: number;
  /** Human-readable endpoint(s). */
  endpoint: string;
  /** Main log file, for `tail -f`. */
  logFile: string;
}

export interface StackUpResult extends StackEndpoints {
  services: ServiceStatus[];
  /** Services this call started (empty when everything was already running). */
  started: ServiceName[];
}
