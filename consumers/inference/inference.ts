/**
 * The inference stage: TransactionFeatures / PostFeatures in, one Scored out per record (plus one per
 * shadow version on the shadow topic). Runs "per-key": records of different keys (and partitions)
 * score concurrently, so each model's micro-batcher fills batches across them while one key's records
 * stay in order; the runner emits outputs in input order. The rules pre-check runs first: a record a
 * rule decides never joins a batch.
 */
import { UnrecoverableError } from "../../lib/errors/index.ts";
import type { Logger } from "../../lib/log/index.ts";
import { silentLogger } from "../../lib/log/index.ts";
import type { PostFeatures, Scored, TransactionFeatures } from "../../schemas/generated/types.ts";
import { TOPICS } from "../../topology/index.ts";
import { input, type Stage, type StageContext, type StageOutput } from "../runtime/index.ts";
import { ModelSlot } from "./model-slot.ts";
import { LoadedModel } from "./model-version.ts";
import { onnxRuntime } from "./onnx/onnx-runtime.ts";
import { type ClosableModelRuntime, onnxWorkerRuntime } from "./onnx/onnx-worker-runtime.ts";
import { type InferenceSettings, type InferenceSettingsInput, parseInferenceSettings } from "./options.ts";
import type { Domain } from "./registry/manifest.ts";
import { ModelRegistry } from "./registry/registry.ts";
import type { ModelRow, ModelRuntime, PreCheck, RowScore, RuleOutcome } from "./types.ts";

export interface InferenceDeps {
  /**
   * Feature names the features stage puts on every record, per domain (checked against each model):
   * `{ fraud: FRAUD_FEATURE_NAMES, moderation: MODERATION_FEATURE_NAMES }` from consumers/features.
   */
  features: { fraud: readonly string[]; moderation: readonly string[] };
  /**
   * Feature sets (name@version) the stream computes; a model whose model.json names another is
   * refused (train/serve skew). `{ fraud: FEATURE_SET, moderation: MODERATION_FEATURE_SET }`. Default: unchecked.
   */
  featureSets?: { fraud?: string; moderation?: string };
  /** Model runtime. Default: onnxruntime-node, in `settings.workers` worker threads (0: in-process). */
  runtime?: ModelRuntime;
  /** Model registry. Default: one on `settings.registry.root` (closed with the stage). */
  registry?: ModelRegistry;
  settings?: InferenceSettingsInput;
  /** The cascade's rules pre-check (consumers/scoring `createRuleGate`). Default: none. */
  preCheck?: PreCheck;
  logger?: Logger;
  /** Environment for VERDICT_EP. Default process.env. */
  env?: Record<string, string | undefined>;
}

