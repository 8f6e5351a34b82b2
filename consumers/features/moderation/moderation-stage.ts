/**
 * The moderation feature stage: PostIngested → PostFeatures (same event id, keyed by author).
 * Stateless, so it may run "per-key" concurrently.
 */
import type { PostFeatures, PostIngested } from "../../../schemas/generated/types.ts";
import { TOPICS } from "../../../topology/index.ts";
import { input, type Stage, type StageContext, type StageOutput } from "../../runtime/types.ts";
import { type Blocklist, type LoadBlocklistOptions, loadBlocklist } from "./blocklist.ts";
import { computeModerationFeatures, MODERATION_FEATURE_SET } from "./compute.ts";

export interface ModerationFeatureStageDeps {
  /** Default: the vendored list (loadBlocklist()). */
  blocklist?: Blocklist;
  blocklistOptions?: LoadBlocklistOptions;
  /** Stage name. Default "features.moderation". */
  name?: string;
}

export interface ModerationFeatureStage extends Stage {
  onPost(post: PostIngested, ctx?: StageContext): StageOutput[];
  /** The post path without the StageOutput envelope (replay, tests). */
  compute(post: PostIngested): PostFeatures;
}

export function createModerationFeatureStage(deps: ModerationFeatureStageDeps = {}): ModerationFeatureStage {
  const blocklist = deps.blocklist ?? loadBlocklist(deps.blocklistOptions);

  function compute(post: PostIngested): PostFeatures {
    const result = computeModerationFeatures(post.text, blocklist);
    return {
      eventId: post.eventId,
      postId: post.postId,
      authorId: post.authorId,
      occurredAt: post.occurredAt,
      normalizedText: result.normalizedText,
      featureSet: MODERATION_FEATURE_SET,
      features: result.features,
      blocklistHits: result.blocklistHits,
    };
  }

  function onPost(post: PostIngested): StageOutput[] {
    return [{ topic: TOPICS.postFeatures, value: compute(post), key: post.authorId, eventId: post.eventId }];
  }

  return {
    name: deps.name ?? "features.moderation",
    concurrency: "per-key",
    inputs: [input(TOPICS.postIngested, onPost)],
    produces: [TOPICS.postFeatures],
    onPost,
    compute,
  };
}
