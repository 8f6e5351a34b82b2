/**
 * One domain's model (fraud or moderation) as the stage sees it: the active version, an optional
 * canary (a stable share of keys) and shadow versions, each a LoadedModel with its own sessions and
 * batch queue. Registry events (activate, rollout) are applied one at a time: new versions are loaded
 * and checked completely before the routing switches; a version that fails to load never serves
 * (the old one keeps serving). Versions no longer routed to are closed, which lets their queued and
 * running batches finish on the old sessions before those are released.
 */
import { errorMessage } from "../../lib/errors/index.ts";
import type { Logger } from "../../lib/log/index.ts";
import { BatcherClosedError } from "./batcher.ts";
import type { LoadedModel } from "./model-version.ts";
import type { ModelSlotSettings } from "./options.ts";
import type { ModelFiles, ModelRegistry, RegistryEvent, Rollout } from "./registry/registry.ts";
import type { ModelRow, RowScore } from "./types.ts";

export interface SlotDeps {
  registry: ModelRegistry;
  load(files: ModelFiles): Promise<LoadedModel>;
  logger: Logger;
}

interface Routing {
  active: LoadedModel;
  canary?: { model: LoadedModel; percent: number };
  shadows: LoadedModel[];
}

export interface SlotScores {
  primary: RowScore;
  /** The loaded version that scored `primary` (for explaining that score with the same version). */
  by: LoadedModel;
  /** Scores of shadow versions that succeeded (a failing shadow is logged and left out). */
  shadows: RowScore[];
}

/** FNV-1a, 32 bit: stable across processes and restarts, so a key stays in or out of the canary. */
export function keyHash(s: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(s, "utf8")) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** True when `key` falls in the canary's `percent` share of model `name` (0.01 % steps). */
export function inCanary(name: string, key: string, percent: number): boolean {
  return keyHash(`${name}:${key}`) % 10_000 < Math.round(percent * 100);
}

/** Shared empty shadow list (never mutated). */
const NONE: never[] = [];

export class ModelSlot {
  private routing: Routing | undefined;
  private readonly loaded = new Map<string, LoadedModel>();
  /** Why the last attempt to load a version failed (cleared once it loads): operators see it in status. */
  private readonly failures = new Map<string, string>();
  private pending: Promise<void> = Promise.resolve();
  private unsubscribe: (() => void) | undefined;
  private readonly logger: Logger;

  constructor(
    private readonly settings: ModelSlotSettings,
    private readonly deps: SlotDeps,
  ) {
    this.logger = deps.logger.child({ model: settings.name });
  }

  get name(): string {
    return this.settings.name;
  }

  /** Loads the active version (must succeed) and the configured candidates, then follows the registry. */
  async start(): Promise<void> {
    const { registry } = this.deps;
    const { name, canary, shadow } = this.settings;
    if (canary || shadow.length) await registry.setRollout(name, { ...(canary ? { canary } : {}), shadow });
    const active = this.settings.version ?? (await registry.activeVersion(name));
    await this.apply(active, registry.rollout(name), true);
    this.unsubscribe = registry.subscribe((e) => this.onEvent(e));
  }

  /** Waits for registry changes already received to be applied (tests, admin calls). */
  settled(): Promise<void> {
    return this.pending;
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    await this.pending;
    this.routing = undefined;
    const all = [...this.loaded.values()];
    this.loaded.clear();
    await Promise.all(all.map((m) => m.close()));
  }

  /** Scores a row with the version this key routes to, and with every shadow version. */
  score(key: string, row: ModelRow, signal?: AbortSignal): Promise<SlotScores> {
    // The common case (no shadow version): one submit, no routing object or shadow list per row.
    const r = this.routing;
    if (r && r.shadows.length === 0) {
      const by = this.primaryFor(r, key);
      return by.score(row, signal).then(
        (score): SlotScores => ({ primary: score, by, shadows: NONE }),
        (err) => {
          if (err instanceof BatcherClosedError) return this.scoreRouted(key, row, signal);
          throw err;
        },
      );
    }
    return this.scoreRouted(key, row, signal);
  }

  /** Scores with the current routing (shadows included), resubmitting when a version was swapped out. */
  private async scoreRouted(key: string, row: ModelRow, signal?: AbortSignal): Promise<SlotScores> {
    for (let attempt = 1; ; attempt++) {
      const { primary, shadows } = this.pick(key);
      const shadowRuns = shadows.map((s) =>
        s.score(row, signal).catch((err) => {
          this.logger.warn({ version: s.version, err: errorMessage(err) }, "shadow scoring failed; ignored");
          return undefined;
        }),
      );
      try {
        const score = await primary.score(row, signal);
        // The common case (no shadow version): no Promise.all and filtered array per row.
        if (shadowRuns.length === 0) return { primary: score, by: primary, shadows: NONE };
        const done = await Promise.all(shadowRuns);
        return { primary: score, by: primary, shadows: done.filter((s): s is RowScore => s !== undefined) };
      } catch (err) {
        // The version was swapped out between pick and submit: the new routing takes the row.
        if (err instanceof BatcherClosedError && attempt < 5) continue;
        throw err;
      }
    }
  }