export interface InferenceStage extends Stage {
  /** Loads the active (and candidate) versions of each configured model; fails if an active one is refused. */
  start(): Promise<void>;
  /** Drains every batch queue and releases the sessions. */
  stop(): Promise<void>;
  readonly settings: Readonly<InferenceSettings>;
  readonly registry: ModelRegistry;
  /** The provider a domain's active version runs on now (cuda, webgpu, cpu). */
  activeProvider(domain: Domain): string | undefined;
  /** Versions, providers and breaker states per domain. */
  status(): Record<string, ReturnType<ModelSlot["status"]>>;
  /** Resolves once registry changes received so far are applied (admin calls, tests). */
  settled(): Promise<void>;
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

/** The latency breakdown a scored record carries (one object, no spreads: this is per record). */
function timingsOf(r: RowScore, inputAgeMs: number, started: number): Record<string, number> {
  return {
    inference_input_age_ms: inputAgeMs,
    inference_queue_ms: round(r.queueMs),
    inference_run_ms: round(r.runMs),
    inference_batch_size: r.batchSize,
    inference_ms: round(performance.now() - started),
  };
}

export function createInferenceStage(deps: InferenceDeps): InferenceStage {
  const settings = parseInferenceSettings(deps.settings, deps.env);
  const logger = (deps.logger ?? silentLogger()).child({ stage: "inference" });
  const ownRuntime: ClosableModelRuntime | undefined =
    !deps.runtime && settings.workers > 0 ? onnxWorkerRuntime({ workers: settings.workers }) : undefined;
  const runtime = deps.runtime ?? ownRuntime ?? onnxRuntime();
  const ownRegistry = !deps.registry;
  const registry =
    deps.registry ??
    new ModelRegistry({
      root: settings.registry.root,
      activeFile: settings.registry.activeFile,
      pollMs: settings.registry.pollMs,
      logger,
    });

  const slots = new Map<Domain, ModelSlot>();
  for (const domain of ["fraud", "moderation"] as const) {
    const slotSettings = settings.models[domain];
    if (!slotSettings) continue;
    slots.set(
      domain,
      new ModelSlot(slotSettings, {
        registry,
        logger,
        load: (files) => {
          const m = files.manifest;
          if (m.domain !== domain) {
            throw new UnrecoverableError(
              "VERDICT_ERR_MODEL_INVALID",
              `Model ${m.name}@${m.version} is a ${m.domain} model; it is configured for ${domain}`,
            );
          }
          const featureSet = deps.featureSets?.[domain];
          return LoadedModel.load(files, {
            runtime,
            ...(featureSet ? { featureSet } : {}),
            provided: { features: deps.features[domain], text: domain === "moderation" },
            chain: {
              providers: settings.providers,
              tolerance: settings.tolerance,
              breaker: settings.breaker,
              runTimeoutMs: settings.runTimeoutMs,
              ...(settings.intraOpNumThreads ? { intraOpNumThreads: settings.intraOpNumThreads } : {}),
            },
            batching: settings.batching,
            logger,
          });
        },
      }),
    );
  }

  function slot(domain: Domain): ModelSlot {
    return slots.get(domain)!;
  }

  interface Subject {
    domain: Domain;
    eventId: string;
    subjectId: string;
    key: string;
    occurredAt: number;
    features: Record<string, number>;
  }

  function scored(
    s: Subject,
    model: Scored["model"],
    score: number,
    hits: string[],
    timings: Record<string, number>,
  ): Scored {
    return {
      eventId: s.eventId,
      domain: s.domain === "fraud" ? "FRAUD" : "MODERATION",
      subjectId: s.subjectId,
      key: s.key,
      occurredAt: s.occurredAt,
      score,
      model,
      features: s.features,
      ruleHits: hits,
      timings,
    };
  }

  function handle(
    s: Subject,
    row: ModelRow,
    pre: RuleOutcome | undefined,
    ctx: StageContext,
  ): StageOutput[] | Promise<StageOutput[]> {
    const started = performance.now();
    const topic = s.domain === "fraud" ? TOPICS.transactionScored : TOPICS.postScored;
    const inputAge = Math.max(0, ctx.now() - ctx.timestamp);
    const hits = pre?.hits ?? [];
    if (pre?.decided) {
      const model = { name: pre.ruleSet.name, version: pre.ruleSet.version, provider: "rules" };
      const timings = { inference_input_age_ms: inputAge, inference_ms: round(performance.now() - started) };
      return [{ topic, key: s.key, value: scored(s, model, pre.score ?? 0, hits, timings) }];
    }
    return slot(s.domain)
      .score(s.key, row, ctx.signal)
      .then(({ primary, shadows }) => {
        const main: StageOutput = {
          topic,
          key: s.key,
          value: scored(s, primary.model, primary.score, hits, timingsOf(primary, inputAge, started)),
        };
        if (shadows.length === 0) return [main];
        return [
          main,
          ...shadows.map(
            (r): StageOutput => ({
              topic: TOPICS.shadowScored,
              key: s.key,
              value: scored(s, r.model, r.score, hits, timingsOf(r, inputAge, started)),
              headers: { "verdict-shadow-of": `${primary.model.name}@${primary.model.version}` },
            }),
          ),
        ];
      });
  }

  const inputs = [];
  if (slots.has("fraud")) {
    inputs.push(
      input(TOPICS.transactionFeatures, (tx: TransactionFeatures, ctx) =>
        handle(
          {
            domain: "fraud",
            eventId: tx.eventId,
            subjectId: tx.transactionId,
            key: tx.customerId,
            occurredAt: tx.occurredAt,
            features: tx.features,
          },
          { features: tx.features },
          deps.preCheck?.fraud?.(tx),
          ctx,
        ),
      ),
    );
  }
  if (slots.has("moderation")) {
    inputs.push(
      input(TOPICS.postFeatures, (post: PostFeatures, ctx) =>
        handle(
          {
            domain: "moderation",
            eventId: post.eventId,
            subjectId: post.postId,
            key: post.authorId,
            occurredAt: post.occurredAt,
            features: post.features,
          },
          { features: post.features, text: post.normalizedText },
          deps.preCheck?.moderation?.(post),
          ctx,
        ),
      ),
    );
  }

  return {
    name: "inference",
    concurrency: "per-key",
    produces: [TOPICS.transactionScored, TOPICS.postScored, TOPICS.shadowScored],
    inputs,
    settings,
    registry,
    async start() {
      for (const s of slots.values()) await s.start();
      if (settings.registry.watch) registry.watch([...slots.values()].map((s) => s.name));
    },
    async stop() {
      for (const s of slots.values()) await s.stop();
      if (ownRegistry) registry.close();
      await ownRuntime?.close();
    },
    activeProvider(domain) {
      return slots.get(domain)?.status().active?.provider;
    },
    status() {
      return Object.fromEntries([...slots].map(([d, s]) => [d, s.status()]));
    },
    async settled() {
      await Promise.all([...slots.values()].map((s) => s.settled()));
    },
  };
}
