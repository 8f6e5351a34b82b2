/**
 * vitest global setup of the `integration` project: picks a stack (see choose.ts), provides its
 * endpoints to tests (`inject("stack")`) and exports KAFKA_BROKERS / SCHEMA_REGISTRY_URL /
 * REDIS_URL so code under test that reads the environment finds the same stack.
 *
 * Local stack lifetime: a stack that was already running is left running. One this setup started
 * is stopped at teardown, unless VERDICT_STACK_KEEP=1 (re-runs then skip the ~15-25 s start) or
 * another test run still holds a lease on it (lease.ts). The default stops it so CI and one-off
 * runs leave no JVMs behind.
 */
import type { TestProject } from "vitest/node";
import { resolveStackOptions, stackDown, stackUp } from "../../infra/local/index.ts";
import { chooseSource, stackFromEnv } from "./choose.ts";
import { startContainers } from "./containers.ts";
import { takeLease } from "./lease.ts";
import type { ProvidedStack } from "./provided.ts";

const keep = () => /^(1|true|yes|on)$/i.test(process.env.VERDICT_STACK_KEEP ?? "");

const log = (line: string) => process.stdout.write(`[stack] ${line}\n`);

async function provision(): Promise<{ stack: ProvidedStack; teardown?: () => Promise<void> }> {
  const source = await chooseSource(process.env);
  if (source === "env") return { stack: stackFromEnv(process.env) };
  if (source === "testcontainers") {
    log("Docker engine found: starting Kafka, Apicurio and Redis containers");
    const containers = await startContainers();
    return { stack: containers.stack, teardown: containers.stop };
  }
  const t0 = Date.now();
  // Taken before `up`, so a run finishing meanwhile sees us and leaves the stack running.
  const lease = takeLease(resolveStackOptions().stateDir);
  const up = await stackUp({ print: log }).catch((err: unknown) => {
    lease.release();
    throw err;
  });
  const stack: ProvidedStack = { source: "local", ...up, scram: up.scram };
  const startedAll = up.started.length === up.services.length;
  log(
    `local stack ready in ${((Date.now() - t0) / 1000).toFixed(1)}s (started: ${up.started.join(", ") || "none"})`,
  );
  return {
    stack,
    teardown: async () => {
      const others = lease.release();
      if (!startedAll || keep()) return;
      if (others > 0) {
        log(`leaving the local stack running: ${others} other test run(s) still use it`);
        return;
      }
      await stackDown({ print: log });
    },
  };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { stack, teardown } = await provision();
  project.provide("stack", {
    source: stack.source,
    brokers: stack.brokers,
    saslBrokers: stack.saslBrokers,
    registryUrl: stack.registryUrl,
    redisUrl: stack.redisUrl,
    scram: stack.scram,
  });
  // Workers are forked after global setup and inherit this environment.
  process.env.KAFKA_BROKERS = stack.brokers.join(",");
  process.env.SCHEMA_REGISTRY_URL = stack.registryUrl;
  process.env.REDIS_URL = stack.redisUrl;
  return async () => {
    await teardown?.();
  };
}
