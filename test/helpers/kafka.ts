/**
 * KafkaJS helpers for integration tests, against the stack the global setup provides
 * (`inject("stack")`): a client, unique throwaway topics, and "collect N raw messages".
 */
import { type Admin, type IHeaders, Kafka, type KafkaConfig, logLevel, type SASLOptions } from "kafkajs";
import { inject, onTestFinished } from "vitest";
import type { ScramCredentials } from "../../infra/local/index.ts";
import "../setup/provided.ts";
import type { ProvidedStack } from "../setup/provided.ts";
import { uniqueName } from "./names.ts";

export function testStack(): ProvidedStack {
  return inject("stack");
}

/** A KafkaJS client for the provided PLAINTEXT brokers; `overrides` win (e.g. sasl, retry). */
export function kafkaForTests(overrides: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    clientId: uniqueName("verdict-test"),
    brokers: testStack().brokers,
    connectionTimeout: 3000,
    retry: { retries: 5, initialRetryTime: 100 },
    logLevel: logLevel.ERROR,
    ...overrides,
  });
}

/** KafkaJS `sasl` options for SCRAM credentials (KafkaJS types each mechanism separately). */
export function scramSasl(creds: ScramCredentials, mechanism = creds.mechanism): SASLOptions {
  const { username, password } = creds;
  return mechanism === "scram-sha-512"
    ? { mechanism: "scram-sha-512", username, password }
    : { mechanism: "scram-sha-256", username, password };
}

export interface TestTopicSpec {
  /** Readable part of the unique name. */
  prefix: string;
  /** Default 3, like the broker's num.partitions. */
  partitions?: number;
  configEntries?: { name: string; value: string }[];
}

async function createTopics(admin: Admin, specs: TestTopicSpec[]): Promise<string[]> {
  const names = specs.map((s) => uniqueName(s.prefix));
  await admin.createTopics({
    waitForLeaders: true,
    topics: specs.map((s, i) => ({
      topic: names[i] as string,
      numPartitions: s.partitions ?? 3,
      replicationFactor: 1,
      configEntries: s.configEntries,
    })),
  });
  return names;
}

async function deleteTopics(admin: Admin, names: string[]): Promise<void> {
  // Cleanup must not turn a passing test red; a leftover unique topic harms nobody.
  await admin.deleteTopics({ topics: names, timeout: 10_000 }).catch(() => undefined);
}

/**
 * Creates uniquely named topics (the admin must be connected). With `fn`: runs it and deletes
 * the topics afterwards. Without: deletes them when the current test finishes.
 */
export function withTopics(admin: Admin, specs: TestTopicSpec[]): Promise<string[]>;
export function withTopics<T>(
  admin: Admin,
  specs: TestTopicSpec[],
  fn: (names: string[]) => Promise<T>,
): Promise<T>;
export async function withTopics<T>(
  admin: Admin,
  specs: TestTopicSpec[],
  fn?: (names: string[]) => Promise<T>,
): Promise<T | string[]> {
  const names = await createTopics(admin, specs);
  if (!fn) {
    onTestFinished(() => deleteTopics(admin, names));
    return names;
  }
  try {
    return await fn(names);
  } finally {
    await deleteTopics(admin, names);
  }
}

export interface RawMessage {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders;
  timestamp: string;
}

/**
 * Reads `topic` from the beginning with a fresh consumer group until `n` messages arrived.
 * Rejects after `timeoutMs` saying how many it got. Always disconnects.
 */
export async function consumeN(
  topic: string,
  n: number,
  timeoutMs = 30_000,
  kafka = kafkaForTests(),
): Promise<RawMessage[]> {
  const consumer = kafka.consumer({ groupId: uniqueName("consume-n"), maxWaitTimeInMs: 100 });
  const messages: RawMessage[] = [];
  let timer: NodeJS.Timeout | undefined;
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(
        () =>
          reject(new Error(`consumeN(${topic}): got ${messages.length} of ${n} messages in ${timeoutMs} ms`)),
        timeoutMs,
      );
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            if (messages.length >= n) return;
            messages.push({
              topic,
              partition,
              offset: message.offset,
              key: message.key,
              value: message.value,
              headers: message.headers ?? {},
              timestamp: message.timestamp,
            });
            if (messages.length >= n) resolve();
          },
        })
        .catch(reject);
    });
    return messages;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => undefined);
  }
}
