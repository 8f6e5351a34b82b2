/**
 * Text normalization for moderation. Two levels:
 * - `normalizeText`: what the model consumes (PostFeatures.normalizedText): Unicode NFKC (fullwidth
 *   and stylised letters fold to plain ones), zero-width and soft-hyphen characters removed, lowercase,
 *   whitespace runs collapsed to one space, trimmed. Digits and symbols are kept: they carry meaning.
 * - `deleet`: for blocklist matching only, maps common leetspeak substitutions to letters
 *   (0→o 1→i 3→e 4→a 5→s 7→t @→a $→s), so "sh1t" and "a$$" match the list.
 */

/** ZERO WIDTH SPACE/NON-JOINER/JOINER, WORD JOINER, BOM/ZWNBSP, SOFT HYPHEN, MONGOLIAN VOWEL SEPARATOR. */
const INVISIBLE = /[\u200B-\u200D\u2060\uFEFF\u00AD\u180E]/g;
const WHITESPACE = /\s+/gu;

export function normalizeText(text: string): string {
  return text.normalize("NFKC").replace(INVISIBLE, "").toLowerCase().replace(WHITESPACE, " ").trim();
}

const LEET: Readonly<Record<string, string>> = Object.freeze({
  "0": "o",
  "1": "i",
  "3": "e",
  "4": "a",
  "5": "s",
  "7": "t",
  "@": "a",
  $: "s",
});
const LEET_CHARS = /[013457@$]/g;

export function deleet(token: string): string {
  return token.replace(LEET_CHARS, (ch) => LEET[ch] ?? ch);
}

/** Word tokens of normalized text (letters, digits, underscore; apostrophes inside words kept). */
const WORD = /[\p{L}\p{N}_]+(?:['’][\p{L}]+)*/gu;
/** Tokens for blocklist matching: also keep leetspeak symbols inside a word ("a$$", "@ss"). */
const MATCH_TOKEN = /[\p{L}\p{N}@$]+/gu;

export function wordTokens(normalized: string): string[] {
  return normalized.match(WORD) ?? [];
}

/** Tokens for blocklist matching: deleeted; a token of only digits/symbols is left as is. */
export function matchTokens(normalized: string): string[] {
  const raw = normalized.match(MATCH_TOKEN) ?? [];
  return raw.map((token) => (/\p{L}/u.test(token) ? deleet(token) : token));
}

/** "fuuuuck" → "fuck", "shiiit" → "shit": runs of 3+ identical letters squeezed to one. */
export function squeezeRepeats(token: string): string {
  return token.replace(/(\p{L})\1{2,}/gu, "$1");
}
