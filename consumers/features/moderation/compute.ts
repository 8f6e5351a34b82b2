/**
 * Moderation features of one post: the normalized text the model tokenizes, dense named signals, and
 * blocklist hits. Pure; the stage and the offline replay share it.
 */
import type { Blocklist } from "./blocklist.ts";
import { matchTokens, normalizeText, wordTokens } from "./normalize.ts";

export const MODERATION_FEATURE_SET = "moderation-baseline@1";

/** Dense signals, in the model's input order. */
export const MODERATION_FEATURE_NAMES = [
  /** Code points of the text as ingested. */
  "LENGTH_CHARS",
  /** Word tokens of the normalized text. */
  "TOKEN_COUNT",
  /** Uppercase letters / letters of the text as ingested (0 without letters): shouting. */
  "UPPERCASE_RATIO",
  /** http(s)://…, www.…, and bare domains with a common TLD. */
  "URL_COUNT",
  /** @handle mentions (not e-mail addresses). */
  "MENTION_COUNT",
  /** Runs of 3+ identical characters ("!!!", "sooo"), whitespace excluded, normalized text. */
  "REPEATED_CHAR_RUNS",
  /** 1 − distinct tokens / tokens (0 without tokens): copy-paste spam. */
  "REPEATED_TOKEN_RATIO",
  /** "!" after NFKC (fullwidth ！ counts). */
  "EXCLAMATION_COUNT",
  /** Non-ASCII code points / code points of the text as ingested. */
  "NON_ASCII_RATIO",
  /** Occurrences of blocklist terms rated 2, "likely profane" (a repeated term counts each time). */
  "BLOCKLIST_HITS",
  /** Occurrences of terms rated 1, "maybe profane" (mixed with topical words: a weak signal). */
  "BLOCKLIST_WEAK_HITS",
] as const;

export type ModerationFeatureName = (typeof MODERATION_FEATURE_NAMES)[number];
export type ModerationFeatures = Record<ModerationFeatureName, number>;

export interface ModerationResult {
  normalizedText: string;
  features: ModerationFeatures;
  /** Distinct terms rated ≥ STRONG_RATING found, in order of first occurrence, as listed. */
  blocklistHits: string[];
}

/** Blocklist rating that counts as a hit (PostFeatures.blocklistHits, BLOCKLIST_HITS). */
export const STRONG_RATING = 2;

const TLDS = "com|net|org|io|co|ly|me|info|biz|xyz|ru|cn|de|uk|fr|app|dev|site|online|shop|top|gg|tv";
const URL = new RegExp(
  String.raw`\bhttps?:\/\/[^\s<>"]+|\bwww\.[^\s<>"]+|(?<![\p{L}\p{N}_@.\/-])[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:${TLDS})\b(?:\/[^\s<>"]*)?`,
  "giu",
);
const MENTION = /(?<![\p{L}\p{N}_@.])@[\p{L}\p{N}_]{1,30}/gu;
const REPEATED_RUN = /(\S)\1{2,}/gu;
const LETTER = /\p{L}/u;
const UPPER = /\p{Lu}/u;

export function countUrls(text: string): number {
  // Every URL form has a "." or "://" in it: most posts skip the (costly) expression.
  if (!text.includes(".") && !text.includes("://")) return 0;
  return text.match(URL)?.length ?? 0;
}

export function countMentions(text: string): number {
  if (!text.includes("@")) return 0;
  // An address like a@b.com has a word character before "@": not a mention. URLs are removed first.
  return text.replace(URL, " ").match(MENTION)?.length ?? 0;
}

export function computeModerationFeatures(text: string, blocklist: Blocklist): ModerationResult {
  const nfkc = text.normalize("NFKC");
  const normalizedText = normalizeText(text);
  let length = 0;
  let letters = 0;
  let upper = 0;
  let nonAscii = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    length++;
    if (unit < 0x80) {
      // ASCII fast path: no regex per character.
      if (unit >= 0x61 && unit <= 0x7a) letters++;
      else if (unit >= 0x41 && unit <= 0x5a) {
        letters++;
        upper++;
      }
      continue;
    }
    nonAscii++;
    const cp = text.codePointAt(i)!;
    if (cp > 0xffff) i++; // a surrogate pair is one code point
    const ch = String.fromCodePoint(cp);
    if (LETTER.test(ch)) {
      letters++;
      if (UPPER.test(ch)) upper++;
    }
  }
  const tokens = wordTokens(normalizedText);
  const hits = blocklist.match(matchTokens(normalizedText));
  const strong = hits.filter((h) => h.rating >= STRONG_RATING).map((h) => h.term);
  const features: ModerationFeatures = {
    LENGTH_CHARS: length,
    TOKEN_COUNT: tokens.length,
    UPPERCASE_RATIO: letters > 0 ? upper / letters : 0,
    URL_COUNT: countUrls(nfkc),
    MENTION_COUNT: countMentions(nfkc),
    REPEATED_CHAR_RUNS: normalizedText.match(REPEATED_RUN)?.length ?? 0,
    REPEATED_TOKEN_RATIO: tokens.length > 0 ? 1 - new Set(tokens).size / tokens.length : 0,
    EXCLAMATION_COUNT: nfkc.split("!").length - 1,
    NON_ASCII_RATIO: length > 0 ? nonAscii / length : 0,
    BLOCKLIST_HITS: strong.length,
    BLOCKLIST_WEAK_HITS: hits.length - strong.length,
  };
  return { normalizedText, features, blocklistHits: [...new Set(strong)] };
}
