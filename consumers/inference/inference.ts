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
import type {
  PostFeatures,
  Scored,
  ScreenResult,
  TransactionFeatures,
} from "../../schemas/generated/types.ts";
import { TOPICS } from "../../topology/index.ts";
import { input, type Stage, type StageContext, type StageOutput } from "../runtime/index.ts";
import { contributions, explains } from "./explain.ts";
import { loadVersion, type VersionLoadContext } from "./load.ts";
import { ModelSlot, type SlotScores } from "./model-slot.ts";
import type { LoadedModel } from "./model-version.ts";
import { onnxRuntime } from "./onnx/onnx-runtime.ts";
import { type ClosableModelRuntime, onnxWorkerRuntime } from "./onnx/onnx-worker-runtime.ts";
import { type InferenceSettings, type InferenceSettingsInput, parseInferenceSettings } from "./options.ts";
import type { Domain, ModelManifest } from "./registry/manifest.ts";
import { type ModelFiles, ModelRegistry } from "./registry/registry.ts";
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
  /** Versions, providers and breaker states per domain; with a cascade, the screen's too. */
  status(): Record<string, DomainStatus>;
  /** Resolves once registry changes received so far are applied (admin calls, tests). */
  settled(): Promise<void>;
}

export type SlotStatus = ReturnType<ModelSlot["status"]>;

/** A domain's decider and, in a cascade, its screen with each loaded screen version's cut-off. */
export type DomainStatus = SlotStatus & { screen?: SlotStatus & { clearBelow: Record<string, number> } };

/** Every slot a status lists, a cascade's screen as its own entry (same domain, role "screen"). */
export function servingSlots(
  status: Record<string, DomainStatus>,
): { domain: string; role: "decider" | "screen"; slot: SlotStatus }[] {
  return Object.entries(status).flatMap(([domain, slot]) => [
    { domain, role: "decider" as const, slot },
    ...(slot.screen ? [{ domain, role: "screen" as const, slot: slot.screen }] : []),
  ]);
}

/** One row per version serving: which domain and slot (decider or screen), in which role, on which provider. */
export interface ServingVersion {
  domain: string;
  slot: "decider" | "screen";
  model: string;
  role: "active" | "canary" | "shadow";
  version: string;
  provider: string;
  /** The canary's share of keys (role canary only). */
  percent?: number;
}

/** Every version a status lists: active, canary and shadows of each slot, a cascade's screen included. */
export function servingVersions(status: Record<string, DomainStatus>): ServingVersion[] {
  return servingSlots(status).flatMap(({ domain, role: slot, slot: s }) => {
    const row = (role: ServingVersion["role"], v: { version: string; provider: string }) => ({
      domain,
      slot,
      model: s.name,
      role,
      version: v.version,
      provider: v.provider,
    });
    return [
      ...(s.active ? [row("active", s.active)] : []),
      ...(s.canary ? [{ ...row("canary", s.canary), percent: s.canary.percent }] : []),
      ...s.shadows.map((v) => row("shadow", v)),
    ];
  });
}

/**
 * One line for people: what serves each domain, e.g. `fraud fraud-gbt@1.0.0 on cpu · moderation
 * moderation-text@1.0.2 on cpu`; a cascade reads `fraud-mlp@1.0.0 on cpu, then fraud-gbt@1.0.0 on cpu`,
 * and canary / shadow versions follow in brackets.
 */
export function describeServing(status: Record<string, DomainStatus>): string {
  const one = (s: SlotStatus) => {
    const extra = [
      ...(s.canary ? [`canary ${s.canary.version} ${s.canary.percent}%`] : []),
      ...s.shadows.map((x) => `shadow ${x.version}`),
    ];
    const serving = s.active
      ? `${s.name}@${s.active.version} on ${s.active.provider}`
      : `${s.name} (not loaded)`;
    return extra.length ? `${serving} [${extra.join(", ")}]` : serving;
  };
  return Object.entries(status)
    .map(([domain, s]) => `${domain} ${s.screen ? `${one(s.screen)}, then ` : ""}${one(s)}`)
    .join(" · ");
}

