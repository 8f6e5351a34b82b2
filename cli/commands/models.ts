import type { Command } from "commander";
import { stageConfig } from "../../app/config-file.ts";
import { defaultModelsDir, STAGE_FEATURE_SETS, STAGE_FEATURES } from "../../app/stages.ts";
import {
  checkModelVersion,
  ModelRegistry,
  parseInferenceSettings,
  stageRuntime,
  type VersionCheck,
} from "../../consumers/inference/index.ts";
import { percent } from "../../lib/cli/index.ts";
import { errorMessage, VerdictError } from "../../lib/errors/index.ts";
import { type CliContext, printTable } from "../context.ts";

const DEFAULT_URL = `http://127.0.0.1:${process.env.VERDICT_HTTP_PORT || 9464}`;

function registry(ctx: CliContext, dir: string | undefined): ModelRegistry {
  return new ModelRegistry({ root: dir ?? defaultModelsDir(), logger: ctx.logger });
}

/** Calls a running process's model admin endpoint (observability/http). */
async function live(url: string, path: string, init: RequestInit = {}): Promise<unknown> {
  const token = process.env.VERDICT_ADMIN_TOKEN;
  let res: Response;
  try {
    res = await fetch(new URL(path, url), {
      ...init,
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      signal: AbortSignal.timeout(15_000),
    });
  } catch (cause) {
    throw new VerdictError(
      "VERDICT_ERR_CONFIG",
      `No Verdict process answers at ${url} (${(cause as Error).message}): start one (verdict run / verdict stage inference) or pass --url`,
      { cause },
    );
  }
  const body = (await res.json().catch(() => ({}))) as { error?: string };
  if (!res.ok)
    throw new VerdictError("VERDICT_ERR_CONFIG", `${url}${path}: ${res.status} ${body.error ?? ""}`);
  return body;
}

type VersionChecker = (name: string, version: string) => Promise<VersionCheck>;

/**
 * Runs `use` with a checker that loads name@version as the inference stage would, with the same
 * settings (the configuration file's, `--config` or VERDICT_CONFIG, then the environment's:
 * VERDICT_EP, …) and the same runtime: its ONNX worker threads (`workers`, default 1), ended after.
 */
async function withVersionChecker<T>(
  ctx: CliContext,
  reg: ModelRegistry,
  configFile: string | undefined,
  use: (check: VersionChecker) => Promise<T>,
): Promise<T> {
  const settings = parseInferenceSettings(stageConfig(configFile)?.config.inference);
  const runtime = stageRuntime(settings);
  try {
    return await use(async (name, version) =>
      checkModelVersion(await reg.load(name, version), {
        runtime,
        settings,
        features: STAGE_FEATURES,
        featureSets: STAGE_FEATURE_SETS,
        logger: ctx.logger,
      }),
    );
  } finally {
    await runtime.close();
  }
}

function report(c: VersionCheck): string[] {
  const thresholds = Object.entries(c.thresholds)
    .map(([k, t]) => `${k} ${t}`)
    .join(", ");
  return [
    `${c.model}: ok, a running inference stage would load it`,
    `  domain      ${c.domain}, feature set ${c.featureSet ?? "(none declared)"}`,
    ...c.inputs.map((i, n) => `  ${n === 0 ? "inputs " : "       "}     ${i}`),
    `  provider    ${c.provider} (passed the self-check: ${c.providers.join(", ")})`,
    c.parity
      ? `  parity      ${c.parity.rows} rows scored in batches, max |Δ| ${c.parity.maxDiff.toExponential(2)} (tolerance ${c.parity.tolerance})`
      : `  parity      no parity-sample.json: ${c.syntheticRows} synthetic rows scored, nothing to compare with`,
    `  thresholds  ${thresholds}`,
    `  batching    up to ${c.batching.maxBatchSize} rows, waiting at most ${c.batching.maxQueueDelayMs} ms (${c.batching.fromModel ? "model.json serving.batching over the stage's settings" : "the stage's settings"})`,
    ...(c.clearBelow === undefined
      ? []
      : [`  screening   clears below ${c.clearBelow} as a cascade's screen`]),
  ];
}

