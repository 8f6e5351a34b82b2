/**
 * Blocklist matching over normalized, deleeted tokens: single words and multi-word phrases (greedy
 * longest match), with a second chance for stretched words ("fuuuck"). The default list is the
 * vendored cuss@2.2.0 English list (blocklist-en.tsv, MIT; see BLOCKLIST-LICENSE.md). Each term keeps
 * its rating: 2 = likely profane (the "hits" rules may act on), 1 = maybe (topical words such as
 * "drug" or "god" sit beside real profanity there: a model input only), 0 = rarely (not loaded).
 */
import { readFileSync } from "node:fs";
import { VerdictError } from "../../../lib/errors/index.ts";
import { packagePath } from "../../../lib/paths/index.ts";
import { deleet, normalizeText, squeezeRepeats } from "./normalize.ts";

export const DEFAULT_BLOCKLIST_PATH = packagePath("consumers", "features", "moderation", "blocklist-en.tsv");

export interface BlocklistEntry {
  /** The term as listed. */
  term: string;
  rating: number;
}

export interface Blocklist {
  /** Matching key (normalized, deleeted, words joined by one space) → entry. */
  readonly terms: ReadonlyMap<string, BlocklistEntry>;
  /** Longest phrase, in words. */
  readonly maxWords: number;
  /** Every occurrence of a listed term in `tokens` (from matchTokens), in order. */
  match(tokens: readonly string[]): BlocklistEntry[];
}

export function matchKey(term: string): string {
  return normalizeText(term)
    .split(" ")
    .map((word) => (/\p{L}/u.test(word) ? deleet(word) : word))
    .join(" ");
}

/** Builds a blocklist; when two terms share a matching key ("pi55", "piss") the higher rating wins. */
export function createBlocklist(entries: Iterable<BlocklistEntry>): Blocklist {
  const map = new Map<string, BlocklistEntry>();
  let maxWords = 1;
  for (const entry of entries) {
    const key = matchKey(entry.term);
    const existing = map.get(key);
    if (key.length === 0 || (existing && existing.rating >= entry.rating)) continue;
    map.set(key, entry);
    maxWords = Math.max(maxWords, key.split(" ").length);
  }
  // First word → longest phrase starting with it: most tokens start no phrase, so they cost one lookup.
  const phraseStarts = new Map<string, number>();
  for (const key of map.keys()) {
    const words = key.split(" ");
    if (words.length > 1)
      phraseStarts.set(words[0]!, Math.max(phraseStarts.get(words[0]!) ?? 1, words.length));
  }
  return {
    terms: map,
    maxWords,
    match(tokens) {
      const hits: BlocklistEntry[] = [];
      let i = 0;
      while (i < tokens.length) {
        const token = tokens[i]!;
        let matched = 0;
        const longest = Math.min(phraseStarts.get(token) ?? 1, tokens.length - i);
        for (let n = longest; n > 1 && matched === 0; n--) {
          const hit = map.get(tokens.slice(i, i + n).join(" "));
          if (hit !== undefined) {
            hits.push(hit);
            matched = n;
          }
        }
        if (matched === 0) {
          const hit = map.get(token);
          if (hit !== undefined) {
            hits.push(hit);
          } else if (hasRun(token)) {
            const squeezed = squeezeRepeats(token);
            const again = squeezed !== token ? map.get(squeezed) : undefined;
            if (again !== undefined) hits.push(again);
          }
          matched = 1;
        }
        i += matched;
      }
      return hits;
    },
  };
}

/** Three identical characters in a row (or an astral character): the only tokens squeezeRepeats can change. */
function hasRun(token: string): boolean {
  for (let i = 0; i < token.length; i++) {
    const unit = token.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdfff) return true;
    if (i < 2) continue;
    if (unit === token.charCodeAt(i - 1) && unit === token.charCodeAt(i - 2)) {
      return true;
    }
  }
  return false;
}

/** Parses `term<TAB>rating` lines ('#' comments and blank lines skipped). */
export function parseBlocklistTsv(text: string): BlocklistEntry[] {
  const entries: BlocklistEntry[] = [];
  for (const [index, line] of text.split("\n").entries()) {
    if (line.trim() === "" || line.startsWith("#")) continue;
    const [term, rating] = line.split("\t");
    const value = Number(rating);
    if (!term || !Number.isFinite(value)) {
      throw new VerdictError(
        "VERDICT_ERR_CONFIG",
        `Blocklist line ${index + 1} is not "term<TAB>rating": ${line}`,
      );
    }
    entries.push({ term, rating: value });
  }
  return entries;
}

export interface LoadBlocklistOptions {
  /** A TSV file of `term<TAB>rating`. Default: the vendored cuss@2.2.0 list. */
  path?: string;
  /** Load terms rated at least this (0–2). Default 1 (rating-0 terms are rarely profane). */
  minRating?: number;
}

const cache = new Map<string, Blocklist>();

/** Loads (once per path and rating, then cached) a blocklist file. */
export function loadBlocklist(options: LoadBlocklistOptions = {}): Blocklist {
  const path = options.path ?? DEFAULT_BLOCKLIST_PATH;
  const minRating = options.minRating ?? 1;
  const key = `${minRating}\u0000${path}`;
  let list = cache.get(key);
  if (!list) {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (cause) {
      throw new VerdictError("VERDICT_ERR_CONFIG", `Blocklist ${path} cannot be read: check the path`, {
        cause,
      });
    }
    list = createBlocklist(parseBlocklistTsv(text).filter((e) => e.rating >= minRating));
    cache.set(key, list);
  }
  return list;
}
