import type { Command } from "commander";
import { stringify } from "yaml";
import { stageConfig } from "../../app/config-file.ts";
import { defaultModelsDir } from "../../app/stages.ts";
import { parseInferenceSettings } from "../../consumers/inference/index.ts";
import { parseScoringPolicy } from "../../consumers/scoring/index.ts";
import type { CliContext } from "../context.ts";

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
}
