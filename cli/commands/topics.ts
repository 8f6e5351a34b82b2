import type { Command } from "commander";
import { withAdmin } from "../../app/deps.ts";
import { allTopics, applyTopology } from "../../topology/index.ts";
import { type CliContext, printTable } from "../context.ts";

export function topicsCommand(program: Command, ctx: CliContext): void {
  const topics = program.command("topics").description("Create and inspect the topics declared in topology/");
  topics
    .command("apply")
    .description("Create missing topics, register their schemas (BACKWARD), report drift; never deletes data")
    .action(async () => {
      const deps = await ctx.reachableDeps();
      const report = await withAdmin(deps.kafka, (admin) =>
        applyTopology({ admin, registry: deps.registry, logger: deps.logger }),
      );
      ctx.print(`created ${report.created.length} topic(s), ${report.existing.length} already existed`);
      for (const t of report.created) ctx.print(`  + ${t}`);
      for (const d of report.drift)
        ctx.print(`  ! ${d.topic}: ${d.setting} is ${d.actual}, topology/ says ${d.expected}`);
      ctx.print(`registered ${report.subjects.length} subject(s) with BACKWARD compatibility`);
      if (report.drift.length > 0) process.exitCode = 3;
    });
  topics
    .command("describe")
    .description("List declared topics with partitions, key, schema and dead-letter topic")
    .action(async () => {
      printTable(
        ctx,
        allTopics().map((t) => ({
          topic: t.name,
          role: t.role,
          partitions: String(t.partitions),
          key: t.key,
          schema: t.valueSchema,
          dlq: t.dlq ?? "",
        })),
      );
    });
}
