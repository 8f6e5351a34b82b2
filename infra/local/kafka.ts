/**
 * The Kafka broker of the local stack: Kafka 3.9 jars from Maven Central, single-node KRaft, run
 * as `java -cp <lib>/* kafka.Kafka server.properties` (what kafka-server-start.sh does, minus the
 * shell scripts the Maven artifacts don't ship). Storage is formatted once, with the SCRAM user.
 */

import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { VerdictError } from "../../lib/errors/index.ts";
import { ensureKafkaLib } from "./fetch.ts";
import { kafkaHealthy } from "./health.ts";
import { findJava } from "./java.ts";
import {
  localKafkaConfig,
  log4jProperties,
  OFFSETS_TOPIC_PARTITIONS,
  SCRAM_MECHANISMS,
  SCRAM_USER,
  serverProperties,
} from "./kafka-config.ts";
import type { StackOptions } from "./options.ts";
import type { ServiceSpec } from "./service.ts";
import { JAVA_MIN, KAFKA } from "./versions.ts";

const run = promisify(execFile);

export function kafkaLayout(stateDir: string) {
  const dir = join(stateDir, "kafka");
  return {
    dir,
    dataDir: join(dir, "data"),
    logsDir: join(dir, "logs"),
    properties: join(dir, "server.properties"),
    log4j: join(dir, "log4j.properties"),
    outFile: join(dir, "logs", "kafka.out"),
    pidFile: join(stateDir, "kafka.pid"),
  };
}

/**
 * A KRaft cluster id: 16 random bytes, base64url without padding (what `kafka-storage random-uuid`
 * prints). Never one starting with "-": the storage tool's argument parser would read it as an option
 * ("argument --cluster-id: expected one argument"; Kafka's own Uuid.randomUuid() redraws those too).
 */
export function newClusterId(random: (n: number) => Buffer = randomBytes): string {
  for (;;) {
    const id = random(16).toString("base64url");
    if (!id.startsWith("-")) return id;
  }
}

/** `--add-scram` arguments: one credential per mechanism for the same user. */
export function scramArgs(): string[] {
  return SCRAM_MECHANISMS.flatMap((m) => [
    "--add-scram",
    `${m}=[name=${SCRAM_USER.username},password=${SCRAM_USER.password}]`,
  ]);
}

function jvmArgs(opts: StackOptions, layout: ReturnType<typeof kafkaLayout>): string[] {
  return [
    "-Xms128m",
    `-Xmx${opts.kafkaHeap}`,
    // kafka-run-class.sh's defaults for the broker.
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:InitiatingHeapOccupancyPercent=35",
    "-XX:+ExplicitGCInvokesConcurrent",
    "-Djava.awt.headless=true",
    `-Dlog4j.configuration=file:${layout.log4j}`,
    `-Dkafka.logs.dir=${layout.logsDir}`,
  ];
}

/** Formats the data dir once. meta.properties is what the broker itself checks on start. */
async function formatOnce(
  java: string,
  lib: string,
  opts: StackOptions,
  layout: ReturnType<typeof kafkaLayout>,
) {
  if (existsSync(join(layout.dataDir, "meta.properties"))) return;
  // A data dir without meta.properties is a format that died half-way: start over.
  rmSync(layout.dataDir, { recursive: true, force: true });
  const args = [
    ...jvmArgs(opts, layout),
    "-cp",
    `${lib}/*`,
    "kafka.tools.StorageTool",
    "format",
    `--cluster-id=${newClusterId()}`,
    "--config",
    layout.properties,
    ...scramArgs(),
  ];
  try {
    await run(java, args, { timeout: 120_000 });
  } catch (cause) {
    const err = cause as { stdout?: string; stderr?: string };
    throw new VerdictError(
      "VERDICT_ERR_STACK_UNHEALTHY",
      `kafka storage format failed:\n${err.stdout ?? ""}${err.stderr ?? ""}`.trim(),
      { cause, context: { service: "kafka", dataDir: layout.dataDir } },
    );
  }
}

export function kafkaService(opts: StackOptions): ServiceSpec {
  const layout = kafkaLayout(opts.stateDir);
  const { host, ports } = opts;
  return {
    name: "kafka",
    endpoint: `${host}:${ports.kafka} (sasl ${host}:${ports.kafkaSasl})`,
    ports: [
      { key: "kafka", port: ports.kafka },
      { key: "kafkaController", port: ports.kafkaController },
      { key: "kafkaSasl", port: ports.kafkaSasl },
    ],
    pidFile: layout.pidFile,
    logFiles: [join(layout.logsDir, "server.log"), layout.outFile],
    markers: ["kafka.Kafka", layout.properties],
    stopGraceMs: 30_000,
    async prepare() {
      const [java, lib] = await Promise.all([
        findJava(JAVA_MIN.kafka, `Kafka ${KAFKA.version}`, process.env, opts.cacheDir),
        ensureKafkaLib(opts.cacheDir),
      ]);
      mkdirSync(layout.logsDir, { recursive: true });
      // Rewritten on every start so a changed port takes effect; the data dir keeps the cluster.
      writeFileSync(layout.properties, serverProperties(localKafkaConfig(host, ports, layout.dataDir)));
      writeFileSync(layout.log4j, log4jProperties(layout.logsDir));
      await formatOnce(java.bin, lib, opts, layout);
      return {
        command: java.bin,
        args: [...jvmArgs(opts, layout), "-cp", `${lib}/*`, "kafka.Kafka", layout.properties],
        cwd: layout.dir,
        outFile: layout.outFile,
      };
    },
    healthy: (timeoutMs = 5000) =>
      kafkaHealthy([`${host}:${ports.kafka}`], timeoutMs, OFFSETS_TOPIC_PARTITIONS),
  };
}
