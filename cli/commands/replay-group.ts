import type { Command } from "commander";
import { withAdmin } from "../../app/deps.ts";
import { stageNames } from "../../app/stages.ts";
import { VerdictError } from "../../lib/errors/index.ts";
import { TOPIC_PREFIX } from "../../topology/index.ts";
import { type CliContext, printTable } from "../context.ts";
import { declaredTopic } from "./tail.ts";

/** A stage name (ingest...) means that stage's group; anything else is a group id as given. */
export function groupIdOf(group: string): string {
  return stageNames().includes(group) || group === "embedded" ? `${TOPIC_PREFIX}verdict.${group}` : group;
}

export function replayGroupCommand(program: Command, ctx: CliContext): void {
  program
    .command("replay-group <group>")
    .description(
      "Move a stopped consumer group's committed offsets back (or forward) so its consumers reprocess " +
        "from a point in time. <group> is a group id or a stage name (ingest → verdict.ingest). " +
        "Refused while the group has members: stop its consumers first",
    )
    .option("--to-timestamp <iso>", "first offset whose record time is at or after this ISO-8601 time")
    .option("--to-earliest", "the earliest offset still in each partition")
    .option(
      "--topic <topic...>",
      "only these topics (default: every topic the group has committed offsets for)",
    )
    .option("--dry-run", "print the plan without changing anything")
    .action(async (group: string, opts) => {
      if (Boolean(opts.toTimestamp) === Boolean(opts.toEarliest)) {
        throw new VerdictError(
          "VERDICT_ERR_CONFIG",
          "Give exactly one of --to-timestamp <iso> or --to-earliest",
        );
      }
      const at = opts.toTimestamp ? Date.parse(opts.toTimestamp) : undefined;
      if (at !== undefined && Number.isNaN(at)) {
        throw new VerdictError(
          "VERDICT_ERR_CONFIG",
          `--to-timestamp ${opts.toTimestamp} is not an ISO-8601 time`,
        );
      }
      const groupId = groupIdOf(group);
      const deps = await ctx.reachableDeps();
      await withAdmin(deps.kafka, async (admin) => {
        const { groups } = await admin.describeGroups([groupId]);
        const described = groups[0];
        if (described && described.members.length > 0) {
          throw new VerdictError(
            "VERDICT_ERR_CONFIG",
            `Group ${groupId} has ${described.members.length} member(s) (state ${described.state}): stop its consumers first; offsets of a live group cannot be moved`,
          );
        }
        const topics: string[] = opts.topic
          ? (opts.topic as string[]).map((t) => declaredTopic(t).name)
          : (await admin.fetchOffsets({ groupId }))
              .filter((t) => t.partitions.some((p) => Number(p.offset) >= 0))
              .map((t) => t.topic);
        if (topics.length === 0) {
          throw new VerdictError(
            "VERDICT_ERR_CONFIG",
            `Group ${groupId} has no committed offsets: name the topics with --topic`,
          );
        }
        const rows: Record<string, string>[] = [];
        for (const topic of topics) {
          const before = await admin.fetchOffsets({ groupId, topics: [topic] });
          const committed = new Map(before[0]?.partitions.map((p) => [p.partition, p.offset]) ?? []);
          const target =
            at === undefined
              ? (await admin.fetchTopicOffsets(topic)).map((p) => ({ partition: p.partition, offset: p.low }))
              : await admin.fetchTopicOffsetsByTimestamp(topic, at);
          for (const p of target) {
            rows.push({
              topic,
              partition: String(p.partition),
              from: committed.get(p.partition) ?? "-1",
              to: p.offset,
            });
          }
          if (opts.dryRun) continue;
          if (at === undefined) await admin.resetOffsets({ groupId, topic, earliest: true });
          else await admin.setOffsets({ groupId, topic, partitions: target });
        }
        printTable(ctx, rows);
        ctx.print(
          opts.dryRun
            ? `dry run: group ${groupId} unchanged`
            : `group ${groupId}: offsets moved on ${topics.length} topic(s); its consumers resume there when started`,
        );
      });
    });
}
