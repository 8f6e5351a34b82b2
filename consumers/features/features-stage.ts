/**
 * The whole feature-extraction stage as the topology runs it: transactions → TransactionFeatures,
 * fraud labels → store updates, posts → PostFeatures, in one consumer group ("features"). Built from
 * the fraud and moderation stages, which can also run as separate stages (e.g. labels in their own
 * group so a fast replay never blocks them behind gated transactions).
 */
import type { Stage } from "../runtime/types.ts";
import {
  createFraudFeatureStage,
  type FraudFeatureStage,
  type FraudStageOptionsInput,
} from "./fraud/index.ts";
import {
  createModerationFeatureStage,
  type ModerationFeatureStage,
  type ModerationFeatureStageDeps,
} from "./moderation/index.ts";
import type { FeatureStore } from "./store/index.ts";

export interface FeatureStageDeps {
  /** Memory (embedded/fused) or Redis (split deployments). The caller owns it and closes it. */
  store: FeatureStore;
  fraud?: FraudStageOptionsInput;
  moderation?: ModerationFeatureStageDeps;
  /** Default "features". */
  name?: string;
}

export interface FeatureStage extends Stage {
  fraud: FraudFeatureStage;
  moderation: ModerationFeatureStage;
}

export function createFeatureStage(deps: FeatureStageDeps): FeatureStage {
  const fraud = createFraudFeatureStage({ store: deps.store, options: deps.fraud });
  const moderation = createModerationFeatureStage(deps.moderation);
  return {
    name: deps.name ?? "features",
    // Label progress must be recorded in partition order (see fraud/label-gate.ts).
    concurrency: "sequential",
    inputs: [...fraud.inputs, ...moderation.inputs],
    produces: [...(fraud.produces ?? []), ...(moderation.produces ?? [])],
    fraud,
    moderation,
  };
}
