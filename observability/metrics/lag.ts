/**
 * Consumer lag per partition from the KafkaJS admin: the topic's high watermark minus the group's
 * committed offset. A partition the group never committed counts from the low watermark (the
 * runner starts new groups at the earliest offset). This is the number KEDA scales on; the
 * monitor refreshes the `verdict_consumer_lag` gauge on an interval.
 */
import type { Admin, Kafka } from "kafkajs";
import type { Logger } from "../../lib/log/index.ts";
import type { PipelineMetrics } from "./pipeline-metrics.ts";

export interface PartitionLag {
  group: string;
  topic: string;
  partition: number;
  /** Committed offset; -1 when the group has none for this partition. */
  committed: number;
  low: number;
  high: number;
  lag: number;
}

export interface Watermarks {
  partition: number;
  low: string;
  high: string;
}

/** Pure: lag of each partition from committed offsets and watermarks. */
export function computeLag(
  group: string,
  topic: string,
  committed: readonly { partition: number; offset: string }[],
  watermarks: readonly Watermarks[],
): PartitionLag[] {
  const byPartition = new Map(committed.map((c) => [c.partition, Number(c.offset)]));
  return watermarks
    .map((w) => {
      const low = Number(w.low);
      const high = Number(w.high);
      const offset = byPartition.get(w.partition) ?? -1;
      // Offsets below the low watermark were deleted by retention: the consumer resumes at `low`.
      const from = offset < 0 ? low : Math.max(offset, low);
      return {
        group,
        topic,
        partition: w.partition,
        committed: offset,
        low,
        high,
        lag: Math.max(0, high - from),
      };
    })
    .sort((a, b) => a.partition - b.partition);
}

/** Lag of `group` on `topics` (default: every topic the group has committed offsets for). */
export async function fetchGroupLag(admin: Admin, group: string, topics?: string[]): Promise<PartitionLag[]> {
  const offsets = await admin.fetchOffsets({ groupId: group, ...(topics ? { topics } : {}) });
  const out: PartitionLag[] = [];
  for (const t of offsets) {
    const watermarks = await admin.fetchTopicOffsets(t.topic);
    out.push(...computeLag(group, t.topic, t.partitions, watermarks));
  }
  return out;
}

export interface LagTarget {
  group: string;
  topics: string[];
}

export interface LagMonitor {
  start(): Promise<void>;
  /** Refreshes now; resolves with the lag of every target partition. */
  refresh(): Promise<PartitionLag[]>;
  latest(): readonly PartitionLag[];
  stop(): Promise<void>;
}

/** Failed lag measurements in a row before the monitor warns (earlier ones log at debug). */
export const WARN_AFTER_FAILURES = 3;

export function createLagMonitor(
  kafka: Kafka,
  targets: () => readonly LagTarget[],
  metrics: PipelineMetrics,
  options: { intervalMs?: number; logger?: Logger } = {},
): LagMonitor {
  const intervalMs = options.intervalMs ?? 5000;
  let admin: Admin | undefined;
  let timer: NodeJS.Timeout | undefined;
  let last: PartitionLag[] = [];
  let running: Promise<PartitionLag[]> | undefined;
  /** Consecutive failed measurements: the first few are usually a group still joining. */
  let failures = 0;

  async function measure(): Promise<PartitionLag[]> {
    if (!admin) {
      admin = kafka.admin();
      await admin.connect();
    }
    const all: PartitionLag[] = [];
    for (const t of targets()) all.push(...(await fetchGroupLag(admin, t.group, t.topics)));
    metrics.lag.reset();
    for (const l of all) {
      metrics.lag.set({ group: l.group, topic: l.topic, partition: String(l.partition) }, l.lag);
    }
    last = all;
    if (failures >= WARN_AFTER_FAILURES) options.logger?.info({ failures }, "consumer lag available again");
    failures = 0;
    return all;
  }

  function refresh(): Promise<PartitionLag[]> {
    running ??= measure()
      .catch((err) => {
        failures++;
        // A fresh group or broker answers "coordinator loading / not the coordinator" for a few
        // seconds: debug until it has failed WARN_AFTER_FAILURES times in a row, then warn once.
        const fields = { err: (err as Error).message, failures };
        if (failures === WARN_AFTER_FAILURES) options.logger?.warn(fields, "consumer lag unavailable");
        else options.logger?.debug(fields, "consumer lag unavailable");
        const a = admin;
        admin = undefined;
        void a?.disconnect().catch(() => {});
        // Right after start the group may still be joining (coordinator loading, rebalance): try
        // again soon rather than a whole interval later.
        if (last.length === 0 && timer) setTimeout(() => void refresh(), 1000).unref();
        return last;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  }

  return {
    async start() {
      await refresh();
      timer = setInterval(() => void refresh(), intervalMs);
      timer.unref();
    },
    refresh,
    latest: () => last,
    async stop() {
      clearInterval(timer);
      await running;
      await admin?.disconnect().catch(() => {});
      admin = undefined;
    },
  };
}
