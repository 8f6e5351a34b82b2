/**
 * The composition root: builds the ports (Kafka client, registry, codec, Redis) from validated
 * connection settings, once, and hands them to whatever runs. No module-level singletons.
 */
import { Redis } from "ioredis";
import type { Admin, Kafka } from "kafkajs";
import type { Connections } from "../lib/config/index.ts";
import { VerdictError } from "../lib/errors/index.ts";
import { createKafka } from "../lib/kafka/index.ts";
import { type Logger, silentLogger } from "../lib/log/index.ts";
import { AvroCodec } from "../schemas/codec/index.ts";
import { ConfluentRegistry, type SchemaRegistryPort } from "../schemas/registry/index.ts";

export interface AppDeps {
  connections: Readonly<Connections>;
  logger: Logger;
  kafka: Kafka;
  registry: SchemaRegistryPort;
  codec: AvroCodec;
  /** A Redis client, created on first use (the embedded default needs none). */
  redis(): Redis;
  close(): Promise<void>;
}

export function createRedis(redis: Connections["redis"], logger: Logger): Redis {
  const client = new Redis(redis.url, {
    password: redis.password,
    tls: redis.tls || redis.url.startsWith("rediss://") ? {} : undefined,
    // Commands wait for a reconnect instead of failing at once; the runner retries what still fails.
    maxRetriesPerRequest: 3,
    enableOfflineQueue: true,
    retryStrategy: (times) => Math.min(50 * 2 ** times, 2000),
    lazyConnect: false,
  });
  client.on("error", (err) => logger.warn({ err: err.message }, "redis connection error (reconnecting)"));
  return client;
}

export function createDeps(
  connections: Readonly<Connections>,
  logger: Logger,
  clientId = "verdict",
): AppDeps {
  const kafka = createKafka(connections.kafka, { clientId, logger });
  const registry = new ConfluentRegistry({
    url: connections.registry.url,
    username: connections.registry.username,
    password: connections.registry.password,
  });
  const codec = new AvroCodec(registry);
  let redis: Redis | undefined;
  return {
    connections,
    logger,
    kafka,
    registry,
    codec,
    redis() {
      redis ??= createRedis(connections.redis, logger);
      return redis;
    },
    async close() {
      if (redis) await redis.quit().catch(() => redis?.disconnect());
    },
  };
}

/** Connects an admin client, runs `fn`, always disconnects. */
export async function withAdmin<T>(
  kafka: Kafka,
  fn: (admin: ReturnType<Kafka["admin"]>) => Promise<T>,
): Promise<T> {
  const admin = kafka.admin();
  await connectAdmin(admin, "", "Is the stack up? (npm run stack:status) or set KAFKA_BROKERS.");
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/**
 * Fails within a second or two, saying what to do, when no broker answers. The runtime clients retry
 * for ~45 s (a broker may still be starting), logging each attempt: right for a service, slow and
 * noisy for someone at a terminal who pointed the command at nothing.
 */
export async function ensureKafkaReachable(kafka: Connections["kafka"], hint: string): Promise<void> {
  const probe = createKafka(kafka, {
    clientId: "verdict-preflight",
    logger: silentLogger(),
    retry: { initialRetryTime: 300, retries: 1 },
  });
  const admin = probe.admin();
  try {
    await connectAdmin(admin, ` at ${kafka.brokers.join(", ")}`, hint);
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

async function connectAdmin(admin: Admin, where: string, hint: string): Promise<void> {
  try {
    await admin.connect();
  } catch (cause) {
    throw new VerdictError(
      "VERDICT_ERR_KAFKA",
      `Cannot reach Kafka${where} (${(cause as Error).message}). ${hint}`,
      {
        cause,
        retriable: true,
      },
    );
  }
}
