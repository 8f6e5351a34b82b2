/**
 * The typed producer SDK: `publish(topic, event)` in one call. Schema-checked before send (nothing
 * leaves on a validation error), Avro via the registry, key from the event, idempotent producer,
 * and the standard headers (correlation id, traceparent, event id/type, producer, occurred-at).
 */
import { randomUUID } from "node:crypto";
import { CompressionTypes, type Kafka, type Message, Partitioners, type RecordMetadata } from "kafkajs";
import { connectionsFromEnv, validateConnections } from "../../lib/config/index.ts";
import { VerdictError } from "../../lib/errors/index.ts";
import { createKafka, FreshOnFailureProducer } from "../../lib/kafka/index.ts";
import { silentLogger } from "../../lib/log/index.ts";
import {
  childOf,
  type EventHeaders,
  formatTraceparent,
  parseTraceparent,
  toKafkaHeaders,
} from "../../lib/trace/index.ts";
import { schemaCatalog } from "../../schemas/catalog/index.ts";
import { AvroCodec } from "../../schemas/codec/index.ts";
import type { SchemaTypes } from "../../schemas/generated/types.ts";
import { ConfluentRegistry } from "../../schemas/registry/index.ts";
import type { TopicDescriptor } from "../../topology/index.ts";
import { kafkaError } from "./kafka-errors.ts";
import { type ProducerOptions, parseProducerSettings } from "./options.ts";
import type { PublishOptions, PublishResult, VerdictProducer } from "./types.ts";

interface Prepared {
  message: Message;
  eventId: string;
  correlationId: string;
  traceparent: string;
}

export function keyOf(topic: TopicDescriptor, event: object, options?: PublishOptions): string {
  if (options?.key !== undefined) return options.key;
  const value = (event as Record<string, unknown>)[topic.key];
  if (typeof value === "string" && value.length > 0) return value;
  throw new VerdictError(
    "VERDICT_ERR_SCHEMA_VALIDATION",
    `No partition key for ${topic.name}: the event has no non-empty "${topic.key}" field; pass options.key`,
    { context: { topic: topic.name, keyField: topic.key } },
  );
}

