import type { Command } from "commander";
import { stackDown, stackStatus, stackUp } from "../../infra/local/index.ts";
import type { CliContext } from "../context.ts";

function envLines(e: { brokers: string[]; saslBrokers: string[]; registryUrl: string; redisUrl: string }) {
  return [
    `KAFKA_BROKERS=${e.brokers.join(",")}`,
    `SCHEMA_REGISTRY_URL=${e.registryUrl}`,
    `REDIS_URL=${e.redisUrl}`,
    `# SASL/SCRAM: brokers ${e.saslBrokers.join(",")}, user verdict / verdict-secret`,
  ];
}

export function stackCommand(program: Command, ctx: CliContext): void {
  const stack = program
    .command("stack")
    .description("The local Kafka + Apicurio Registry + Redis stack (infra/local): up, down, status");
  stack
    .command("up")
    .description("Start the stack (idempotent: running services are left alone); prints the endpoints")
    .action(async () => {
      const t0 = Date.now();
      const up = await stackUp({ print: ctx.print });
      ctx.print(
        up.started.length ? `stack up in ${((Date.now() - t0) / 1000).toFixed(1)}s` : "stack already up",
      );
      for (const line of envLines(up)) ctx.print(line);
    });
  stack
    .command("down")
    .description("Stop every service of the stack (other users of the same stack lose it too)")
    .option("--purge", "also delete the state dir: Kafka data, registry database, logs")
    .action(async (opts: { purge?: boolean }) => {
      await stackDown({ print: ctx.print, purge: Boolean(opts.purge) });
    });
  stack
    .command("status")
    .description("State, PID and endpoint of each service; exit code 3 when one is not running")
    .option("--json", "machine-readable output")
    .action(async (opts: { json?: boolean }) => {
      const status = await stackStatus(opts.json ? {} : { print: ctx.print });
      if (opts.json) ctx.print(JSON.stringify(status, null, 2));
      else for (const line of envLines(status.endpoints)) ctx.print(line);
      if (status.services.some((s) => s.state !== "running")) process.exitCode = 3;
    });
}
