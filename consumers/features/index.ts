/**
 * Feature extraction: public surface. See README.md for the definitions, the store layout, the
 * lateness choices and the replay CLI.
 */
export { createFeatureStage, type FeatureStage, type FeatureStageDeps } from "./features-stage.ts";
export * from "./fraud/index.ts";
export * from "./moderation/index.ts";
export * from "./replay/index.ts";
export * from "./store/index.ts";
