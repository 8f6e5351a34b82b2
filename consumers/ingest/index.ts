export { type DedupeStore, memoryDedupe, redisDedupe } from "./dedupe.ts";
export { createIngestStage, type IngestDeps } from "./ingest.ts";
export { type IngestSettings, ingestSettingsSchema, parseIngestSettings } from "./options.ts";
export { normalizePost, normalizeTransaction } from "./validate.ts";