/** A domain's model cascade: the screen slot, and each loaded screen version's cut-off. */
interface Cascade {
  screen: ModelSlot;
  cutoffs: Map<string, number>;
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;
/** Scored.contributions of records nothing was explained for (shared, never mutated). */
const NO_CONTRIBUTIONS: Readonly<Record<string, number>> = Object.freeze({});

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

/**
 * The model runtime a stage with these settings runs: onnxruntime-node in `workers` worker threads,
 * or on the calling thread when 0. `close` ends the workers (a no-op in-process).
 */
export function stageRuntime(settings: InferenceSettings): ClosableModelRuntime {
  if (settings.workers > 0) {
    return onnxWorkerRuntime({ workers: settings.workers, providerPrecheck: settings.webgpuPrecheck });
  }
  return Object.assign(onnxRuntime({ providerPrecheck: settings.webgpuPrecheck }), { close: async () => {} });
}

export function createInferenceStage(deps: InferenceDeps): InferenceStage {
  const settings = parseInferenceSettings(deps.settings, deps.env);
  const logger = (deps.logger ?? silentLogger()).child({ stage: "inference" });
  const ownRuntime = deps.runtime ? undefined : stageRuntime(settings);
  const runtime = deps.runtime ?? ownRuntime!;
  const ownRegistry = !deps.registry;
  const registry =
    deps.registry ??
    new ModelRegistry({
      root: settings.registry.root,
      activeFile: settings.registry.activeFile,
      pollMs: settings.registry.pollMs,
      logger,
    });

  const loadContext: VersionLoadContext = {
    runtime,
    settings,
    features: deps.features,
    ...(deps.featureSets ? { featureSets: deps.featureSets } : {}),
    logger,
  };

  /** Loads one version for `domain`: the decider's, or (with `screen`) the cascade's screen. */
  function loaderFor(domain: Domain, screen?: { decider: string; cutoffs: Map<string, number> }) {
    return (files: ModelFiles): Promise<LoadedModel> => {
      const m = files.manifest;
      if (m.domain !== domain) {
        throw new UnrecoverableError(
          "VERDICT_ERR_MODEL_INVALID",
          `Model ${m.name}@${m.version} is a ${m.domain} model; it is configured for ${domain}`,
        );
      }
      if (screen) screen.cutoffs.set(m.version, screenCutoff(m, screen.decider, domain));
      return loadVersion(files, domain, loadContext);
    };
  }

  /** The screen version's cut-off: the configured one, else its model.json's; refused if missing or too high. */
  function screenCutoff(m: ModelManifest, decider: string, domain: Domain): number {
    const configured = settings.models[domain]?.screen?.clearBelow;
    const cut = configured ?? m.screening?.clearBelow;
    if (cut === undefined) {
      throw new UnrecoverableError(
        "VERDICT_ERR_MODEL_INVALID",
        `Model ${m.name}@${m.version} cannot screen for ${decider}: its model.json has no screening.clearBelow. ` +
          `Choose one with the training's cascade step (python -m training.fraud.cascade) or set inference.models.${domain}.screen.clearBelow`,
      );
    }
    if (cut > m.thresholds.review) {
      throw new UnrecoverableError(
        "VERDICT_ERR_CONFIG",
        `inference.models.${domain}.screen.clearBelow ${cut} is above ${m.name}@${m.version}'s review threshold ${m.thresholds.review}: ` +
          "a record the screen clears would not be approved. Lower it",
      );
    }
    const chosenFor = m.screening?.decider?.name;
    if (configured === undefined && chosenFor && chosenFor !== decider) {
      logger.warn(
        { screen: `${m.name}@${m.version}`, decider, chosenFor },
        `${m.name}'s cut-off was chosen against ${chosenFor}, not ${decider}`,
      );
    }
    return cut;
  }

  const slots = new Map<Domain, ModelSlot>();
  const cascades = new Map<Domain, Cascade>();
  for (const domain of ["fraud", "moderation"] as const) {
    const slotSettings = settings.models[domain];
    if (!slotSettings) continue;
    slots.set(domain, new ModelSlot(slotSettings, { registry, logger, load: loaderFor(domain) }));
    const screen = slotSettings.screen;
    if (screen) {
      const cutoffs = new Map<string, number>();
      const screenSlot = new ModelSlot(
        { name: screen.name, ...(screen.version ? { version: screen.version } : {}), shadow: [] },
        { registry, logger, load: loaderFor(domain, { decider: slotSettings.name, cutoffs }) },
      );
      cascades.set(domain, { screen: screenSlot, cutoffs });
    }
  }
  const allSlots = [...[...cascades.values()].map((c) => c.screen), ...slots.values()];

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
    screen: ScreenResult | null,
    contributions: Readonly<Record<string, number>> = NO_CONTRIBUTIONS,
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
      contributions: contributions as Record<string, number>,
      screen,
    };
  }

  /** Shadow versions' scores for the shadow topic, marked with the version they mirror. */
  function shadowOutputs(
    s: Subject,
    of: RowScore,
    shadows: RowScore[],
    hits: string[],
    inputAge: number,
    started: number,
  ) {
    return shadows.map(
      (r): StageOutput => ({
        topic: TOPICS.shadowScored,
        key: s.key,
        value: scored(s, r.model, r.score, hits, timingsOf(r, inputAge, started), null),
        headers: { "verdict-shadow-of": `${of.model.name}@${of.model.version}` },
      }),
    );
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
      return [{ topic, key: s.key, value: scored(s, model, pre.score ?? 0, hits, timings, null) }];
    }
    const emit = (
      r: SlotScores,
      screen: ScreenResult | null,
      extra: StageOutput[] = [],
      screenMs?: number,
      explained?: { contributions: Readonly<Record<string, number>>; ms: number },
    ): StageOutput[] | Promise<StageOutput[]> => {
      // A score a reviewer will look at is explained first (occlusion), then emitted with it.
      if (!explained && settings.explain.contributions && explains(r.by, r.primary.score)) {
        const from = performance.now();
        return contributions(r.by, row, r.primary.score, logger, ctx.signal).then((c) =>
          emit(r, screen, extra, screenMs, { contributions: c, ms: round(performance.now() - from) }),
        );
      }
      const timings = timingsOf(r.primary, inputAge, started);
      if (screenMs !== undefined) timings.inference_screen_ms = screenMs;
      if (explained) timings.inference_explain_ms = explained.ms;
      const main: StageOutput = {
        topic,
        key: s.key,
        value: scored(s, r.primary.model, r.primary.score, hits, timings, screen, explained?.contributions),
      };
      if (r.shadows.length === 0 && extra.length === 0) return [main];
      return [main, ...extra, ...shadowOutputs(s, r.primary, r.shadows, hits, inputAge, started)];
    };
    const cascade = cascades.get(s.domain);
    if (!cascade)
      return slot(s.domain)
        .score(s.key, row, ctx.signal)
        .then((r) => emit(r, null));
    return cascade.screen.score(s.key, row, ctx.signal).then((first) => {
      const p = first.primary;
      const clearBelow = cascade.cutoffs.get(p.model.version) ?? 0;
      const screen: ScreenResult = {
        model: p.model,
        score: p.score,
        clearBelow,
        cleared: p.score < clearBelow,
      };
      if (screen.cleared) return emit(first, screen);
      const screenMs = round(performance.now() - started);
      return slot(s.domain)
        .score(s.key, row, ctx.signal)
        .then((r) => emit(r, screen, shadowOutputs(s, p, first.shadows, hits, inputAge, started), screenMs));
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
    stateless: true,
    produces: [TOPICS.transactionScored, TOPICS.postScored, TOPICS.shadowScored],
    inputs,
    settings,
    registry,
    async start() {
      for (const s of allSlots) await s.start();
      if (settings.registry.watch) registry.watch([...new Set(allSlots.map((s) => s.name))]);
    },
    async stop() {
      for (const s of allSlots) await s.stop();
      if (ownRegistry) registry.close();
      await ownRuntime?.close();
    },
    activeProvider(domain) {
      return slots.get(domain)?.status().active?.provider;
    },
    status() {
      return Object.fromEntries(
        [...slots].map(([d, s]) => {
          const c = cascades.get(d);
          return [
            d,
            c
              ? { ...s.status(), screen: { ...c.screen.status(), clearBelow: Object.fromEntries(c.cutoffs) } }
              : s.status(),
          ];
        }),
      );
    },
    async settled() {
      await Promise.all(allSlots.map((s) => s.settled()));
    },
  };
}
