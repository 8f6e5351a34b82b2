/**
 * Turns stage outputs and dead letters into Kafka messages: Avro (registry id cached), the key from
 * the topic's key field, and headers derived from the input (correlation id and trace carried on).
 */
import { randomUUID } from "node:crypto";
import type { Message } from "kafkajs";
import { VerdictError } from "../../lib/errors/index.ts";
import { deriveHeaders, type EventHeaders, toKafkaHeaders } from "../../lib/trace/index.ts";
import { schemaCatalog } from "../../schemas/catalog/index.ts";
import type { AvroCodec } from "../../schemas/codec/index.ts";
import type { DeadLetter } from "../../schemas/generated/types.ts";
import { type TopicDescriptor, topicByName } from "../../topology/index.ts";
import type { StageOutput } from "./types.ts";

export interface TopicMessages {
  topic: string;
  messages: Message[];
}

const eventTypes = new Map<string, string>();
/** The event-type header of a topic's records (its value schema's full name); computed once per schema. */
function eventTypeOf(topic: TopicDescriptor): string {
  let type = eventTypes.get(topic.valueSchema);
  if (type === undefined) {
    const schema = schemaCatalog().files.get(topic.valueSchema)!;
    type = `${schema.namespace}.${schema.name}`;
    eventTypes.set(topic.valueSchema, type);
  }
  return type;
}

export class OutputEncoder {
  constructor(
    private readonly codec: AvroCodec,
    private readonly producerName: string,
  ) {}

  /** `extra`: headers the runner adds to every output (e.g. origin-timestamp); they win over the output's own. */
  async encode(
    output: StageOutput,
    input: Partial<EventHeaders>,
    now: number,
    extra?: Record<string, string>,
  ): Promise<Message> {
    const id = await this.codec.schemaId(output.topic);
    return this.encodeWith(id, output, input, now, extra);
  }

  /** As encode(), without a promise once the topic's schema id is known (every output after the first); else undefined. */
  encodeNow(
    output: StageOutput,
    input: Partial<EventHeaders>,
    now: number,
    extra?: Record<string, string>,
  ): Message | undefined {
    const id = this.codec.knownSchemaId(output.topic);
    return id === undefined ? undefined : this.encodeWith(id, output, input, now, extra);
  }

  private encodeWith(
    id: number,
    output: StageOutput,
    input: Partial<EventHeaders>,
    now: number,
    extra?: Record<string, string>,
  ): Message {
    const value = output.value as unknown as Record<string, unknown>;
    const key = output.key ?? value[output.topic.key];
    if (typeof key !== "string") {
      throw new VerdictError(
        "VERDICT_ERR_STAGE",
        `Stage output for ${output.topic.name} has no key: set output.key or the "${output.topic.key}" field`,
      );
    }
    const headers = deriveHeaders(input, {
      eventId: output.eventId ?? (typeof value.eventId === "string" ? value.eventId : randomUUID()),
      eventType: eventTypeOf(output.topic),
      producer: this.producerName,
      occurredAt: now,
    });
    if (output.headers) Object.assign(headers.extra, output.headers);
    if (extra) Object.assign(headers.extra, extra);
    return {
      key,
      value: this.codec.encodeWithId(output.topic, id, output.value),
      headers: toKafkaHeaders(headers),
    };
  }

  async encodeDeadLetter(dlqTopicName: string, letter: DeadLetter, now: number): Promise<Message> {
    const topic = topicByName(dlqTopicName) as TopicDescriptor<"DeadLetter"> | undefined;
    if (!topic) {
      throw new VerdictError(
        "VERDICT_ERR_TOPIC_UNKNOWN",
        `Dead-letter topic ${dlqTopicName} is not declared in topology/`,
      );
    }
    const id = await this.codec.schemaId(topic);
    const headers = toKafkaHeaders(
      deriveHeaders(
        { correlationId: letter.correlationId ?? undefined },
        { eventType: eventTypeOf(topic), producer: this.producerName, occurredAt: now },
      ),
    );
    headers["error-code"] = letter.errorCode;
    return { key: letter.originalKey, value: this.codec.encodeWithId(topic, id, letter), headers };
  }
}

/** Groups messages by topic, keeping order within each topic. */
/**
 * Approximate bytes a message takes in a produce request (key, value, headers, record overhead):
 * requests are bounded by it, since a partition's record batch must stay under the topic's
 * max.message.bytes.
 */
export function messageSize(m: Message): number {
  let n = 64;
  n += m.key ? Buffer.byteLength(m.key as Buffer | string) : 0;
  n += m.value ? Buffer.byteLength(m.value as Buffer | string) : 0;
  for (const [k, v] of Object.entries(m.headers ?? {}))
    n += k.length + (v ? Buffer.byteLength(v as Buffer | string) : 0);
  return n;
}

export function groupByTopic(items: { topic: string; message: Message }[]): TopicMessages[] {
  const map = new Map<string, Message[]>();
  for (const { topic, message } of items) {
    let list = map.get(topic);
    if (!list) {
      list = [];
      map.set(topic, list);
    }
    list.push(message);
  }
  return [...map.entries()].map(([topic, messages]) => ({ topic, messages }));
}
