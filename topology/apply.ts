/**
 * Idempotent topology bootstrap: creates missing topics, registers each topic's value schema under
 * `<topic>-value` with BACKWARD compatibility, and reports drift (partition count, cleanup policy,
 * retention) without ever deleting or shrinking anything: data is never destroyed by `apply`.
 */
import kafkajs, { type Admin, type ITopicConfig } from "kafkajs";
import { envInt } from "../lib/config/index.ts";
import type { Logger } from "../lib/log/index.ts";
import { retry } from "../lib/retry/index.ts";
import { schemaCatalog } from "../schemas/catalog/index.ts";
import { subjectFor } from "../schemas/codec/index.ts";
import type { SchemaRegistryPort } from "../schemas/registry/index.ts";
import { allTopics } from "./topics.ts";
import type { TopicDescriptor } from "./types.ts";

export interface Drift {
  topic: string;
  setting: string;
  expected: string;
  actual: string;
}

export interface ApplyReport {
  created: string[];
  existing: string[];
  drift: Drift[];
  subjects: { subject: string; id: number }[];
}

export interface ApplyOptions {
  admin: Admin;
  registry?: SchemaRegistryPort;
  topics?: TopicDescriptor[];
  logger?: Logger;
  /** Replication factor for new topics. Default 1 (single-node local stack); use 3 in production. */
  replicationFactor?: number;
}

export function topicConfig(t: TopicDescriptor, replicationFactor: number): ITopicConfig {
  return {
    topic: t.name,
    numPartitions: t.partitions,
    replicationFactor,
    configEntries: [
      { name: "cleanup.policy", value: t.cleanupPolicy },
      { name: "retention.ms", value: String(t.retentionMs) },
      ...(t.maxMessageBytes ? [{ name: "max.message.bytes", value: String(t.maxMessageBytes) }] : []),
    ],
  };
}

export async function applyTopology(options: ApplyOptions): Promise<ApplyReport> {
  const { admin, registry } = options;
  const topics = options.topics ?? allTopics();
  const replicationFactor =
    options.replicationFactor ??
    envInt(process.env, "VERDICT_REPLICATION_FACTOR", {
      min: 1,
      max: 32_767,
      what: "a replication factor",
    }) ??
    1;
  const report: ApplyReport = { created: [], existing: [], drift: [], subjects: [] };

  // Creating many topics on a busy broker can answer "does not host this topic-partition" while
  // leaders are elected: retried, each attempt creating only what is still missing.
  const initiallyPresent = new Set(await admin.listTopics());
  await retry(
    async () => {
      const present = new Set(await admin.listTopics());
      const missing = topics.filter((t) => !present.has(t.name));
      if (missing.length === 0) return;
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => topicConfig(t, replicationFactor)),
      });
    },
    { attempts: 6, initialDelayMs: 200 },
  );
  const present = initiallyPresent;
  report.created.push(...topics.filter((t) => !present.has(t.name)).map((t) => t.name));

  const existing = topics.filter((t) => present.has(t.name));
  report.existing.push(...existing.map((t) => t.name));
  if (existing.length > 0) report.drift.push(...(await findDrift(admin, existing)));

  if (registry) {
    const catalog = schemaCatalog();
    for (const t of topics) {
      const subject = subjectFor(t);
      const id = await registry.register(subject, catalog.bundle(t.valueSchema));
      report.subjects.push({ subject, id });
    }
  }
  for (const d of report.drift) {
    options.logger?.warn(
      d,
      `topology drift on ${d.topic}: ${d.setting} is ${d.actual}, topology/ says ${d.expected}`,
    );
  }
  return report;
}

// KafkaJS is CommonJS and Node's ESM loader does not see every named export (e.g. this enum).
const { ConfigResourceTypes } = kafkajs;

async function findDrift(admin: Admin, topics: TopicDescriptor[]): Promise<Drift[]> {
  const drift: Drift[] = [];
  const meta = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.name) });
  const configs = await admin.describeConfigs({
    includeSynonyms: false,
    resources: topics.map((t) => ({
      type: ConfigResourceTypes.TOPIC,
      name: t.name,
      configNames: ["cleanup.policy", "retention.ms"],
    })),
  });
  for (const t of topics) {
    const m = meta.topics.find((x) => x.name === t.name);
    if (m && m.partitions.length !== t.partitions) {
      drift.push({
        topic: t.name,
        setting: "partitions",
        expected: String(t.partitions),
        actual: String(m.partitions.length),
      });
    }
    const entries = configs.resources.find((r) => r.resourceName === t.name)?.configEntries ?? [];
    const value = (name: string) => entries.find((e) => e.configName === name)?.configValue;
    const cleanup = value("cleanup.policy");
    if (cleanup !== undefined && cleanup !== t.cleanupPolicy) {
      drift.push({ topic: t.name, setting: "cleanup.policy", expected: t.cleanupPolicy, actual: cleanup });
    }
    const retention = value("retention.ms");
    if (retention !== undefined && retention !== String(t.retentionMs)) {
      drift.push({
        topic: t.name,
        setting: "retention.ms",
        expected: String(t.retentionMs),
        actual: retention,
      });
    }
  }
  return drift;
}
