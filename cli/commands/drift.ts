import type { Command } from "commander";
import { readAll } from "../../consumers/dlq/index.ts";
import type { DriftAlert } from "../../schemas/generated/types.ts";
import { TOPICS } from "../../topology/index.ts";
import { type CliContext, printTable } from "../context.ts";

export function driftCommand(program: Command, ctx: CliContext): void {
  const drift = program
    .command("drift")
    .description("Model drift monitoring (PSI against model.json references)");
  drift
    .command("alerts")
    .description(`List drift alerts from ${TOPICS.driftAlerts.name}, oldest first`)
    .option("--model <name>", "only this model")
    .option("--feature <name>", "only this feature ('score' for the model's score)")
    .option("--firing", "only features whose latest alert is FIRING")
    .option("--json", "full alerts as JSON lines")
    .action(async (opts) => {
      const deps = await ctx.reachableDeps();
      let alerts: DriftAlert[] = [];
      await readAll(deps.kafka, TOPICS.driftAlerts.name, async (_p, message) => {
        alerts.push((await deps.codec.decode(TOPICS.driftAlerts, message.value)).value);
      });
      alerts = alerts
        .filter((a) => !opts.model || a.model === opts.model)
        .filter((a) => !opts.feature || a.feature === opts.feature)
        .sort((a, b) => a.detectedAt - b.detectedAt);
      if (opts.firing) {
        const latest = new Map<string, DriftAlert>();
        for (const a of alerts) latest.set(`${a.model}@${a.version}/${a.feature}`, a);
        alerts = [...latest.values()].filter((a) => a.status === "FIRING");
      }
      if (opts.json) {
        for (const a of alerts) ctx.print(JSON.stringify(a));
        return;
      }
      printTable(
        ctx,
        alerts.map((a) => ({
          detectedAt: new Date(a.detectedAt).toISOString(),
          status: a.status,
          model: `${a.model}@${a.version}`,
          feature: a.feature,
          psi: a.value.toFixed(3),
          threshold: String(a.threshold),
          window: String(a.windowSize),
          source: a.source,
        })),
      );
      ctx.print(`${alerts.length} alert(s)`);
    });
}