export async function createProducer(options: ProducerOptions = {}): Promise<VerdictProducer> {
  const settings = parseProducerSettings(options);
  const logger = (options.logger ?? silentLogger()).child({
    component: "producer",
    clientId: settings.clientId,
  });
  const needsConnections = !options.kafka || !options.registry;
  const connections = needsConnections
    ? options.connections
      ? validateConnections(options.connections)
      : connectionsFromEnv()
    : undefined;
  const kafka: Kafka =
    options.kafka ?? createKafka(connections!.kafka, { clientId: settings.clientId, logger });
  const registry =
    options.registry ??
    new ConfluentRegistry({
      url: connections!.registry.url,
      username: connections!.registry.username,
      password: connections!.registry.password,
    });
  const codec = new AvroCodec(registry);
  const catalog = schemaCatalog();
  // A failed send replaces the idempotent producer (new producer id): KafkaJS retries a send a
  // bounded number of times, and after it gives up its sequence numbers may be out of step with the
  // broker's (lib/kafka/fresh-producer.ts). The caller gets the error and may publish again.
  const producer = new FreshOnFailureProducer(() =>
    kafka.producer({
      idempotent: settings.idempotent,
      // Idempotence in KafkaJS keeps order only with one in-flight request per connection.
      maxInFlightRequests: settings.idempotent ? 1 : undefined,
      // Java-compatible murmur2: the same key lands on the same partition as with Java clients.
      createPartitioner: Partitioners.DefaultPartitioner,
    }),
  );
  try {
    await producer.connect();
  } catch (err) {
    throw kafkaError(err, "Connecting the producer");
  }

  async function prepare<S extends keyof SchemaTypes>(
    topic: TopicDescriptor<S>,
    event: SchemaTypes[S],
    opts: PublishOptions | undefined,
  ): Promise<Prepared> {
    if (settings.validate) codec.validate(topic, event);
    const key = keyOf(topic, event as object, opts);
    const id = await codec.schemaId(topic);
    const value = codec.encodeWithId(topic, id, event);
    const fields = event as unknown as Record<string, unknown>;
    const eventId = typeof fields.eventId === "string" ? fields.eventId : randomUUID();
    const correlationId = opts?.correlationId ?? randomUUID();
    const traceparent = formatTraceparent(childOf(parseTraceparent(opts?.traceparent)));
    const schema = catalog.files.get(topic.valueSchema)!;
    const headers: EventHeaders = {
      correlationId,
      traceparent,
      tracestate: opts?.tracestate,
      eventId,
      eventType: `${schema.namespace}.${schema.name}`,
      producer: settings.clientId,
      occurredAt: typeof fields.occurredAt === "number" ? fields.occurredAt : Date.now(),
      extra: opts?.headers ?? {},
    };
    return { message: { key, value, headers: toKafkaHeaders(headers) }, eventId, correlationId, traceparent };
  }

  async function send(topic: string, prepared: Prepared[]): Promise<PublishResult[]> {
    let metadata: RecordMetadata[];
    try {
      metadata = await producer.sendBatch({
        topicMessages: [{ topic, messages: prepared.map((p) => p.message) }],
        acks: -1,
        timeout: settings.timeoutMs,
        compression: settings.compression === "gzip" ? CompressionTypes.GZIP : CompressionTypes.None,
      });
    } catch (err) {
      throw kafkaError(err, `Publishing ${prepared.length} event(s) to ${topic}`);
    }
    // KafkaJS answers one entry per partition with the base offset; messages of one partition are
    // appended in order, so each message's offset is base + its index within that partition.
    const base = new Map(metadata.map((m) => [m.partition, BigInt(m.baseOffset ?? "0")]));
    const seen = new Map<number, bigint>();
    const partitionOf = (p: Prepared) => (p.message.partition as number | undefined) ?? -1;
    return prepared.map((p) => {
      const partition = partitionOf(p);
      const n = seen.get(partition) ?? 0n;
      seen.set(partition, n + 1n);
      return {
        topic,
        partition,
        offset: ((base.get(partition) ?? 0n) + n).toString(),
        eventId: p.eventId,
        correlationId: p.correlationId,
        traceparent: p.traceparent,
      };
    });
  }

  // Partitions are chosen here with the same partitioner KafkaJS would use, so each result can say
  // where its event went. Partition counts are cached per topic: they only grow, by an operator.
  const partitioner = Partitioners.DefaultPartitioner();
  type PartitionMetadata = Parameters<typeof partitioner>[0]["partitionMetadata"];
  const partitionCache = new Map<string, Promise<PartitionMetadata>>();
  function partitionsOf(topic: string): Promise<PartitionMetadata> {
    let pending = partitionCache.get(topic);
    if (!pending) {
      pending = (async () => {
        const admin = kafka.admin();
        try {
          await admin.connect();
          const md = await admin.fetchTopicMetadata({ topics: [topic] });
          return md.topics[0]?.partitions ?? [];
        } catch (err) {
          throw kafkaError(
            err,
            `Reading metadata of ${topic} (does the topic exist? run: npm run topics:apply)`,
          );
        } finally {
          await admin.disconnect().catch(() => {});
        }
      })();
      partitionCache.set(topic, pending);
      pending.catch(() => partitionCache.delete(topic));
    }
    return pending;
  }

  return {
    async publish(topic, event, opts) {
      const [result] = await publishMany(topic, [{ event, options: opts }]);
      return result!;
    },
    publishMany,
    async encodeMany(topic, events) {
      return (await prepareMany(topic, events)).map((p) => ({ topic: topic.name, ...p }));
    },
    async close() {
      await producer.disconnect();
    },
  };

  async function prepareMany<S extends keyof SchemaTypes>(
    topic: TopicDescriptor<S>,
    events: ReadonlyArray<{ event: SchemaTypes[S]; options?: PublishOptions }>,
  ): Promise<Prepared[]> {
    const prepared: Prepared[] = [];
    for (const e of events) prepared.push(await prepare(topic, e.event, e.options));
    const partitionMetadata = await partitionsOf(topic.name);
    for (const p of prepared)
      p.message.partition = partitioner({ topic: topic.name, partitionMetadata, message: p.message });
    return prepared;
  }

  async function publishMany<S extends keyof SchemaTypes>(
    topic: TopicDescriptor<S>,
    events: ReadonlyArray<{ event: SchemaTypes[S]; options?: PublishOptions }>,
  ): Promise<PublishResult[]> {
    return send(topic.name, await prepareMany(topic, events));
  }
}
