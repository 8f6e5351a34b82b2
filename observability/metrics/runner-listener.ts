/**
 * Turns the runner's typed events into Prometheus series. Also keeps the group membership each
 * runner reported, which /readyz reads. Pass it as `instrumentation` to createStageRunner; the
 * runner swallows anything a listener throws, so a bad label can never stop the pipeline.
 */
import type { Instrumentation, RunnerEvent } from "../../consumers/runtime/index.ts";
import { allTopics } from "../../topology/index.ts";
import type { PipelineMetrics } from "./pipeline-metrics.ts";

export interface GroupState {
  stage: string;
  groupId: string;
  state: "joined" | "rebalancing" | "stopped" | "crashed";
  partitions: number;
  since: number;
}

export interface RunnerListener extends Instrumentation {
  /** Last reported membership per runner stage. */
  groups(): GroupState[];
}

export function createRunnerListener(
  metrics: PipelineMetrics,
  options: { now?: () => number; resultTopics?: ReadonlySet<string> } = {},
): RunnerListener {
  const now = options.now ?? Date.now;
  const results =
    options.resultTopics ??
    new Set(
      allTopics()
        .filter((t) => t.role === "result")
        .map((t) => t.name),
    );
  const groups = new Map<string, GroupState>();

  function on(e: RunnerEvent): void {
    switch (e.type) {
      case "chunk":
        metrics.runnerRecords.inc({ stage: e.stage, topic: e.topic }, e.records);
        if (e.outputs > 0) metrics.runnerOutputs.inc({ stage: e.stage, topic: e.topic }, e.outputs);
        metrics.chunkDuration.observe({ stage: e.stage }, e.durationMs / 1000);
        return;
      case "dead-letter":
        metrics.deadLetters.inc({
          stage: e.stage,
          failed_stage: e.failedStage ?? e.stage,
          topic: e.topic,
          code: e.code,
          dlq: e.dlq ?? "",
        });
        return;
      case "retry":
        metrics.retries.inc({ stage: e.stage, topic: e.topic, code: e.code });
        return;
      case "record": {
        metrics.recordLatency.observe({ stage: e.stage }, Math.max(0, e.ackedAt - e.timestamp) / 1000);
        for (const o of e.outputs) {
          if (results.has(o.topic)) {
            metrics.eventAge.observe({ topic: o.topic }, Math.max(0, e.ackedAt - e.originTimestamp) / 1000);
          }
        }
        return;
      }
      case "batch":
        metrics.fetchLag.set(
          { stage: e.stage, topic: e.topic, partition: String(e.partition) },
          Math.max(0, e.offsetLag),
        );
        return;
      case "group": {
        const previous = groups.get(e.stage);
        const partitions = e.state === "joined" ? (e.partitions ?? 0) : (previous?.partitions ?? 0);
        groups.set(e.stage, { stage: e.stage, groupId: e.groupId, state: e.state, partitions, since: now() });
        metrics.groupJoined.set({ stage: e.stage, group: e.groupId }, e.state === "joined" ? 1 : 0);
        if (e.state === "joined") {
          metrics.assignedPartitions.set({ stage: e.stage, group: e.groupId }, partitions);
        }
        return;
      }
    }
  }

  return { on, groups: () => [...groups.values()] };
}
