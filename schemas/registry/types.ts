import type avro from "avsc";

/** The port to a Confluent-compatible schema registry (Confluent SR, Apicurio ccompat). */
export interface SchemaRegistryPort {
  /**
   * Makes sure `subject` has BACKWARD compatibility and `schema` registered; returns its global id.
   * An incompatible change throws VERDICT_ERR_SCHEMA_INCOMPATIBLE.
   */
  register(subject: string, schema: object): Promise<number>;
  /** The writer schema for a global id, as an avsc Type. Unknown id → VERDICT_ERR_DECODE_SCHEMA_UNKNOWN. */
  writerType(id: number): Promise<avro.Type>;
  /** Sets the subject's compatibility level (BACKWARD by default). */
  setCompatibility(subject: string, level?: CompatibilityLevel): Promise<void>;
  /**
   * Lists subjects (health checks, `verdict topics describe`). Apicurio's ccompat API returns at most
   * 1,000 (apicurio-registry#3118): ask `versions(subject)` about one subject.
   */
  subjects(): Promise<string[]>;
  /** The registered version numbers of one subject; [] when the subject does not exist. */
  versions(subject: string): Promise<number[]>;
}

export type CompatibilityLevel =
  | "NONE"
  | "BACKWARD"
  | "BACKWARD_TRANSITIVE"
  | "FORWARD"
  | "FORWARD_TRANSITIVE"
  | "FULL"
  | "FULL_TRANSITIVE";

export interface RegistryOptions {
  /** Base URL of the Confluent-compatible API. */
  url: string;
  username?: string;
  password?: string;
  /** Per-request timeout. Default 5000 ms. */
  timeoutMs?: number;
}
