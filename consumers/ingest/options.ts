import { z } from "zod";
import { settingPath, VerdictError } from "../../lib/errors/index.ts";

export const ingestSettingsSchema = z
  .object({
    /** Reject events whose occurredAt is further than this in the future (clock skew allowance). Default 5 min. */
    maxFutureSkewMs: z
      .number()
      .int()
      .min(0)
      .default(5 * 60_000),
    /** Largest accepted transaction amount in major units. Default 1,000,000. */
    maxAmount: z.number().positive().default(1_000_000),
    /** Accepted currencies (ISO 4217). Default: a common set. */
    currencies: z
      .array(z.string().regex(/^[A-Z]{3}$/))
      .default(["EUR", "USD", "GBP", "CHF", "JPY", "CAD", "AUD", "SEK", "NOK", "DKK", "PLN", "CZK"]),
    /** Longest accepted post, in characters after normalization. Default 10,000. */
    maxTextLength: z.number().int().positive().default(10_000),
    /** Duplicate event ids are dropped when seen again within this window. Default 24 h. */
    dedupeWindowMs: z
      .number()
      .int()
      .min(0)
      .default(24 * 60 * 60_000),
  })
  .strict();

export type IngestSettings = z.infer<typeof ingestSettingsSchema>;

export function parseIngestSettings(input: unknown): Readonly<IngestSettings> {
  const parsed = ingestSettingsSchema.safeParse(input ?? {});
  if (!parsed.success) {
    const lines = parsed.error.issues
      .map((i) => `  - ${settingPath("ingest", i.path)}: ${i.message}`)
      .join("\n");
    throw new VerdictError("VERDICT_ERR_CONFIG", `Invalid ingest settings:\n${lines}`);
  }
  return Object.freeze(parsed.data);
}
