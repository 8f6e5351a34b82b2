/**
 * Which stages exist and how each is built from the app's ports. Split mode runs one of these per
 * consumer group; fused mode chains several with fuse(). Same stage code either way. Stages of one
 * process share what must agree: one feature store, one model registry, one scoring policy (the
 * rules pre-check in inference and the decisions in scoring read the same policy, replaced in place
 * when the configuration file it came from changes).
 */
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
  type InferenceSettingsInput,
  ModelRegistry,
} from "../consumers/inference/index.ts";
import { createIngestStage, memoryDedupe, redisDedupe } from "../consumers/ingest/index.ts";
import type { Stage } from "../consumers/runtime/index.ts";
import {
  createRuleGate,
  createScoringStage,
  LivePolicy,
  registryCatalog,
  type ScoringPolicyInput,
} from "../consumers/scoring/index.ts";
import { VerdictError } from "../lib/errors/index.ts";
import { packagePath } from "../lib/paths/index.ts";
import type { ConfigStatus } from "../observability/metrics/config-gauges.ts";
import { TOPIC_PREFIX } from "../topology/index.ts";
import { watchStageConfig } from "./config-file.ts";
import { ConfigReloader } from "./config-reload.ts";
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
  private reloader?: ConfigReloader;
  /** Set when an inference stage is built here: only then do the file's rollouts concern this process. */
  servesModels = false;

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
   * Follows the configuration file the stages were built from (app/config-reload.ts): the scoring
   * policy and served models' canary and shadow versions apply while the stages run; the rest of
   * the inference settings at the next start; an invalid file is refused, the running one kept.
   */
  watchConfig(file: string, options: { intervalMs?: number } = {}): void {
    this.watch?.close();
    const reloader = new ConfigReloader({
      file,
      policy: this.scoringPolicy(),
      inference: this.options.inference,
      registry: () => (this.servesModels ? this.models() : undefined),
      logger: this.deps.logger,
    });
    this.reloader = reloader;
    this.watch = watchStageConfig(
      file,
      { onChange: (config) => reloader.changed(config), onInvalid: (err) => reloader.refused(err) },
      options,
    );
  }

  /** What the config gauges report (observability/metrics/config-gauges.ts). */
  configStatus(): ConfigStatus & { policyVersion: string } {
    return this.reloader?.status() ?? { policyVersion: this.scoringPolicy().current.version };
  }

  async close(): Promise<void> {
    this.watch?.close();
    await this.reloader?.settled();
    await this.store?.close();
  }
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
