/**
 * Offline moderation table: simulated posts through the ingest stage's normalization and the same
 * moderation feature code as the stream (no state, so order does not matter here).
 */
import { UnrecoverableError } from "../../../lib/errors/index.ts";
import { generatePosts, type PostSimulatorInput } from "../../../producers/simulators/posts/index.ts";
import { normalizePost, parseIngestSettings } from "../../ingest/index.ts";
import { createModerationFeatureStage, MODERATION_FEATURE_NAMES } from "../moderation/index.ts";
import { csvField } from "./csv.ts";

export interface ModerationFeatureRow {
  postId: string;
  occurredAt: number;
  authorId: string;
  /** In MODERATION_FEATURE_NAMES order. */
  features: number[];
  blocklistHits: string[];
  normalizedText: string;
  isAbusive: boolean;
  category: string;
}

/** One row per post the ingest stage accepts, in event-time order. */
export function* replayModerationFeatures(options: PostSimulatorInput = {}): Generator<ModerationFeatureRow> {
  const stage = createModerationFeatureStage({ name: "features.moderation.replay" });
  const settings = parseIngestSettings({});
  for (const { event, truth } of generatePosts(options)) {
    let post: ReturnType<typeof normalizePost>;
    try {
      post = normalizePost(event, event.occurredAt, settings);
    } catch (error) {
      if (error instanceof UnrecoverableError) continue; // dead-lettered online: no row
      throw error;
    }
    const value = stage.compute(post);
    yield {
      postId: value.postId,
      occurredAt: value.occurredAt,
      authorId: value.authorId,
      features: MODERATION_FEATURE_NAMES.map((name) => value.features[name] as number),
      blocklistHits: value.blocklistHits,
      normalizedText: value.normalizedText,
      isAbusive: truth.isAbusive,
      category: truth.category,
    };
  }
}

export const MODERATION_CSV_COLUMNS = [
  "postId",
  "occurredAt",
  "authorId",
  ...MODERATION_FEATURE_NAMES,
  "blocklistHits",
  "normalizedText",
  "IS_ABUSIVE",
  "CATEGORY",
] as const;

/** blocklistHits joined with "|" (terms never contain it). */
export function moderationCsvLine(row: ModerationFeatureRow): string {
  return `${[
    csvField(row.postId),
    new Date(row.occurredAt).toISOString(),
    csvField(row.authorId),
    ...row.features.map(String),
    csvField(row.blocklistHits.join("|")),
    csvField(row.normalizedText),
    row.isAbusive ? "1" : "0",
    row.category,
  ].join(",")}\n`;
}
