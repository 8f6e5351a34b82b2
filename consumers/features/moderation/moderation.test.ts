import { describe, expect, it } from "vitest";
import type { PostIngested } from "../../../schemas/generated/types.ts";
import { TOPICS } from "../../../topology/index.ts";
import {
  computeModerationFeatures,
  countMentions,
  countUrls,
  createBlocklist,
  createModerationFeatureStage,
  deleet,
  loadBlocklist,
  MODERATION_FEATURE_NAMES,
  MODERATION_FEATURE_SET,
  matchTokens,
  normalizeText,
  parseBlocklistTsv,
} from "./index.ts";

describe("normalizeText", () => {
  it("applies NFKC, strips zero-width characters, lowercases and collapses whitespace", () => {
    expect(normalizeText("  Ｈｅｌｌｏ\u200B   Wo\u00ADrld\n\t!  ")).toBe("hello world !");
    expect(normalizeText("ﬁne\uFEFF")).toBe("fine");
    expect(normalizeText("ℌ𝔢𝔩𝔩𝔬")).toBe("hello");
  });

  it("keeps digits and symbols (the model sees them)", () => {
    expect(normalizeText("Sh1t $$$ 100%")).toBe("sh1t $$$ 100%");
  });
});

describe("leetspeak", () => {
  it("maps 0 1 3 4 5 7 @ $ to letters", () => {
    expect(deleet("h3ll0 w0rld")).toBe("hello world");
    expect(deleet("@$$h0l3")).toBe("asshole");
    expect(deleet("1d10t")).toBe("idiot");
    expect(deleet("7r4$h")).toBe("trash");
  });

  it("deleets only tokens with a letter", () => {
    expect(matchTokens("sh1t 2018 a$$ $$$")).toEqual(["shit", "2018", "ass", "$$$"]);
  });
});

describe("URL and mention counting", () => {
  it("counts scheme URLs, www. and bare domains, not e-mail addresses", () => {
    expect(countUrls("see https://a.example/x?y=1 and http://b.test")).toBe(2);
    expect(countUrls("go to www.spam.biz now")).toBe(1);
    expect(countUrls("cheap pills at pills.shop/buy and example.com")).toBe(2);
    expect(countUrls("mail me at someone@example.com")).toBe(0);
    expect(countUrls("version 1.2.3 is out")).toBe(0);
  });

  it("counts @handles, not e-mail addresses or URL parts", () => {
    expect(countMentions("@alice and @bob_2 hi")).toBe(2);
    expect(countMentions("someone@example.com")).toBe(0);
    expect(countMentions("https://x.com/@carol")).toBe(0);
  });
});

describe("blocklist", () => {
  const list = createBlocklist([
    { term: "idiot", rating: 2 },
    { term: "alligator bait", rating: 2 },
    { term: "pi55", rating: 2 },
    { term: "damn", rating: 1 },
  ]);

  it("matches deleeted words, phrases, stretched words and listed leet forms", () => {
    const hits = list.match(
      matchTokens(normalizeText("You 1d10t!! ALLIGATOR   bait. idiooooot, piss, damn")),
    );
    expect(hits.map((h) => h.term)).toEqual(["idiot", "alligator bait", "idiot", "pi55", "damn"]);
  });

  it("does not match inside other words", () => {
    expect(list.match(matchTokens("idiotic classy"))).toEqual([]);
  });

  it("parses the TSV format and rejects malformed lines", () => {
    expect(parseBlocklistTsv("# comment\n\nfoo\t2\nbar baz\t1\n")).toEqual([
      { term: "foo", rating: 2 },
      { term: "bar baz", rating: 1 },
    ]);
    expect(() => parseBlocklistTsv("foo\n")).toThrow(/term<TAB>rating/);
  });

  it("loads the vendored cuss@2.2.0 list", () => {
    const vendored = loadBlocklist();
    expect(vendored.terms.size).toBeGreaterThan(1000);
    expect(vendored.terms.get("fuck")?.rating).toBe(2);
    expect(vendored.terms.has("african")).toBe(false); // rated 0: not loaded
  });
});

describe("computeModerationFeatures", () => {
  it("computes every named signal", () => {
    const list = loadBlocklist();
    const result = computeModerationFeatures("WOW you IDIOT!!! 1d10t idiot see http://x.co @bob ÿ", list);
    expect(Object.keys(result.features)).toEqual([...MODERATION_FEATURE_NAMES]);
    expect(result.normalizedText).toBe("wow you idiot!!! 1d10t idiot see http://x.co @bob ÿ");
    expect(result.features).toMatchObject({
      LENGTH_CHARS: 51,
      TOKEN_COUNT: 11,
      URL_COUNT: 1,
      MENTION_COUNT: 1,
      REPEATED_CHAR_RUNS: 1,
      EXCLAMATION_COUNT: 3,
      BLOCKLIST_HITS: 3,
    });
    expect(result.features.UPPERCASE_RATIO).toBeCloseTo(8 / 32);
    expect(result.features.REPEATED_TOKEN_RATIO).toBeCloseTo(1 - 10 / 11);
    expect(result.features.NON_ASCII_RATIO).toBeCloseTo(1 / 51);
    expect(result.blocklistHits).toEqual(["idiot"]);
  });

  it("is all zeros but length for empty-ish text", () => {
    const result = computeModerationFeatures("   ", loadBlocklist());
    expect(result.normalizedText).toBe("");
    expect(result.features.TOKEN_COUNT).toBe(0);
    expect(result.features.UPPERCASE_RATIO).toBe(0);
    expect(result.features.REPEATED_TOKEN_RATIO).toBe(0);
  });
});

describe("moderation feature stage", () => {
  it("emits one PostFeatures keyed by author with the input's event id", () => {
    const stage = createModerationFeatureStage();
    const post: PostIngested = {
      eventId: "ev-1",
      postId: "p1",
      authorId: "a1",
      text: "Hello @team, great work!",
      language: "en",
      occurredAt: 1,
      ingestedAt: 2,
    };
    const [out, ...rest] = stage.onPost(post);
    expect(rest).toEqual([]);
    expect(stage.inputs.map((i) => i.topic.name)).toEqual([TOPICS.postIngested.name]);
    expect(out?.topic).toBe(TOPICS.postFeatures);
    expect(out?.key).toBe("a1");
    expect(out?.value).toMatchObject({
      eventId: "ev-1",
      postId: "p1",
      authorId: "a1",
      occurredAt: 1,
      normalizedText: "hello @team, great work!",
      featureSet: MODERATION_FEATURE_SET,
      blocklistHits: [],
    });
  });
});
