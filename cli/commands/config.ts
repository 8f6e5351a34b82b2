import type { Command } from "commander";
import { stringify } from "yaml";
import { stageConfig } from "../../app/config-file.ts";
import { defaultModelsDir } from "../../app/stages.ts";
import { readAll } from "../../consumers/dlq/index.ts";
import { ModelRegistry, parseInferenceSettings } from "../../consumers/inference/index.ts";
import {
  type BacktestDomain,
  type BacktestReport,
  backtestPolicy,
  type ModelInfo,
  type PastVerdict,
  parseScoringPolicy,
  registryCatalog,
} from "../../consumers/scoring/index.ts";
import { positiveInt } from "../../lib/cli/index.ts";
import { TOPICS } from "../../topology/index.ts";
import { type CliContext, printTable } from "../context.ts";

/**
 * The settings `verdict run` / `verdict stage` would run with, resolved the way they resolve them:
 * the configuration file's values, then the environment's, then the defaults. For checking a file
 * before a rollout (`promtool check config`, `nginx -t`): nothing connects.
 */
export function effectiveSettings(
  file: string | undefined,
  env: Record<string, string | undefined> = process.env,
): { file: string | null; modelsDir: string; scoring: unknown; inference: unknown } {
  const loaded = stageConfig(file, env);
  const config = loaded?.config;
  const { registry: _unused, ...inference } = parseInferenceSettings(config?.inference, env);
  return {
    file: loaded?.file ?? null,
    modelsDir: defaultModelsDir(env),
    scoring: parseScoringPolicy(config?.scoring),
    inference,
  };
}

export function configCommand(program: Command, ctx: CliContext): void {
  const config = program
    .command("config")
    .description(
      "The stage configuration file: scoring policy and inference settings (--config, VERDICT_CONFIG)",
    );
  config
    .command("check [file]")
    .description(
      "Validate a configuration file (default: VERDICT_CONFIG's) and print the settings a stage would run with: the file's, then the environment's, then the defaults. Connects to nothing.",
    )
    .option("--json", "print them as JSON instead of YAML")
    .action((file: string | undefined, opts) => {
      const settings = effectiveSettings(file);
      ctx.print(opts.json ? JSON.stringify(settings, null, 2) : stringify(settings).trimEnd());
    });
  config
    .command("backtest [file]")
    .description(
      "Decide the latest verdicts again under a candidate scoring policy (a configuration file; default: VERDICT_CONFIG's, else the defaults) and count what would change. Model-decided verdicts get the candidate's thresholds (or their model.json's, with useModelThresholds); rule-decided ones are counted as they were: rules read features, which verdicts do not carry. Changes nothing.",
    )
    .option("--last <n>", "verdicts read per partition of each result topic, the newest", positiveInt, 10_000)
    .option("--json", "print the report as JSON")
    .action(async (file: string | undefined, opts) => {
      const policy = parseScoringPolicy(stageConfig(file)?.config.scoring);
      const deps = await ctx.reachableDeps();
      const past: { domain: BacktestDomain; verdict: PastVerdict }[] = [];
      for (const [domain, topic] of [
        ["fraud", TOPICS.fraudVerdicts],
        ["moderation", TOPICS.moderationVerdicts],
      ] as const) {
        await readAll(
          deps.kafka,
          topic.name,
          async (_partition, message) => {
            past.push({ domain, verdict: (await deps.codec.decode(topic, message.value)).value });
          },
          { last: opts.last },
        );
      }
      // The thresholds each model version carries, as the scoring stage reads them.
      const catalog = registryCatalog(new ModelRegistry({ root: defaultModelsDir() }), ctx.logger);
      const infos = new Map<string, ModelInfo | undefined>();
      for (const { verdict } of past) {
        const id = `${verdict.model.name}@${verdict.model.version}`;
        if (verdict.model.provider !== "rules" && !infos.has(id)) {
          infos.set(id, await catalog.describe(verdict.model));
        }
      }
      const report = backtestPolicy(past, policy, (m) => infos.get(`${m.name}@${m.version}`));
      if (opts.json) ctx.print(JSON.stringify(report, null, 2));
      else printBacktest(ctx, report);
    });
}

function printBacktest(ctx: CliContext, report: BacktestReport): void {
  for (const [domain, r] of Object.entries(report)) {
    ctx.print(
      `${domain}: ${r.verdicts} verdicts; ${r.redecided} decided again (${r.changed} would change), ${r.byRules} decided by rules (kept)`,
    );
    printTable(
      ctx,
      Object.entries(r.transitions)
        .sort(([, a], [, b]) => b - a)
        .map(([t, n]) => {
          const [was, would] = t.split("→") as [string, string];
          return {
            was,
            "would be": would,
            verdicts: String(n),
            share: `${((100 * n) / r.redecided).toFixed(2)} %`,
          };
        }),
    );
  }
}