export function modelsCommand(program: Command, ctx: CliContext): void {
  const models = program
    .command("models")
    .description("Model versions on disk (models/<name>/<version>), activation, shadow and canary rollout");
  const dirOption = [
    "--dir <path>",
    "models folder (default VERDICT_MODELS_DIR or the repo's models/)",
  ] as const;
  const configOption = [
    "--config <file>",
    "the stages' configuration file, for the inference settings to load with (default VERDICT_CONFIG)",
  ] as const;
  models
    .command("list")
    .description(
      "Every model and version on disk, which one is active, and (with --url) what a running process serves",
    )
    .option(...dirOption)
    .option("--url <url>", "also show the live rollout of the Verdict process at this observability URL")
    .action(async (opts) => {
      const reg = registry(ctx, opts.dir);
      const rows: Record<string, string>[] = [];
      for (const name of await reg.listModels()) {
        const active = await reg.activeVersion(name).catch(() => "");
        for (const version of await reg.listVersions(name)) {
          const m = (await reg.load(name, version).catch(() => undefined))?.manifest;
          rows.push({
            model: name,
            version,
            active: version === active ? "*" : "",
            domain: m?.domain ?? "?",
            featureSet: m?.featureSet ?? "",
            created: (m as { created?: string } | undefined)?.created ?? "",
          });
        }
      }
      printTable(ctx, rows);
      if (opts.url) ctx.print(JSON.stringify(await live(opts.url, "/api/models"), null, 2));
    });
  models
    .command("check [name] [version]")
    .description(
      "Load a version exactly as a running inference stage would (model.json, hash, the stage's features and " +
        "feature set, ONNX inputs, provider chain and self-check), score its parity sample in batches, and report; " +
        "activates nothing. Default version: the active one; no name: every model's active version",
    )
    .option(...dirOption)
    .option(...configOption)
    .action(async (name: string | undefined, version: string | undefined, opts) => {
      const reg = registry(ctx, opts.dir);
      if (name) {
        const v = version ?? (await reg.activeVersion(name));
        const checked = await withVersionChecker(ctx, reg, opts.config, (check) => check(name, v));
        for (const line of report(checked)) ctx.print(line);
        return;
      }
      // Every model: report each, then fail once, naming the versions a stage would refuse.
      const refused: string[] = [];
      await withVersionChecker(ctx, reg, opts.config, async (check) => {
        for (const model of await reg.listModels()) {
          const v = await reg.activeVersion(model);
          try {
            for (const line of report(await check(model, v))) ctx.print(line);
          } catch (err) {
            refused.push(`${model}@${v}`);
            ctx.print(`${model}@${v}: refused`);
            for (const line of errorMessage(err).split("\n")) ctx.print(`  ${line}`);
          }
        }
      });
      if (refused.length > 0) {
        throw new VerdictError(
          "VERDICT_ERR_MODEL_INVALID",
          `${refused.length} active model version(s) a stage would refuse: ${refused.join(", ")}`,
        );
      }
    });
  models
    .command("activate <name> <version>")
    .description(
      "Make <version> the active one: validated, then models/<name>/ACTIVE is replaced atomically; running stages hot-reload it",
    )
    .option(...dirOption)
    .option(...configOption)
    .option(
      "--no-check",
      "skip loading it as a stage would first (model.json and the hash are still checked)",
    )
    .action(async (name: string, version: string, opts) => {
      const reg = registry(ctx, opts.dir);
      const previous = await reg.activeVersion(name).catch(() => undefined);
      // What the running stages would refuse is refused here, before ACTIVE changes.
      if (opts.check) await withVersionChecker(ctx, reg, opts.config, (check) => check(name, version));
      await reg.activate(name, version);
      ctx.print(`${name}: active version ${version}${previous ? ` (was ${previous})` : ""}`);
    });
  models
    .command("shadow <name> [versions...]")
    .description(
      "Score every record with these versions too, on the shadow topic only (never affects verdicts), " +
        "in the running process at --url; no versions (or --clear) stops shadowing",
    )
    .option("--url <url>", "observability URL of the process running inference", DEFAULT_URL)
    .option("--clear", "remove every shadow version")
    .option(...dirOption)
    .action(async (name: string, versions: string[], opts) => {
      const shadow = opts.clear ? [] : versions;
      for (const v of shadow) await registry(ctx, opts.dir).load(name, v); // refuse a bad version here first
      const result = await live(opts.url, `/api/models/${name}/rollout`, {
        method: "PUT",
        body: JSON.stringify({ shadow }),
      });
      ctx.print(JSON.stringify(result, null, 2));
    });
  models
    .command("canary <name> <version>")
    .description(
      "Score --percent % of keys (stable hash of the partition key) with <version> in the running process at --url",
    )
    .requiredOption("--percent <n>", "share of keys, 0-100 (0 removes the canary)", percent)
    .option("--url <url>", "observability URL of the process running inference", DEFAULT_URL)
    .option(...dirOption)
    .action(async (name: string, version: string, opts) => {
      const share: number = opts.percent;
      if (share > 0) await registry(ctx, opts.dir).load(name, version);
      const result = await live(opts.url, `/api/models/${name}/rollout`, {
        method: "PUT",
        body: JSON.stringify({ canary: share > 0 ? { version, percent: share } : null }),
      });
      ctx.print(JSON.stringify(result, null, 2));
    });
}
