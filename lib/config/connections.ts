/**
 * Connection settings for Kafka, the schema registry and Redis: read from the environment (or
 * passed in), validated once at the edge with zod, frozen. Errors name the environment variable
 * and the fix. Secrets are kept out of toString/logging by the logger's redaction paths.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { VerdictError } from "../errors/index.ts";
import { envBool } from "./env.ts";

const saslSchema = z
  .object({
    mechanism: z.enum(["plain", "scram-sha-256", "scram-sha-512"]),
    username: z.string().min(1, "KAFKA_SASL_USERNAME is required when KAFKA_SASL_MECHANISM is set"),
    password: z.string().min(1, "KAFKA_SASL_PASSWORD is required when KAFKA_SASL_MECHANISM is set"),
  })
  .strict();

const tlsSchema = z
  .object({
    /** PEM text of the CA bundle (read from KAFKA_SSL_CA_FILE). */
    ca: z.string().optional(),
    cert: z.string().optional(),
    key: z.string().optional(),
    rejectUnauthorized: z.boolean().default(true),
  })
  .strict();

export const connectionsSchema = z
  .object({
    kafka: z
      .object({
        /** Bootstrap servers, host:port. Default: the local stack's 127.0.0.1:9092. */
        brokers: z.array(z.string().regex(/^[^\s:]+:\d+$/, "expected host:port")).min(1),
        clientId: z.string().default("verdict"),
        /** TLS to the brokers; true for system CAs, an object for custom CA / mTLS. */
        ssl: z.union([z.boolean(), tlsSchema]).default(false),
        sasl: saslSchema.optional(),
        connectionTimeoutMs: z.number().int().positive().default(3000),
      })
      .strict(),
    registry: z
      .object({
        /** Confluent-compatible base URL (Apicurio: http://host:port/apis/ccompat/v7). */
        url: z.string().url(),
        username: z.string().optional(),
        password: z.string().optional(),
      })
      .strict()
      .refine((r) => (r.username === undefined) === (r.password === undefined), {
        message: "SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD must be set together",
      }),
    redis: z
      .object({
        /** redis:// or rediss:// (TLS). Default: the local stack's redis://127.0.0.1:6379. */
        url: z.string().regex(/^rediss?:\/\//, "expected redis:// or rediss://"),
        password: z.string().optional(),
        tls: z.boolean().default(false),
      })
      .strict(),
  })
  .strict();

export type Connections = z.infer<typeof connectionsSchema>;
export type ConnectionsInput = z.input<typeof connectionsSchema>;

export const LOCAL_DEFAULTS = {
  brokers: "127.0.0.1:9092",
  registry: "http://127.0.0.1:8081/apis/ccompat/v7",
  redis: "redis://127.0.0.1:6379",
} as const;

/** Maps a zod issue path back to the environment variable a user would set. */
const ENV_NAMES: Record<string, string> = {
  "kafka.brokers": "KAFKA_BROKERS",
  "kafka.sasl.mechanism": "KAFKA_SASL_MECHANISM",
  "kafka.sasl.username": "KAFKA_SASL_USERNAME",
  "kafka.sasl.password": "KAFKA_SASL_PASSWORD",
  "kafka.ssl": "KAFKA_SSL",
  "registry.url": "SCHEMA_REGISTRY_URL",
  registry: "SCHEMA_REGISTRY_USERNAME/SCHEMA_REGISTRY_PASSWORD",
  "redis.url": "REDIS_URL",
};

export function validateConnections(input: unknown): Readonly<Connections> {
  const parsed = connectionsSchema.safeParse(input);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const path = issue.path.join(".");
      const prefix = path.replace(/\.\d+$/, "");
      const env = ENV_NAMES[path] ?? ENV_NAMES[prefix];
      return `  - ${path || "(root)"}${env ? ` (env ${env})` : ""}: ${issue.message}`;
    });
    throw new VerdictError("VERDICT_ERR_CONFIG", `Invalid connection settings:\n${lines.join("\n")}`, {
      context: { issues: parsed.error.issues.map((i) => i.path.join(".")) },
    });
  }
  return deepFreeze(parsed.data);
}

function readPem(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const file = env[name];
  if (!file) return undefined;
  try {
    return readFileSync(file, "utf8");
  } catch (cause) {
    throw new VerdictError("VERDICT_ERR_CONFIG", `${name}=${file} cannot be read: check the path`, { cause });
  }
}

/** Reads KAFKA_*, SCHEMA_REGISTRY_*, REDIS_* from the environment, falling back to the local stack. */
export function connectionsFromEnv(env: NodeJS.ProcessEnv = process.env): Readonly<Connections> {
  const ca = readPem(env, "KAFKA_SSL_CA_FILE");
  const cert = readPem(env, "KAFKA_SSL_CERT_FILE");
  const key = readPem(env, "KAFKA_SSL_KEY_FILE");
  const sslFlag = envBool(env, "KAFKA_SSL");
  const ssl =
    ca || cert || key
      ? { ca, cert, key, rejectUnauthorized: envBool(env, "KAFKA_SSL_REJECT_UNAUTHORIZED") ?? true }
      : (sslFlag ?? false);
  const mechanism = env.KAFKA_SASL_MECHANISM?.toLowerCase();
  return validateConnections({
    kafka: {
      brokers: (env.KAFKA_BROKERS ?? LOCAL_DEFAULTS.brokers)
        .split(",")
        .map((b) => b.trim())
        .filter(Boolean),
      clientId: env.KAFKA_CLIENT_ID ?? "verdict",
      ssl,
      sasl: mechanism
        ? { mechanism, username: env.KAFKA_SASL_USERNAME ?? "", password: env.KAFKA_SASL_PASSWORD ?? "" }
        : undefined,
    },
    registry: {
      url: env.SCHEMA_REGISTRY_URL ?? LOCAL_DEFAULTS.registry,
      username: env.SCHEMA_REGISTRY_USERNAME || undefined,
      password: env.SCHEMA_REGISTRY_PASSWORD || undefined,
    },
    redis: {
      url: env.REDIS_URL ?? LOCAL_DEFAULTS.redis,
      password: env.REDIS_PASSWORD || undefined,
      tls: envBool(env, "REDIS_TLS") ?? false,
    },
  });
}

/** True when the user pointed Verdict at an existing cluster instead of the embedded stack. */
export function usesExternalCluster(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.KAFKA_BROKERS);
}

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
