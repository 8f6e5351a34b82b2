import type { Command } from "commander";
import { readAll } from "../../consumers/dlq/index.ts";
import { parseDriftOptions } from "../../observability/drift/options.ts";
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
    .option(
      "--firing",
      "only features whose latest alert is FIRING and recent (repeated as the monitor does)",
    )
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
      let stale: DriftAlert[] = [];
      if (opts.firing) {
        const o = parseDriftOptions();
        ({ firing: alerts, stale } = latestFiring(alerts, Date.now(), 2 * (o.repeatAfterMs + o.intervalMs)));
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
      if (stale.length > 0) {
        ctx.print(
          `${stale.length} more whose latest alert is FIRING but was not repeated in time (VERDICT_DRIFT_REPEAT_MS): ` +
            `the monitor that raised them stopped (${stale.map((a) => `${a.model}@${a.version}/${a.feature}`).join(", ")})`,
        );
      }
    });
}

/**
 * Per model version and feature, the latest alert if it is FIRING. A monitor repeats a firing alert
 * every repeatAfterMs while it stays high; one not repeated within `staleAfterMs` belongs to a monitor
 * that stopped (a process that ended), so it is set apart rather than reported as firing now.
 */
export function latestFiring(
  alerts: readonly DriftAlert[],
  now: number,
  staleAfterMs: number,
): { firing: DriftAlert[]; stale: DriftAlert[] } {
  const latest = new Map<string, DriftAlert>();
  for (const a of [...alerts].sort((x, y) => x.detectedAt - y.detectedAt)) {
    latest.set(`${a.model}@${a.version}/${a.feature}`, a);
  }
  const open = [...latest.values()].filter((a) => a.status === "FIRING");
  return {
    firing: open.filter((a) => now - a.detectedAt <= staleAfterMs),
    stale: open.filter((a) => now - a.detectedAt > staleAfterMs),
  };
}
