/** The ingestion stage: validate, normalize, dedupe; outputs one ingested event or nothing (duplicate). */

import { TOPICS } from "../../topology/index.ts";
import { input, isPromise, type Stage, type StageContext, type StageOutput } from "../runtime/index.ts";
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

function keepUnlessDuplicate(
  dup: boolean,
  eventId: string,
  ctx: StageContext,
  output: StageOutput,
): StageOutput[] {
  if (!dup) return [output];
  ctx.logger.info({ eventId, offset: ctx.offset }, "duplicate event dropped");
  return [];
}

export function createIngestStage(deps: IngestDeps = {}): Stage {
  const settings = parseIngestSettings(deps.settings);
  const dedupe = deps.dedupe ?? memoryDedupe();

  /** Outputs `output` unless its event id is a duplicate; synchronous when the dedupe store is. */
  function unlessDuplicate(
    eventId: string,
    ctx: StageContext,
    output: StageOutput,
  ): StageOutput[] | Promise<StageOutput[]> {
    const dup = dedupe.isDuplicate(eventId, position(ctx), settings.dedupeWindowMs, ctx.now());
    return isPromise(dup)
      ? dup.then((d) => keepUnlessDuplicate(d, eventId, ctx, output))
      : keepUnlessDuplicate(dup, eventId, ctx, output);
  }

  return {
    name: "ingest",
    concurrency: "per-key",
    produces: [TOPICS.transactionIngested, TOPICS.postIngested],
    inputs: [
      input(TOPICS.transactionCreated, (tx, ctx) => {
        const value = normalizeTransaction(tx, ctx.now(), settings);
        return unlessDuplicate(value.eventId, ctx, { topic: TOPICS.transactionIngested, value });
      }),
      input(TOPICS.postSubmitted, (post, ctx) => {
        const value = normalizePost(post, ctx.now(), settings);
        return unlessDuplicate(value.eventId, ctx, { topic: TOPICS.postIngested, value });
      }),
    ],
  };
}
