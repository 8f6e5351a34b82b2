/** The `verdict` command line. Each command lives in cli/commands/; --help everywhere. */
import { Command } from "commander";
import { configCommand } from "./commands/config.ts";
import { dlqCommand } from "./commands/dlq.ts";
import { driftCommand } from "./commands/drift.ts";
import { lagCommand } from "./commands/lag.ts";
import { modelsCommand } from "./commands/models.ts";
import { replayGroupCommand } from "./commands/replay-group.ts";
import { runCommand } from "./commands/run.ts";
import { simulateCommand } from "./commands/simulate.ts";
import { stackCommand } from "./commands/stack.ts";
import { stageCommand } from "./commands/stage.ts";
import { tailCommand } from "./commands/tail.ts";
import { topicsCommand } from "./commands/topics.ts";
import { webhooksCommand } from "./commands/webhooks.ts";
import type { CliContext } from "./context.ts";

export function buildProgram(ctx: CliContext): Command {
  const program = new Command("verdict")
    .description("Verdict: event-driven streaming inference on Kafka")
    .showHelpAfterError()
    .configureHelp({ sortSubcommands: true });
  topicsCommand(program, ctx);
  stageCommand(program, ctx);
  dlqCommand(program, ctx);
  simulateCommand(program, ctx);
  runCommand(program, ctx);
  webhooksCommand(program, ctx);
  stackCommand(program, ctx);
  tailCommand(program, ctx);
  replayGroupCommand(program, ctx);
  modelsCommand(program, ctx);
  lagCommand(program, ctx);
  driftCommand(program, ctx);
  configCommand(program, ctx);
  return program;
}
