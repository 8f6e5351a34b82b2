/**
 * What the integration global setup hands to tests through vitest's provide/inject. Plain data:
 * it is structured-cloned into every worker.
 */
import type { ScramCredentials } from "../../infra/local/index.ts";

export type StackSource = "env" | "testcontainers" | "local";

export interface ProvidedStack {
  /** Which stack the run uses: env vars, containers, or the local processes. */
  source: StackSource;
  brokers: string[];
  /** SASL_PLAINTEXT (SCRAM) brokers; empty when the given cluster has none we know of. */
  saslBrokers: string[];
  /** Confluent-compatible registry base URL. */
  registryUrl: string;
  redisUrl: string;
  /** SCRAM credentials valid on saslBrokers; null when unknown (SASL tests skip). */
  scram: ScramCredentials | null;
}

declare module "vitest" {
  export interface ProvidedContext {
    stack: ProvidedStack;
  }
}
