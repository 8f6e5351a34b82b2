/**
 * Hands the stream's own feature code to the Python training pipeline (run by train.sh with tsx):
 * - <data>/feature-spec.json: the fraud feature names in model-input order and both feature sets;
 * - <data>/normalized-texts.json: normalizeText() of every text the moderation evaluation scores
 *   (training/moderation/eval-sentences.jsonl, the blocklist terms, <data>/posts.jsonl), so the model
 *   is evaluated on exactly what the feature stage will feed it.
 *
 *   npx tsx training/feature-bridge.ts training/data
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FEATURE_SET, FRAUD_FEATURE_NAMES } from "../consumers/features/fraud/index.ts";
import {
  DEFAULT_BLOCKLIST_PATH,
  MODERATION_FEATURE_NAMES,
  MODERATION_FEATURE_SET,
  normalizeText,
  parseBlocklistTsv,
} from "../consumers/features/moderation/index.ts";

const dataDir = process.argv[2] ?? "training/data";
const here = new URL(".", import.meta.url).pathname;

writeFileSync(
  join(dataDir, "feature-spec.json"),
  `${JSON.stringify(
    {
      fraud: { featureSet: FEATURE_SET, features: FRAUD_FEATURE_NAMES },
      moderation: { featureSet: MODERATION_FEATURE_SET, features: MODERATION_FEATURE_NAMES, text: "normalizedText" },
    },
    null,
    2,
  )}\n`,
);

const texts = new Set<string>();
const jsonl = (path: string) =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line));
for (const row of jsonl(join(here, "moderation", "eval-sentences.jsonl"))) texts.add(row.text);
for (const entry of parseBlocklistTsv(readFileSync(DEFAULT_BLOCKLIST_PATH, "utf8"))) texts.add(entry.term);
const posts = join(dataDir, "posts.jsonl");
if (existsSync(posts)) for (const row of jsonl(posts)) texts.add(row.event.text);

const table: Record<string, string> = {};
for (const text of texts) table[text] = normalizeText(text);
writeFileSync(join(dataDir, "normalized-texts.json"), `${JSON.stringify(table)}\n`);
process.stderr.write(`[feature-bridge] ${FRAUD_FEATURE_NAMES.length} fraud features; ${texts.size} texts normalized\n`);
