import type { Kafka } from "kafkajs";
import { z } from "zod";
import type { ConnectionsInput } from "../../lib/config/index.ts";
import { VerdictError } from "../../lib/errors/index.ts";
import type { Logger } from "../../lib/log/index.ts";
import type { SchemaRegistryPort } from "../../schemas/registry/index.ts";

const optionsSchema = z
  .object({
    /** Name in the `producer` header and the Kafka client id. Default "verdict-producer". */
    clientId: z.string().min(1).default("verdict-producer"),
    /** Idempotent producer (no duplicates from producer retries). Default true. */
    idempotent: z.boolean().default(true),
    /** Validate every event against its schema before sending. Default true. */
    validate: z.boolean().default(true),
    /** Request timeout for one send, ms. Default 30000. */
    timeoutMs: z.number().int().positive().default(30_000),
    /** Compression: "none" or "gzip" (KafkaJS built-in). Default "none". */
    compression: z.enum(["none", "gzip"]).default("none"),
  })
  .strict();

export type ProducerSettings = z.infer<typeof optionsSchema>;

/** Everything createProducer accepts: settings plus the dependencies (ports), all optional. */
export interface ProducerOptions extends Partial<ProducerSettings> {
  /** Connection settings; default: from the environment (KAFKA_BROKERS, SCHEMA_REGISTRY_URL...). */
  connections?: ConnectionsInput;
  /** Use this KafkaJS client instead of building one. */
  kafka?: Kafka;
  /** Use this registry client instead of building one. */
  registry?: SchemaRegistryPort;
  logger?: Logger;
}

export function parseProducerSettings(options: ProducerOptions): Readonly<ProducerSettings> {
  const { connections: _c, kafka: _k, registry: _r, logger: _l, ...settings } = options;
  const parsed = optionsSchema.safeParse(settings);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  - ${i.path.join(".")}: ${i.message}`).join("\n");
    throw new VerdictError("VERDICT_ERR_CONFIG", `Invalid producer options:\n${lines}`);
  }
  return Object.freeze(parsed.data);
}
