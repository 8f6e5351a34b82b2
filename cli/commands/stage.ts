import { type Command, Option } from "commander";
import { stageConfig } from "../../app/config-file.ts";
import { buildStage, StageContext, stageNames } from "../../app/stages.ts";
import { describeServing } from "../../consumers/inference/index.ts";
import { createStageRunner, fuse } from "../../consumers/runtime/index.ts";
import { deliveryOption, nonNegativeInt, port, positiveInt } from "../../lib/cli/index.ts";
import { VerdictError } from "../../lib/errors/index.ts";
import { createObservability, findInferenceStage, httpOptionsFromEnv } from "../../observability/index.ts";
import { type CliContext, warnIfKafkajsUnpatched } from "../context.ts";
import { runUntilSignal } from "../signals.ts";

export function stageCommand(program: Command, ctx: CliContext): void {
  program
    .command("stage <names...>")
    .description(`Run pipeline stages as consumer groups (split mode). Stages: ${stageNames().join(", ")}`)
    .option("--fused", "chain the named stages in one consumer group instead of one group each")
    .option(
      "--config <file>",
      "scoring policy and inference settings, YAML or JSON (default VERDICT_CONFIG; see infra/config/verdict.example.yaml)",
    )
    .option(
      "--audit-topics",
      "with --fused: also publish the intermediate records (e.g. ingested, features, scored) to their topics",
    )
    .addOption(deliveryOption())
    .addOption(
      new Option("--state <backend>", "where stage state lives: redis | memory")
        .choices(["redis", "memory"])
        .default("redis"),
    )
    .option(
      "--instance-id <id>",
      "stable id of this instance (transactional id suffix)",
      process.env.HOSTNAME ?? "0",
    )
    .option("--concurrency <n>", "partitions processed concurrently", positiveInt, 3)
    .option(
      "--session-timeout <ms>",
      "consumer group session timeout (how fast a dead member is replaced)",
      positiveInt,
      30_000,
    )
    .option(
      "--commit-interval <ms>",
      "at-least-once: commit acknowledged offsets at most this often (0 = after every acknowledgement)",
      nonNegativeInt,
      100,
    )
    .option(
      "--linger <ms>",
      "at-least-once: a produce request waits up to this long for more outputs (Kafka's linger.ms)",
      nonNegativeInt,
      2,
    )
    .addOption(
      new Option(
        "--on-refused-output <policy>",
        "at-least-once, outputs the broker refuses for good: dead-letter (the refused record to its DLQ, the partition moves on) | retry (re-read until the topic is fixed)",
      )
        .choices(["retry", "dead-letter"])
        .default("dead-letter"),
    )
    .option(
      "--http-port <port>",
      "port of /metrics, /healthz, /readyz and /dashboard (0 = any free port; VERDICT_HTTP_PORT)",
      port,
    )
    .action(async (names: string[], opts) => {
      if (opts.auditTopics && !opts.fused) {
        throw new VerdictError(
          "VERDICT_ERR_CONFIG",
          "--audit-topics needs --fused: split stages publish every output to its topic anyway",
        );
      }
      const loaded = stageConfig(opts.config);
      const config = loaded?.config;
      const deps = ctx.deps();
      warnIfKafkajsUnpatched(ctx.logger);
      const shared = new StageContext(deps, {
        state: opts.state,
        policy: config?.scoring,
        inference: config?.inference,
      });
      if (loaded) shared.watchConfig(loaded.file);
      const http = httpOptionsFromEnv();
      const observability = createObservability(deps, {
        config: () => shared.configStatus(),
        name: names.join(opts.fused ? "+" : ","),
        http: opts.httpPort === undefined ? http : { ...http, port: opts.httpPort },
        redis: opts.state === "redis",
      });
      const stages = observability.instrument(names.map((n) => buildStage(n, shared)));
      const units = opts.fused
        ? [fuse(stages, { name: names.join("+"), emitIntermediate: opts.auditTopics === true })]
        : stages;
      const runners = units.map((stage) =>
        createStageRunner(
          stage,
          {
            kafka: deps.kafka,
            codec: deps.codec,
            logger: deps.logger,
            instrumentation: observability.instrumentation,
          },
          {
            delivery: opts.delivery,
            instanceId: opts.instanceId,
            partitionsConsumedConcurrently: opts.concurrency,
            sessionTimeoutMs: opts.sessionTimeout,
            heartbeatIntervalMs: Math.max(100, Math.floor(opts.sessionTimeout / 10)),
            commitIntervalMs: opts.commitInterval,
            lingerMs: opts.linger,
            onRefusedOutput: opts.onRefusedOutput,
          },
        ),
      );
      for (const [i, r] of runners.entries()) observability.track(r, units[i]!);
      await observability.start();
      await runUntilSignal(ctx, runners, {
        onStarted() {
          // What a person starting a stage wants to see once (logs default to warn).
          for (const [i, r] of runners.entries()) {
            const inputs = units[i]!.inputs.map((input) => input.topic.name).join(", ");
            ctx.print(`${units[i]!.name}: group ${r.groupId} consuming ${inputs} (${r.settings.delivery})`);
          }
          const inference = findInferenceStage(stages);
          if (inference) ctx.print(`models: ${describeServing(inference.status())}`);
          const url = observability.server?.url();
          if (url) ctx.print(`metrics: ${url}/metrics   dashboard: ${url}/dashboard`);
        },
        async onStop() {
          await observability.stop();
          await shared.close();
        },
      });
    });
}
