#!/usr/bin/env -S npx tsx
/**
 * `npm run stack:up | stack:down | stack:status`: the local Kafka + registry + Redis stack.
 * Exit code 1 with the error code and an actionable message on failure.
 */
import { writeFileSync } from "node:fs";
import { Command } from "commander";
import { errorCode, errorMessage } from "../../lib/errors/index.ts";
import {
  COMPOSE_SERVER_PROPERTIES,
  composeServerProperties,
  stackDown,
  stackStatus,
  stackUp,
} from "./index.ts";

const print = (line: string) => process.stdout.write(`${line}\n`);

function envLines(e: {
  brokers: string[];
  saslBrokers: string[];
  registryUrl: string;
  redisUrl: string;
}): string {
  return [
    `KAFKA_BROKERS=${e.brokers.join(",")}`,
    `SCHEMA_REGISTRY_URL=${e.registryUrl}`,
    `REDIS_URL=${e.redisUrl}`,
    `# SASL/SCRAM: brokers ${e.saslBrokers.join(",")}, user verdict / verdict-secret`,
  ].join("\n");
}

const program = new Command("stack").description("Local Kafka + Apicurio Registry + Redis for Verdict");

program
  .command("up")
  .description("start the stack (idempotent: running services are left alone)")
  .action(async () => {
    const t0 = Date.now();
    const result = await stackUp({ print });
    const verb = result.started.length ? `up in ${((Date.now() - t0) / 1000).toFixed(1)}s` : "already up";
    print(`stack ${verb}\n${envLines(result)}`);
  });

program
  .command("down")
  .description("stop every process of the stack (by PID file, verified by command line)")
  .option("--purge", "also delete the state dir: Kafka data, registry database, logs")
  .action(async (flags: { purge?: boolean }) => {
    await stackDown({ print, purge: Boolean(flags.purge) });
  });

program
  .command("status")
  .description("state, PID and endpoint of each service")
  .option("--json", "machine-readable output")
  .action(async (flags: { json?: boolean }) => {
    const status = await stackStatus(flags.json ? {} : { print });
    if (flags.json) print(JSON.stringify(status, null, 2));
    else print(envLines(status.endpoints));
  });

program
  .command("compose-config", { hidden: true })
  .description(`regenerate ${COMPOSE_SERVER_PROPERTIES} from infra/local/kafka-config.ts`)
  .action(() => {
    writeFileSync(COMPOSE_SERVER_PROPERTIES, composeServerProperties());
    print(`wrote ${COMPOSE_SERVER_PROPERTIES}`);
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`${errorCode(err)}: ${errorMessage(err)}\n`);
  process.exit(1);
});
