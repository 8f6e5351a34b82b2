/**
 * Which stages exist and how each is built from the app's ports. Split mode runs one of these per
 * consumer group; fused mode chains several with fuse(). Same stage code either way. Stages of one
 * process share what must agree: one feature store, one model registry, one scoring policy (the
 * rules pre-check in inference and the decisions in scoring read the same policy, replaced in place
 * when the configuration file it came from changes).
 */
import { isDeepStrictEqual } from "node:util";
import {
  createFeatureStage,
  FEATURE_SET,
  type FeatureStore,
  FRAUD_FEATURE_NAMES,
  MemoryFeatureStore,
  MODERATION_FEATURE_NAMES,
  MODERATION_FEATURE_SET,
  RedisFeatureStore,
} from "../consumers/features/index.ts";
import {
  createInferenceStage,
  type InferenceSettings,
  type InferenceSettingsInput,
  ModelRegistry,
  type ModelSlotSettings,
  parseInferenceSettings,
} from "../consumers/inference/index.ts";
import { createIngestStage, memoryDedupe, redisDedupe } from "../consumers/ingest/index.ts";
import type { Stage } from "../consumers/runtime/index.ts";
import {
  createRuleGate,
  createScoringStage,
  LivePolicy,
  parseScoringPolicy,
  registryCatalog,
  type ScoringPolicyInput,
} from "../consumers/scoring/index.ts";
import { errorMessage, VerdictError } from "../lib/errors/index.ts";
import { packagePath } from "../lib/paths/index.ts";
import type { ConfigStatus } from "../observability/metrics/config-gauges.ts";
import { TOPIC_PREFIX } from "../topology/index.ts";
import { type StageConfig, watchStageConfig } from "./config-file.ts";
import type { AppDeps } from "./deps.ts";

export const MODELS_DIR = packagePath("models");

/** The model registry folder when nothing more specific names one: VERDICT_MODELS_DIR, else the package's models/. */
export function defaultModelsDir(env: Record<string, string | undefined> = process.env): string {
  return env.VERDICT_MODELS_DIR?.trim() || MODELS_DIR;
}

/** What the features stage puts on every record, per domain: what the inference stage checks each model against. */
export const STAGE_FEATURES = { fraud: FRAUD_FEATURE_NAMES, moderation: MODERATION_FEATURE_NAMES } as const;
/** The feature sets (name@version) the stream computes; a model trained on another is refused. */
export const STAGE_FEATURE_SETS = { fraud: FEATURE_SET, moderation: MODERATION_FEATURE_SET } as const;

export type StateBackend = "memory" | "redis";

export interface StageBuildOptions {
  /** Where stage state lives: "memory" (single embedded process) or "redis" (split, many consumers). */
  state: StateBackend;
  inference?: InferenceSettingsInput;
  policy?: ScoringPolicyInput;
  /** Model registry root. Default: VERDICT_MODELS_DIR, else the package's models/ (as `verdict models`). */
  modelsDir?: string;
}

/** What the stages of one process share; built lazily, closed with the process. */
export class StageContext {
  private store?: FeatureStore;
  private registry?: ModelRegistry;
  private policy?: LivePolicy;
  private watch?: { close(): void };
  private status: ConfigStatus = {};
  /** The inference settings the stages started with, and the file's latest (whose rollouts applied). */
  private inference?: { started: InferenceSettings; latest: InferenceSettings };
  /** Set when an inference stage is built here: only then do the file's rollouts concern this process. */
  servesModels = false;
  private applying: Promise<void> = Promise.resolve();

  constructor(
    readonly deps: AppDeps,
    readonly options: StageBuildOptions,
  ) {}

  featureStore(): FeatureStore {
    this.store ??=
      this.options.state === "redis"
        ? new RedisFeatureStore(
            {
              url: this.deps.connections.redis.url,
              keyPrefix: `${TOPIC_PREFIX}verdict:features:${FEATURE_SET}:`,
            },
            { client: this.deps.redis(), logger: this.deps.logger },
          )
        : new MemoryFeatureStore();
    return this.store;
  }

  models(): ModelRegistry {
    this.registry ??= new ModelRegistry({
      root: this.options.modelsDir ?? defaultModelsDir(),
      logger: this.deps.logger,
    });
    return this.registry;
  }

  /** The one policy of the process (rules pre-check and decisions); a reloaded file replaces it. */
  scoringPolicy(): LivePolicy {
    this.policy ??= new LivePolicy(this.options.policy);
    return this.policy;
  }

  /**
   * Follows the configuration file the stages were built from: an edited scoring section replaces
   * the policy from the next record (no restart); an edited rollout of a served model (its canary,
   * its shadow versions) applies as `verdict models canary|shadow` would; other inference settings
   * are reported, and apply at the next start; a file that cannot be read or is invalid is refused,
   * the running configuration kept. `verdict_config_last_reload_successful` says how it went.
   */
  watchConfig(file: string, options: { intervalMs?: number } = {}): void {
    const logger = this.deps.logger.child({ component: "config", file });
    this.watch?.close();
    this.status = { file };
    this.watch = watchStageConfig(
      file,
      {
        onChange: (config) => {
          // One change at a time: a rollout loads model files, and the next edit waits for it.
          this.applying = this.applying
            .then(() => this.applyConfig(config, logger))
            .catch((err: unknown) => {
              this.status = { ...this.status, lastReload: { successful: false, at: Date.now() } };
              logger.error({ err: errorMessage(err) }, "configuration file change not applied");
            });
        },
        onInvalid: (err) => {
          this.status = { ...this.status, lastReload: { successful: false, at: Date.now() } };
          logger.error(
            { err: err.message },
            "configuration file changed but is refused: the stages keep the configuration they run with; fix the file to apply it",
          );
        },
      },
      options,
    );
  }

