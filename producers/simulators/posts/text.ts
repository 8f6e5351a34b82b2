/**
 * Turns a category into a post's text: a template from vocabulary.ts with its `{slots}` filled
 * (recursively), then surface variation (case, punctuation, emoji, URLs, hashtags, obfuscated insults,
 * procedural loud spam). Every choice comes from the post's own PRNG stream.
 */
import type { Random } from "../transactions/random.ts";
import { TEMPLATES } from "./templates.ts";
import type { PostCategory } from "./types.ts";
import { LEET, WORDS } from "./vocabulary.ts";

const CODE_CHARS = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

function words(slot: string): readonly string[] {
  const list = WORDS[slot];
  if (!list) throw new RangeError(`post grammar: unknown slot {${slot}}`);
  return list;
}

/** Slots computed rather than listed. */
const SPECIAL: Readonly<Record<string, (rng: Random) => string>> = {
  mention: (rng) => `@${rng.choice(words("name")).toLowerCase()}${rng.randint(1, 999)}`,
  handle: (rng) => `${rng.choice(words("name")).toLowerCase()}${rng.randint(1, 99)}`,
  code: (rng) => {
    let out = "";
    for (let i = rng.randint(5, 8); i > 0; i--) out += CODE_CHARS[rng.int(CODE_CHARS.length)];
    return out;
  },
  path: (rng) =>
    `${rng.choice(["guide", "review", "story", "notes", "post", "video"])}-${rng.randint(100, 9999)}`,
  year: (rng) => String(rng.randint(2016, 2024)),
  score: (rng) => `${rng.randint(1, 5)}-${rng.randint(0, 3)}`,
};

/** Fills `{slot}` placeholders left to right; slot values may contain slots (bounded depth). */
export function expand(template: string, rng: Random, depth = 0): string {
  return template.replace(/\{(\w+)\}/g, (_match, slot: string) => {
    const special = SPECIAL[slot];
    if (special) return special(rng);
    const value = rng.choice(words(slot));
    return depth < 4 ? expand(value, rng, depth + 1) : value;
  });
}

/** One of the filter-dodging spellings: 1d10t, id*ot, i.d.i.o.t. */
export function obfuscate(word: string, rng: Random): string {
  const style = rng.int(3);
  if (style === 0) return [...word].map((ch) => LEET[ch] ?? ch).join("");
  if (style === 1) {
    const vowels = [...word].flatMap((ch, i) => ("aeiou".includes(ch) && i > 0 ? [i] : []));
    if (vowels.length === 0) return `${word[0]}*${word.slice(2)}`;
    const at = rng.choice(vowels);
    return `${word.slice(0, at)}*${word.slice(at + 1)}`;
  }
  return [...word].join(".");
}

const INSULT_WORDS = new RegExp(`\\b(${[...words("insultNoun"), ...words("insultAdj")].join("|")})\\b`);

function loudSpam(rng: Random): string {
  const parts: string[] = [];
  const hooks = rng.sample(words("spamHook"), rng.randint(1, 3));
  const urls = rng.randint(2, 5);
  for (let u = 0; u < urls; u++) {
    const hook = hooks[u % hooks.length] as string;
    const repeat = rng.randint(1, 3);
    parts.push(
      Array.from({ length: repeat }, () => hook).join(" "),
      rng.choice(["!!!", "!!", "$$$", "🔥🔥", "💰", "👉"]),
    );
    parts.push(expand("{spamUrl}", rng));
  }
  return parts.join(" ");
}

function styleAbusive(text: string, category: PostCategory, rng: Random): string {
  let out = category !== "spam" && rng.chance(0.3) ? `${expand("{abusiveOpener}", rng)} ${text}` : text;
  if (category !== "spam" && rng.chance(0.25)) {
    out = out.replace(INSULT_WORDS, (w) => obfuscate(w, rng));
  }
  if (rng.chance(0.15)) out = out.toUpperCase();
  if (rng.chance(0.25)) out += rng.choice(["!!!", "!!", "?!", "!!!!!"]);
  if (rng.chance(0.15)) out += ` ${rng.choice(["🙄", "🤡", "😡", "👎", "🤮"])}`;
  if (category === "harassment" && rng.chance(0.1)) out = `${out} ${out}`;
  return out;
}

function styleClean(text: string, rng: Random): string {
  let out = text.charAt(0).toUpperCase() + text.slice(1);
  if (!out.includes("http") && rng.chance(0.12)) out += ` ${expand("{urlClean}", rng)}`;
  if (rng.chance(0.1))
    out += ` #${rng.choice(["weekend", "review", "tips", "news", "life", "food", "music", "tech"])}`;
  if (rng.chance(0.1)) out = out.toLowerCase();
  return out;
}

/** The text of one post of the given category. */
export function composeText(category: PostCategory, abusive: boolean, rng: Random): string {
  const raw =
    category === "spam" && rng.chance(0.5) ? loudSpam(rng) : expand(rng.choice(TEMPLATES[category]), rng);
  const styled = abusive ? styleAbusive(raw, category, rng) : styleClean(raw, rng);
  return styled
    .replace(/\b([Aa]) ([aeioAEIO])/g, "$1n $2")
    .replace(/\.\./g, ".")
    .replace(/\s+/g, " ")
    .trim();
}
