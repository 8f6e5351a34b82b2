/** The ingestion stage: validate, normalize, dedupe; outputs one ingested event or nothing (duplicate). */

import { TOPICS } from "../../topology/index.ts";
import { input, type Stage, type StageContext } from "../runtime/index.ts";
import type { DedupeStore } from "./dedupe.ts";
import { memoryDedupe } from "./dedupe.ts";
import { type IngestSettings, parseIngestSettings } from "./options.ts";
import { normalizePost, normalizeTransaction } from "./validate.ts";

export interface IngestDeps {
  dedupe?: DedupeStore;
  settings?: Partial<IngestSettings>;
}

function position(ctx: StageContext): string {
  return `${ctx.topic}/${ctx.partition}/${ctx.offset}`;
}

export function createIngestStage(deps: IngestDeps = {}): Stage {
  const settings = parseIngestSettings(deps.settings);
  const dedupe = deps.dedupe ?? memoryDedupe();

  async function duplicate(eventId: string, ctx: StageContext): Promise<boolean> {
    const dup = await dedupe.isDuplicate(eventId, position(ctx), settings.dedupeWindowMs, ctx.now());
    if (dup) ctx.logger.info({ eventId, offset: ctx.offset }, "duplicate event dropped");
    return dup;
  }

  return {
    name: "ingest",
    concurrency: "per-key",
    produces: [TOPICS.transactionIngested, TOPICS.postIngested],
    inputs: [
      input(TOPICS.transactionCreated, async (tx, ctx) => {
        const value = normalizeTransaction(tx, ctx.now(), settings);
        if (await duplicate(value.eventId, ctx)) return [];
        return [{ topic: TOPICS.transactionIngested, value }];
      }),
      input(TOPICS.postSubmitted, async (post, ctx) => {
        const value = normalizePost(post, ctx.now(), settings);
        if (await duplicate(value.eventId, ctx)) return [];
        return [{ topic: TOPICS.postIngested, value }];
      }),
    ],
  };
}