  /** Which version serves `key`, and which shadow versions mirror it. */
  pick(key: string): { primary: LoadedModel; shadows: LoadedModel[] } {
    const r = this.routing;
    if (!r) throw new BatcherClosedError();
    const primary = this.primaryFor(r, key);
    return { primary, shadows: r.shadows.length === 0 ? NONE : r.shadows.filter((s) => s !== primary) };
  }
  /** The version that serves `key`: the canary for keys in its share, else the active one. */
  private primaryFor(r: Routing, key: string): LoadedModel {
    return r.canary && inCanary(this.name, key, r.canary.percent) ? r.canary.model : r.active;
  }

  status() {
    const r = this.routing;
    const describe = (m: LoadedModel) => ({
      version: m.version,
      provider: m.provider,
      providers: m.providers,
    });
    return {
      name: this.name,
      active: r ? describe(r.active) : undefined,
      canary: r?.canary ? { ...describe(r.canary.model), percent: r.canary.percent } : undefined,
      shadows: r?.shadows.map(describe) ?? [],
      /** Versions the registry asked for that did not load, with the reason (e.g. a refused candidate). */
      failed: Object.fromEntries(this.failures),
    };
  }

  private onEvent(e: RegistryEvent): void {
    if (e.name !== this.name) return;
    if (e.type === "activated") {
      if (this.settings.version) {
        this.logger.warn(
          { pinned: this.settings.version, activated: e.version },
          "version pinned; activation ignored",
        );
        return;
      }
      this.enqueue(() => this.apply(e.version, this.deps.registry.rollout(this.name), false));
    } else {
      this.enqueue(async () => {
        if (this.routing) await this.apply(this.routing.active.version, e.rollout, false);
      });
    }
  }

  private enqueue(task: () => Promise<void>): void {
    this.pending = this.pending.then(task).catch((err) => this.logger.error({ err }, "model reload failed"));
  }

  private async ensure(version: string): Promise<LoadedModel> {
    let model = this.loaded.get(version);
    if (!model) {
      try {
        model = await this.deps.load(await this.deps.registry.load(this.name, version));
      } catch (err) {
        this.failures.set(version, errorMessage(err));
        throw err;
      }
      this.failures.delete(version);
      this.loaded.set(version, model);
    }
    return model;
  }

  private async apply(activeVersion: string, rollout: Rollout, strict: boolean): Promise<void> {
    let active: LoadedModel;
    try {
      active = await this.ensure(activeVersion);
    } catch (err) {
      if (strict) throw err;
      this.logger.error(
        { version: activeVersion, serving: this.routing?.active.version, err: errorMessage(err) },
        `activation of ${this.name}@${activeVersion} failed; still serving ${this.routing?.active.version}`,
      );
      await this.sweep();
      return;
    }
    const candidate = async (version: string): Promise<LoadedModel | undefined> => {
      if (version === activeVersion) return undefined;
      try {
        return await this.ensure(version);
      } catch (err) {
        this.logger.error(
          { version, err: errorMessage(err) },
          `candidate ${this.name}@${version} not loaded`,
        );
        return undefined;
      }
    };
    // Failures of versions no longer asked for are history, not status.
    const wanted = new Set([
      activeVersion,
      ...(rollout.canary ? [rollout.canary.version] : []),
      ...rollout.shadow,
    ]);
    for (const v of this.failures.keys()) if (!wanted.has(v)) this.failures.delete(v);
    const canaryModel = rollout.canary ? await candidate(rollout.canary.version) : undefined;
    const shadows: LoadedModel[] = [];
    for (const v of rollout.shadow) {
      const m = await candidate(v);
      if (m && !shadows.includes(m)) shadows.push(m);
    }
    const previous = this.routing?.active.version;
    this.routing = {
      active,
      ...(canaryModel && rollout.canary
        ? { canary: { model: canaryModel, percent: rollout.canary.percent } }
        : {}),
      shadows,
    };
    this.logger.info(
      {
        version: active.version,
        previous,
        provider: active.provider,
        canary:
          this.routing.canary && `${this.routing.canary.model.version} (${this.routing.canary.percent}%)`,
        shadow: shadows.map((s) => s.version),
      },
      `serving ${this.name}@${active.version}`,
    );
    await this.sweep();
  }

  /** Closes loaded versions the routing no longer uses; their in-flight batches finish first. */
  private async sweep(): Promise<void> {
    const r = this.routing;
    const used = new Set<LoadedModel>(
      r ? [r.active, ...(r.canary ? [r.canary.model] : []), ...r.shadows] : [],
    );
    for (const [version, model] of this.loaded) {
      if (used.has(model)) continue;
      this.loaded.delete(version);
      // Not awaited: a reload must not wait for the old version's queue to drain.
      model.close().then(
        () => this.logger.info({ version }, `released ${this.name}@${version}`),
        (err) => this.logger.error({ version, err }, "releasing a model version failed"),
      );
    }
  }
}
