import type { Command } from "commander";
import { withAdmin } from "../../app/deps.ts";
import { fetchGroupLag, type PartitionLag } from "../../observability/index.ts";
import { TOPIC_PREFIX } from "../../topology/index.ts";
import { type CliContext, printTable } from "../context.ts";
import { groupIdOf } from "./replay-group.ts";

/** Throwaway groups of tools and monitors: never committed, not worth a lag line. */
const TOOL_GROUP = /\.(tool|monitor|observe)\./;

export function lagCommand(program: Command, ctx: CliContext): void {
  program
    .command("lag")
    .description(
      "Consumer lag per partition (high watermark − committed offset) of Verdict's consumer groups; " +
        "partition count is the ceiling of a group's parallelism",
    )
    .option("--group <group...>", "only these groups (group id or stage name)")
    .option("--all", "also list partitions with zero lag")
    .option("--json", "machine-readable output")
    .action(async (opts) => {
      const deps = await ctx.reachableDeps();
      const lags = await withAdmin(deps.kafka, async (admin) => {
        const groups: string[] = opts.group
          ? (opts.group as string[]).map(groupIdOf)
          : (await admin.listGroups()).groups
              .map((g) => g.groupId)
              .filter((g) => g.startsWith(`${TOPIC_PREFIX}verdict`) && !TOOL_GROUP.test(g))
              .sort();
        const all: PartitionLag[] = [];
        for (const g of groups) all.push(...(await fetchGroupLag(admin, g)));
        return all;
      });
      if (opts.json) {
        ctx.print(JSON.stringify(lags, null, 2));
        return;
      }
      printTable(
        ctx,
        lags
          .filter((l) => opts.all || l.lag > 0)
          .map((l) => ({
            group: l.group,
            topic: l.topic,
            partition: String(l.partition),
            committed: l.committed < 0 ? "-" : String(l.committed),
            end: String(l.high),
            lag: String(l.lag),
          })),
      );
      const byGroup = new Map<string, number>();
      for (const l of lags) byGroup.set(l.group, (byGroup.get(l.group) ?? 0) + l.lag);
      for (const [g, n] of byGroup) ctx.print(`${g}: total lag ${n}`);
      if (byGroup.size === 0) ctx.print("no Verdict consumer groups with committed offsets");
    });
}
