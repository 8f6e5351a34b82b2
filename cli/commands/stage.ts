import type { Command } from "commander";
import { buildStage, StageContext, stageNames } from "../../app/stages.ts";
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
    .option(
      "--session-timeout <ms>",
      "consumer group session timeout (how fast a dead member is replaced)",
      "30000",
    )
    .action(async (names: string[], opts) => {
      const deps = ctx.deps();
      const shared = new StageContext(deps, { state: opts.state });
      const stages = names.map((n) => buildStage(n, shared));
      const units = opts.fused ? [fuse(stages, { name: names.join("+") })] : stages;
      const runners = units.map((stage) =>
        createStageRunner(
          stage,
          { kafka: deps.kafka, codec: deps.codec, logger: deps.logger },
          {
            delivery: opts.delivery,
            instanceId: opts.instanceId,
            partitionsConsumedConcurrently: Number(opts.concurrency),
            sessionTimeoutMs: Number(opts.sessionTimeout),
            heartbeatIntervalMs: Math.max(100, Math.floor(Number(opts.sessionTimeout) / 10)),
          },
        ),
      );
      await runUntilSignal(ctx, runners, () => shared.close());
    });
}