  /** What the config gauges report (observability/metrics/config-gauges.ts). */
  configStatus(): ConfigStatus & { policyVersion: string } {
    return { ...this.status, policyVersion: this.scoringPolicy().current.version };
  }

  private async applyConfig(config: StageConfig, logger: AppDeps["logger"]): Promise<void> {
    const live = this.scoringPolicy();
    const before = live.current;
    const next = parseScoringPolicy(config.scoring);
    if (!isDeepStrictEqual(next, before)) {
      live.replace(next);
      logger.info(
        { from: before.version, to: next.version },
        "scoring policy reloaded: it decides from the next record",
      );
      if (next.version === before.version) {
        logger.warn(
          { version: next.version },
          "the scoring policy changed but scoring.version did not: rule-decided verdicts cannot tell the two apart; give the new policy a new version",
        );
      }
    }
    await this.applyInference(config, logger);
    this.status = {
      ...this.status,
      lastReload: { successful: true, at: Date.now() },
      lastSuccessAt: Date.now(),
    };
  }

  /** Rollouts (canary, shadow) of the models the stages serve apply now; the rest is reported. */
  private async applyInference(config: StageConfig, logger: AppDeps["logger"]): Promise<void> {
    const started = parseInferenceSettings(this.options.inference);
    this.inference ??= { started, latest: started };
    const next = parseInferenceSettings(config.inference);
    if (!isDeepStrictEqual(withoutRollouts(next), withoutRollouts(this.inference.started))) {
      logger.warn(
        "inference settings in the configuration file differ from those the stages started with, beyond canary and shadow versions: they apply at the next start (restart the stages; `verdict models activate` switches versions without one)",
      );
    }
    if (!this.servesModels) return;
    for (const [domain, slot] of Object.entries(next.models) as [Domain, ModelSlotSettings][]) {
      const served = this.inference.started.models[domain];
      const before = this.inference.latest.models[domain];
      if (served?.name !== slot.name) continue; // not served under this name: at the next start
      if (before && isDeepStrictEqual(rolloutOf(before), rolloutOf(slot))) continue;
      await this.models().setRollout(slot.name, rolloutOf(slot)); // refuses versions it cannot load
      logger.info({ model: slot.name, ...rolloutOf(slot) }, "model rollout set from the configuration file");
    }
    this.inference.latest = next;
  }

  async close(): Promise<void> {
    this.watch?.close();
    await this.applying;
    await this.store?.close();
  }
}

type Domain = keyof InferenceSettings["models"];

/** A model's rollout as the registry holds it: its canary and shadow versions. */
function rolloutOf(slot: ModelSlotSettings) {
  return { ...(slot.canary ? { canary: slot.canary } : {}), shadow: slot.shadow };
}

function withoutRollouts(settings: InferenceSettings) {
  const models = Object.entries(settings.models).map(([d, { canary: _c, shadow: _s, ...slot }]) => [d, slot]);
  return { ...settings, models: Object.fromEntries(models) };
}

type Builder = (ctx: StageContext) => Stage;

const builders = new Map<string, Builder>([
  [
    "ingest",
    (ctx) =>
      createIngestStage({
        dedupe:
          ctx.options.state === "redis"
            ? redisDedupe(ctx.deps.redis(), `${TOPIC_PREFIX}verdict:dedupe:`)
            : memoryDedupe(),
      }),
  ],
  ["features", (ctx) => createFeatureStage({ store: ctx.featureStore() })],
  [
    "inference",
    (ctx) => {
      ctx.servesModels = true;
      return createInferenceStage({
        features: STAGE_FEATURES,
        featureSets: STAGE_FEATURE_SETS,
        registry: ctx.models(),
        settings: ctx.options.inference,
        preCheck: createRuleGate(ctx.scoringPolicy()),
        logger: ctx.deps.logger,
      });
    },
  ],
  [
    "scoring",
    (ctx) =>
      createScoringStage({
        policy: ctx.scoringPolicy(),
        catalog: registryCatalog(ctx.models(), ctx.deps.logger),
        logger: ctx.deps.logger,
      }),
  ],
]);

export const PIPELINE = ["ingest", "features", "inference", "scoring"] as const;

export function stageNames(): string[] {
  return [...builders.keys()];
}

export function buildStage(name: string, ctx: StageContext): Stage {
  const builder = builders.get(name);
  if (!builder) {
    throw new VerdictError(
      "VERDICT_ERR_CONFIG",
      `Unknown stage "${name}" (known: ${stageNames().join(", ")})`,
    );
  }
  return builder(ctx);
}
