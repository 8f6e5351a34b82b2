/**
 * Dead-letter tooling: read a DLQ (from the start to the current end, never waiting for new records),
 * inspect letters, and replay them, all or filtered, to their source topic after a fix. A replayed
 * record keeps its original key, bytes and headers and gains `verdict-replayed-from`.
 */
import type { IHeaders, Kafka } from "kafkajs";
import type { AvroCodec } from "../../schemas/codec/index.ts";
import type { DeadLetter } from "../../schemas/generated/types.ts";
import type { TopicDescriptor } from "../../topology/index.ts";
import { readAll } from "./read-all.ts";

export interface LetterAt {
  partition: number;
  offset: string;
  letter: DeadLetter;
}

export interface LetterFilter {
  errorCode?: string;
  sourceTopic?: string;
  stage?: string;
  /** Letters that failed at or after this time (epoch ms). */
  since?: number;
  until?: number;
  /** Only these DLQ positions, "partition:offset". */
  positions?: string[];
}

export function matches(at: LetterAt, filter: LetterFilter): boolean {
  const l = at.letter;
  if (filter.errorCode && l.errorCode !== filter.errorCode) return false;
  if (filter.sourceTopic && l.sourceTopic !== filter.sourceTopic) return false;
  if (filter.stage && l.stage !== filter.stage) return false;
  if (filter.since !== undefined && l.failedAt < filter.since) return false;
  if (filter.until !== undefined && l.failedAt > filter.until) return false;
  if (filter.positions && !filter.positions.includes(`${at.partition}:${at.offset}`)) return false;
  return true;
}

export async function readDeadLetters(
  kafka: Kafka,
  codec: AvroCodec,
  dlq: TopicDescriptor<"DeadLetter">,
  filter: LetterFilter = {},
): Promise<LetterAt[]> {
  const out: LetterAt[] = [];
  await readAll(kafka, dlq.name, async (partition, message) => {
    const { value } = await codec.decode(dlq, message.value);
    const at = { partition, offset: message.offset, letter: value };
    if (matches(at, filter)) out.push(at);
  });
  return out;
}

export interface ReplayResult {
  replayed: number;
  byTopic: Record<string, number>;
}

export async function replayDeadLetters(
  kafka: Kafka,
  letters: LetterAt[],
  dlqName: string,
): Promise<ReplayResult> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const byTopic: Record<string, number> = {};
  try {
    const grouped = new Map<string, { key: Buffer | null; value: Buffer | null; headers: IHeaders }[]>();
    for (const { partition, offset, letter } of letters) {
      const headers: IHeaders = {};
      for (const h of letter.originalHeaders) if (h.value !== null) headers[h.key] = h.value;
      headers["verdict-replayed-from"] = `${dlqName}@${partition}:${offset}`;
      const list = grouped.get(letter.sourceTopic) ?? [];
      list.push({ key: letter.originalKey, value: letter.originalValue, headers });
      grouped.set(letter.sourceTopic, list);
    }
    for (const [topic, messages] of grouped) {
      await producer.send({ topic, messages, acks: -1 });
      byTopic[topic] = messages.length;
    }
  } finally {
    await producer.disconnect();
  }
  return { replayed: letters.length, byTopic };
}
