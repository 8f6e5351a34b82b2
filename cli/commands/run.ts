import type { Command } from "commander";
import { stageConfig } from "../../app/config-file.ts";
import { type EmbeddedRun, startEmbedded } from "../../app/embedded.ts";
import { deliveryOption, nonNegative, nonNegativeInt, port } from "../../lib/cli/index.ts";
import { httpOptionsFromEnv } from "../../observability/index.ts";
import { type CliContext, warnIfKafkajsUnpatched } from "../context.ts";
import { configState, renderPanel, summaryLine } from "../display.ts";
import { onShutdownSignal } from "../signals.ts";

export function runCommand(program: Command, ctx: CliContext): void {
  program
    .command("run")
    .description(
      "The embedded default: local stack, topology, fused pipeline, simulators, live numbers. " +
        "With KAFKA_BROKERS set it uses that cluster instead of starting one.",
    )
    .option("--no-stack", "never start the local stack (use KAFKA_BROKERS etc.)")
    .option("--keep-stack", "leave the local stack running on exit")
    .option("--no-simulator", "do not publish simulated events (consume what upstream apps publish)")
    .option("--rate <n>", "simulated events per second (0 = as fast as possible)", nonNegative, 300)
    .addOption(deliveryOption())
    .option("--seed <n>", "simulator seed", nonNegativeInt, 42)
    .option(
      "--config <file>",
      "scoring policy and inference settings, YAML or JSON (default VERDICT_CONFIG; see infra/config/verdict.example.yaml)",
    )
    .option(
      "--audit-topics",
      "also publish the intermediate records (ingested, features, scored) to their topics, for audit",
    )
    .option("--duration <s>", "stop by itself after this many seconds (0 = until Ctrl-C)", nonNegative, 0)
    .option(
      "--http-port <port>",
      "port of /metrics and /dashboard (0 = any free port; default VERDICT_HTTP_PORT or 9464)",
      port,
    )
    .action(async (opts) => {
      const started = Date.now();
      warnIfKafkajsUnpatched(ctx.logger);
      const loaded = stageConfig(opts.config);
      const tty = process.stdout.isTTY;
      // Ctrl-C while the local stack and the pipeline start: the JVMs this run spawned must not be
      // left running, so the start finishes (the stack then knows what it started) and everything
      // stops at once. A second Ctrl-C forces the exit, saying what is left.
      let stopNow: (() => void) | undefined;
      let stopRequested = false;
      onShutdownSignal(
        () => {
          if (stopNow) return stopNow();
          stopRequested = true;
          ctx.print("\nstopping as soon as the start-up has finished (Ctrl-C again to force)...");
        },
        {
          print: ctx.print,
          forceHint: opts.stack
            ? "A local stack this run started keeps running: `npm run stack:down` stops it."
            : undefined,
        },
      );
      const run: EmbeddedRun = await startEmbedded({
        stack: opts.stack,
        stopStack: !opts.keepStack,
        simulate: opts.simulator,
        rate: opts.rate,
        delivery: opts.delivery,
        seed: opts.seed,
        auditTopics: opts.auditTopics === true,
        config: loaded?.config,
        configFile: loaded?.file,
        print: ctx.print,
        logger: ctx.logger,
        http:
          opts.httpPort === undefined
            ? httpOptionsFromEnv()
            : { ...httpOptionsFromEnv(), port: opts.httpPort },
      });
      let simulated: number | undefined;
      // The simulation is finite (60 days of 2,000 cards, 50,000 posts): say when it ends, so that
      // "0 verdicts/s" afterwards reads as "all caught up", not as a stall.
      void run.simulatorDone.then(
        (n) => {
          if (opts.simulator === false || stopping) return;
          simulated = n;
          ctx.print(
            `\nsimulator finished: ${n} events published; the pipeline keeps consuming. Ctrl-C to stop.`,
          );
        },
        () => {},
      );
      const published = () => {
        const labels = run.labelsPublished();
        const n = simulated ?? run.published();
        return `${n}${labels > 0 ? ` (${labels} labels: no verdict)` : ""}${simulated === undefined ? "" : ", simulator done"}`;
      };
      let stopping: Promise<void> | undefined;
      const stop = (code: number) => {
        stopping ??= (async () => {
          clearInterval(timer);
          const s = run.monitor.snapshot();
          ctx.print(
            `\nstopping... ${summaryLine(s, published(), (Date.now() - started) / 1000, driftState(run))}`,
          );
          await run.stop();
          await ctx.close();
          process.exit(code);
        })();
        return stopping;
      };
      let ticks = 0;
      let reloadSeen = run.config().lastReload?.at;
      const timer = setInterval(() => {
        const elapsed = (Date.now() - started) / 1000;
        const s = run.monitor.snapshot();
        const providers = Object.entries(s.providers)
          .map(([p, n]) => `${p} (${n})`)
          .join(", ");
        const url = run.observability.server?.url();
        const links = url ? `\n  dashboard ${url}/dashboard   metrics ${url}/metrics\n` : "";
        const config = run.config();
        if (tty)
          process.stdout.write(
            renderPanel(s, published(), elapsed, providers || "—", driftState(run), configState(config)) +
              links,
          );
        else {
          if (config.lastReload?.at !== reloadSeen) ctx.print(`config: ${configState(config)}`);
          if (ticks % 5 === 0) ctx.print(summaryLine(s, published(), elapsed, driftState(run)));
        }
        reloadSeen = config.lastReload?.at;
        ticks++;
        if (opts.duration > 0 && elapsed >= opts.duration) void stop(0);
      }, 1000);
      stopNow = () => void stop(0);
      if (stopRequested) stopNow();
      run.done.catch((err) => {
        ctx.logger.fatal({ err }, "pipeline died");
        void stop(1);
      });
      await new Promise(() => {}); // runs until stop() exits the process
    });
}

/** The drift monitor in a few words: what fires, else whether the windows are still filling. */
export function driftState(run: Pick<EmbeddedRun, "observability">): string | undefined {
  const readings = run.observability.drift?.readings() ?? [];
  if (readings.length === 0) return undefined;
  const firing = readings.filter((r) => r.firing).map((r) => r.feature);
  if (firing.length > 0)
    return `${firing.length} firing (${firing.slice(0, 3).join(", ")}${firing.length > 3 ? ", …" : ""})`;
  const filling = readings.filter((r) => !r.ready);
  if (filling.length === readings.length) return `windows filling (${readings[0]!.window})`;
  const models = [...new Set(filling.map((r) => r.model))];
  return filling.length === 0 ? "no alerts" : `no alerts (${models.join(", ")}: windows filling)`;
}
