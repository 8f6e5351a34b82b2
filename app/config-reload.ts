/**
 * What a running process does when its configuration file changes (watchStageConfig reports it):
 * - `scoring:` replaces the LivePolicy, which decides from the next record;
 * - a served model's `canary` and `shadow` versions go to the registry, as `verdict models
 *   canary|shadow` would (a version it cannot load is refused, the rollout kept);
 * - other `inference:` settings are reported: they apply at the next start.
 * Changes apply one at a time; the last one's outcome feeds the config gauges.
 */
import { isDeepStrictEqual } from "node:util";
import {
  type InferenceSettings,
  type InferenceSettingsInput,
  type ModelRegistry,
  type ModelSlotSettings,
  parseInferenceSettings,
} from "../consumers/inference/index.ts";
import type { LivePolicy } from "../consumers/scoring/index.ts";
import { errorMessage, type VerdictError } from "../lib/errors/index.ts";
import type { Logger } from "../lib/log/index.ts";
import type { ConfigStatus } from "../observability/metrics/config-gauges.ts";
import type { StageConfig } from "./config-file.ts";

type Domain = keyof InferenceSettings["models"];

export interface ConfigReloadTarget {
  file: string;
  policy: LivePolicy;
  /** The inference settings the stages started with. */
  inference: InferenceSettingsInput | undefined;
  /** The registry the inference stage follows; undefined while no inference stage runs here. */
  registry: () => ModelRegistry | undefined;
  logger: Logger;
}

export class ConfigReloader {
  private readonly logger: Logger;
  private readonly started: InferenceSettings;
  /** The file's latest inference settings, whose rollouts were applied. */
  private latest: InferenceSettings;
  private applying: Promise<void> = Promise.resolve();
  private last: Omit<ConfigStatus, "file" | "policyVersion"> = {};

  constructor(private readonly target: ConfigReloadTarget) {
    this.logger = target.logger.child({ component: "config", file: target.file });
    this.started = parseInferenceSettings(target.inference);
    this.latest = this.started;
  }

  status(): ConfigStatus & { policyVersion: string } {
    return { file: this.target.file, ...this.last, policyVersion: this.target.policy.current.version };
  }

  /** A valid new content of the file: applied after the changes before it. */
  changed(config: StageConfig): void {
    this.applying = this.applying
      .then(() => this.apply(config))
      .then(
        () => this.outcome(true),
        (err: unknown) => {
          this.outcome(false);
          this.logger.error({ err: errorMessage(err) }, "configuration file change not applied");
        },
      );
  }

  /** A content that cannot be read or does not validate: nothing changes. */
  refused(err: VerdictError): void {
    this.outcome(false);
    this.logger.error(
      { err: err.message },
      "configuration file changed but is refused: the stages keep the configuration they run with; fix the file to apply it",
    );
  }

  /** Resolves once the changes reported so far are applied (or failed). */
  settled(): Promise<void> {
    return this.applying;
  }

  private outcome(successful: boolean): void {
    const at = Date.now();
    this.last = {
      ...this.last,
      lastReload: { successful, at },
      ...(successful ? { lastSuccessAt: at } : {}),
    };
  }

  private async apply(config: StageConfig): Promise<void> {
    const { policy } = this.target;
    const before = policy.current;
    const next = policy.replace(config.scoring); // an unchanged section swaps in an equal policy: harmless
    if (!isDeepStrictEqual(next, before)) {
      this.logger.info(
        { from: before.version, to: next.version },
        "scoring policy reloaded: it decides from the next record",
      );
      if (next.version === before.version) {
        this.logger.warn(
          { version: next.version },
          "the scoring policy changed but scoring.version did not: rule-decided verdicts cannot tell the two apart; give the new policy a new version",
        );
      }
    }
    const registry = this.target.registry();
    if (registry) await this.applyInference(parseInferenceSettings(config.inference), registry);
  }

  private async applyInference(next: InferenceSettings, registry: ModelRegistry): Promise<void> {
    if (!isDeepStrictEqual(withoutRollouts(next), withoutRollouts(this.started))) {
      this.logger.warn(
        "inference settings in the configuration file differ from those the stages started with, beyond canary and shadow versions: they apply at the next start (restart the stages; `verdict models activate` switches versions without one)",
      );
    }
    for (const [domain, slot] of Object.entries(next.models) as [Domain, ModelSlotSettings][]) {
      const before = this.latest.models[domain];
      if (this.started.models[domain]?.name !== slot.name) continue; // not served under this name
      if (before && isDeepStrictEqual(rolloutOf(before), rolloutOf(slot))) continue;
      await registry.setRollout(slot.name, rolloutOf(slot)); // refuses versions it cannot load
      this.logger.info(
        { model: slot.name, ...rolloutOf(slot) },
        "model rollout set from the configuration file",
      );
    }
    this.latest = next;
  }
}

/** A model's rollout as the registry holds it: its canary and shadow versions. */
function rolloutOf(slot: ModelSlotSettings) {
  return { ...(slot.canary ? { canary: slot.canary } : {}), shadow: slot.shadow };
}

function withoutRollouts(settings: InferenceSettings) {
  const models = Object.entries(settings.models).map(([d, { canary: _c, shadow: _s, ...slot }]) => [d, slot]);
  return { ...settings, models: Object.fromEntries(models) };
}
