import type { Command } from "commander";
import { buildStage, stageNames } from "../../app/stages.ts";
import { createStageRunner, fuse } from "../../consumers/runtime/index.ts";
import type { CliContext } from "../context.ts";
import { runUntilSignal } from "../signals.ts";

export function stageCommand(program: Command, ctx: CliContext): void {
  program
    .command("stage <names...>")
    .description(`Run pipeline stages as consumer groups (split mode). Stages: ${stageNames().join(", ")}`)
    .option("--fused", "chain the named stages in one consumer group instead of one group each")
    .option("--delivery <mode>", "at-least-once | exactly-once", "at-least-once")
    .option("--state <backend>", "where stage state lives: redis | memory", "redis")
    .option(
      "--instance-id <id>",
      "stable id of this instance (transactional id suffix)",
      process.env.HOSTNAME ?? "0",
    )
    .option("--concurrency <n>", "partitions processed concurrently", "3")
    .action(async (names: string[], opts) => {
      const deps = ctx.deps();
      const stages = await Promise.all(names.map((n) => buildStage(n, deps, { state: opts.state })));
      const units = opts.fused ? [fuse(stages, { name: names.join("+") })] : stages;
      const runners = units.map((stage) =>
        createStageRunner(
          stage,
          { kafka: deps.kafka, codec: deps.codec, logger: deps.logger },
          {
            delivery: opts.delivery,
            instanceId: opts.instanceId,
            partitionsConsumedConcurrently: Number(opts.concurrency),
          },
        ),
      );
      await runUntilSignal(ctx, runners);
    });
}
