/** Builds the dead-letter envelope: original bytes and headers, where it came from, and why. */
import type { KafkaMessage } from "kafkajs";
import { errorCode, errorMessage } from "../../lib/errors/index.ts";
import { HEADER, headerString } from "../../lib/trace/index.ts";
import type { DeadLetter, Header } from "../../schemas/generated/types.ts";

export interface DeadLetterSource {
  stage: string;
  topic: string;
  partition: number;
  message: KafkaMessage;
}

export function headerList(message: KafkaMessage): Header[] {
  const out: Header[] = [];
  for (const [key, raw] of Object.entries(message.headers ?? {})) {
    const values = Array.isArray(raw) ? raw : [raw];
    for (const v of values) {
      out.push({
        key,
        value: v === undefined || v === null ? null : Buffer.isBuffer(v) ? v : Buffer.from(String(v)),
      });
    }
  }
  return out;
}

export function toDeadLetter(
  source: DeadLetterSource,
  error: unknown,
  attempts: number,
  now: number,
): DeadLetter {
  return {
    stage: source.stage,
    sourceTopic: source.topic,
    sourcePartition: source.partition,
    sourceOffset: Number(source.message.offset),
    originalKey: source.message.key ?? null,
    originalValue: source.message.value ?? null,
    originalHeaders: headerList(source.message),
    originalTimestamp: Number(source.message.timestamp),
    errorCode: errorCode(error),
    reason: errorMessage(error),
    attempts,
    correlationId: headerString(source.message.headers, HEADER.correlationId) ?? null,
    failedAt: now,
  };
}
