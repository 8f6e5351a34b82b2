/**
 * The stage configuration file (`--config <file>` on `verdict run` and `verdict stage`, or
 * VERDICT_CONFIG): the scoring policy (rules, thresholds, explanations) and the inference settings
 * (models per domain, canary, shadow, cascade screen, providers, batching) as data, in YAML or JSON.
 * Validated at start-up; every error names the file and the setting. Connections stay in the
 * environment (KAFKA_BROKERS etc.), as in the rest of Verdict. While a stage runs, watchStageConfig
 * notices edits of the file (a Kubernetes ConfigMap update included): the scoring section applies
 * hot (app/config-reload.ts), an invalid file is refused and the running configuration kept.
 *
 *   scoring:                      # consumers/scoring/README.md, "Policy options"
 *     fraud:
 *       rules: { declineAbove: 5000 }
 *   inference:                    # consumers/inference/README.md, "Settings"
 *     models:
 *       fraud: { name: fraud-gbt, canary: { version: 1.1.0, percent: 10 } }
 *
 * `infra/config/verdict.example.yaml` lists every setting with its default.
 */
import { readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { parse } from "yaml";
import { type InferenceSettingsInput, parseInferenceSettings } from "../consumers/inference/index.ts";
import { parseScoringPolicy, type ScoringPolicyInput } from "../consumers/scoring/index.ts";
import { errorMessage, VerdictError } from "../lib/errors/index.ts";

export interface StageConfig {
  scoring?: ScoringPolicyInput;
  inference?: InferenceSettingsInput;
}

const SECTIONS = ["scoring", "inference"] as const;

/** The file a command reads: the flag's, else VERDICT_CONFIG's, else none (the defaults). */
function configPath(flag: string | undefined, env = process.env): string | undefined {
  return flag ?? (env.VERDICT_CONFIG?.trim() || undefined);
}

/** The configuration a command runs with, and its file: configPath's, validated, else none (the defaults). */
export function stageConfig(
  flag: string | undefined,
  env = process.env,
): { file: string; config: StageConfig } | undefined {
  const file = configPath(flag, env);
  return file ? { file, config: loadStageConfig(file, env) } : undefined;
}

/** Reads and validates a stage configuration file. */
export function loadStageConfig(path: string, env = process.env): StageConfig {
  return parseStageConfig(readConfigText(resolve(path)), resolve(path), env);
}

function refusal(file: string, message: string): VerdictError {
  return new VerdictError("VERDICT_ERR_CONFIG", `${file}: ${message}`);
}

function readConfigText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    throw refusal(file, `cannot read the configuration file (${errorMessage(err)})`);
  }
}

/** Validates a configuration file's text; errors name `file`. */
export function parseStageConfig(text: string, file: string, env = process.env): StageConfig {
  const refuse = (message: string): never => {
    throw refusal(file, message);
  };
  let doc: unknown;
  try {
    doc = parse(text) ?? {}; // YAML 1.2; JSON is YAML too
  } catch (err) {
    refuse(`not valid YAML or JSON: ${errorMessage(err)}`);
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    return refuse(`expected a mapping with ${SECTIONS.join(" and/or ")} at the top`);
  }
  const unknown = Object.keys(doc).filter((k) => !(SECTIONS as readonly string[]).includes(k));
  if (unknown.length > 0) {
    refuse(
      `unknown section(s) ${unknown.join(", ")}: the file holds ${SECTIONS.join(" and ")} (connections come from the environment)`,
    );
  }
  const sections = doc as Record<string, unknown>;
  const config: StageConfig = {};
  for (const section of SECTIONS) {
    const value = sections[section];
    if (value === undefined || value === null) continue; // `inference:` with nothing under it
    if (typeof value !== "object" || Array.isArray(value)) refuse(`${section} must be a mapping of settings`);
    config[section] = value as never;
  }
  if (config.inference?.registry !== undefined) {
    refuse(
      "inference.registry is not read from the file: the stages take the models folder from VERDICT_MODELS_DIR (default: the package's models/), as `verdict models` does, so that both agree on it",
    );
  }
  // Validate now, so that a mistake stops the start with the file's name, before any connection.
  try {
    parseScoringPolicy(config.scoring);
    parseInferenceSettings(config.inference, env);
  } catch (err) {
    refuse(errorMessage(err));
  }
  return config;
}

export interface ConfigWatchHandlers {
  /** The file changed and is valid. */
  onChange(config: StageConfig): void;
  /** The file changed and cannot be read or is invalid (the error names the file and the setting). */
  onInvalid(err: VerdictError): void;
}

/**
 * Calls a handler each time the file's content changes. Polls the file's status every `intervalMs`
 * (2 s) rather than subscribing to inotify events: editors save by renaming and Kubernetes swaps a
 * ConfigMap's files by a symlink, both of which an fs.watch on the old file misses. The status is
 * taken before the content, so a change in between is seen at the next poll; the content is compared
 * too, so a touch or an unchanged rewrite calls nothing. Does not keep the process alive.
 */
export function watchStageConfig(
  path: string,
  handlers: ConfigWatchHandlers,
  options: { intervalMs?: number; env?: NodeJS.ProcessEnv } = {},
): { close(): void } {
  const file = resolve(path);
  const signature = () => {
    try {
      const s = statSync(file);
      return `${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch {
      return "missing";
    }
  };
  let seen = signature();
  let last: string | undefined;
  try {
    last = readFileSync(file, "utf8");
  } catch {
    last = undefined; // unreadable now: the first readable content counts as a change
  }
  const poll = () => {
    const now = signature();
    if (now === seen) return;
    seen = now;
    let text: string;
    try {
      text = readConfigText(file);
    } catch (err) {
      last = undefined;
      handlers.onInvalid(err as VerdictError);
      return;
    }
    if (text === last) return;
    last = text;
    let config: StageConfig;
    try {
      config = parseStageConfig(text, file, options.env ?? process.env);
    } catch (err) {
      handlers.onInvalid(err as VerdictError);
      return;
    }
    handlers.onChange(config);
  };
  const timer = setInterval(poll, options.intervalMs ?? 2000);
  timer.unref();
  return { close: () => clearInterval(timer) };
}
