export {
  type Blocklist,
  type BlocklistEntry,
  createBlocklist,
  DEFAULT_BLOCKLIST_PATH,
  type LoadBlocklistOptions,
  loadBlocklist,
  matchKey,
  parseBlocklistTsv,
} from "./blocklist.ts";
export {
  computeModerationFeatures,
  countMentions,
  countUrls,
  MODERATION_FEATURE_NAMES,
  MODERATION_FEATURE_SET,
  type ModerationFeatureName,
  type ModerationFeatures,
  type ModerationResult,
  STRONG_RATING,
} from "./compute.ts";
export {
  createModerationFeatureStage,
  type ModerationFeatureStage,
  type ModerationFeatureStageDeps,
} from "./moderation-stage.ts";
export { deleet, matchTokens, normalizeText, squeezeRepeats, wordTokens } from "./normalize.ts";
