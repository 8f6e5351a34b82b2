import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { VerdictError } from "../../../lib/errors/index.ts";
import { schemaCatalog } from "../../../schemas/catalog/index.ts";
import { createRandom } from "../transactions/random.ts";
import { POST_CSV_HEADER, runPostsCli } from "./cli.ts";
import { resolvePostOptions } from "./options.ts";
import { generatePosts, simulatePosts, streamPostEvents } from "./simulator.ts";
import { summarizePosts } from "./stats.ts";
import { composeText, obfuscate } from "./text.ts";
import { ABUSIVE_CATEGORIES, CLEAN_CATEGORIES, type PostSimEvent } from "./types.ts";

const posts = simulatePosts({ count: 20_000 });
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function hashPosts(list: Iterable<PostSimEvent>): string {
  const hash = createHash("sha256");
  for (const p of list) hash.update(JSON.stringify(p));
  return hash.digest("hex");
}

describe("post simulator", () => {
  it("same seed → identical posts; different seed → different posts", () => {
    expect(hashPosts(generatePosts({ count: 3000, seed: 9 }))).toBe(
      hashPosts(generatePosts({ count: 3000, seed: 9 })),
    );
    expect(hashPosts(generatePosts({ count: 3000, seed: 10 }))).not.toBe(
      hashPosts(generatePosts({ count: 3000, seed: 9 })),
    );
    // A prefix does not depend on the count: post i is a function of (seed, i).
    expect(simulatePosts({ count: 50 })).toEqual(posts.slice(0, 50));
  });

  it("the abusive share is within tolerance of the option (default 10 %, and others)", () => {
    const stats = summarizePosts(posts);
    expect(Math.abs(stats.abusiveShare - 0.1)).toBeLessThan(0.01);
    for (const share of [0, 0.3, 1]) {
      const s = summarizePosts(generatePosts({ count: 5000, abusiveShare: share, seed: 3 }));
      expect(Math.abs(s.abusiveShare - share)).toBeLessThan(0.02);
    }
  });

  it("texts are non-empty, valid UTF-8 (round trip), trimmed, and varied", () => {
    let bad = 0;
    for (const { event } of posts) {
      const t = event.text;
      if (t.length === 0 || t !== t.trim() || t.includes("{") || t.includes("  ")) bad++;
      if (Buffer.from(t, "utf8").toString("utf8") !== t || LONE_SURROGATE.test(t)) bad++;
    }
    expect(bad).toBe(0);
    const stats = summarizePosts(posts);
    expect(stats.distinctTexts / stats.posts).toBeGreaterThan(0.5);
    expect(stats.withUrl).toBeGreaterThan(0);
  });

  it("abusive posts span every abusive category with diverse texts; clean ones every clean category", () => {
    const stats = summarizePosts(posts);
    for (const c of [...ABUSIVE_CATEGORIES, ...CLEAN_CATEGORIES])
      expect(stats.byCategory[c] ?? 0).toBeGreaterThan(50);
    for (const c of ABUSIVE_CATEGORIES) {
      const texts = new Set(posts.filter((p) => p.truth.category === c).map((p) => p.event.text));
      expect(texts.size, c).toBeGreaterThan(100);
    }
    expect(
      posts.every(
        (p) => p.truth.isAbusive === (ABUSIVE_CATEGORIES as readonly string[]).includes(p.truth.category),
      ),
    ).toBe(true);
    const spam = posts.filter((p) => p.truth.category === "spam");
    const manyUrls = spam.filter((p) => (p.event.text.match(/https?:\/\/|www\./g) ?? []).length >= 2);
    expect(manyUrls.length / spam.length).toBeGreaterThan(0.4);
  });

  it("events match the PostSubmitted schema, in time order, with sequential post ids and unique event ids", () => {
    const type = schemaCatalog().type("PostSubmitted");
    expect(posts.every((p) => type.isValid(p.event))).toBe(true);
    let bad = 0;
    for (let i = 1; i < posts.length; i++) {
      if (posts[i]!.event.occurredAt < posts[i - 1]!.event.occurredAt) bad++;
      if (posts[i]!.event.postId !== String(i)) bad++;
    }
    expect(bad).toBe(0);
    expect(new Set(posts.map((p) => p.event.eventId)).size).toBe(posts.length);
    expect(posts[0]?.event.language).toBe("en");
    expect(posts[0]!.event.occurredAt).toBeGreaterThanOrEqual(Date.UTC(2018, 3, 1));
  });

  it("trolls write a disproportionate share of abusive posts", () => {
    const abusiveBy = new Map<string, number>();
    for (const p of posts)
      if (p.truth.isAbusive) abusiveBy.set(p.event.authorId, (abusiveBy.get(p.event.authorId) ?? 0) + 1);
    const top = [...abusiveBy.values()].sort((a, b) => b - a).slice(0, 25); // 5 % of 500 authors
    const total = [...abusiveBy.values()].reduce((a, b) => a + b, 0);
    expect(top.reduce((a, b) => a + b, 0) / total).toBeGreaterThan(0.5);
  });

  it("composeText and obfuscate are deterministic per stream", () => {
    expect(composeText("insult", true, createRandom(1, 2, 3))).toBe(
      composeText("insult", true, createRandom(1, 2, 3)),
    );
    const rng = createRandom(5);
    const variants = new Set(Array.from({ length: 30 }, () => obfuscate("idiot", rng)));
    expect(variants).toContain("1d107");
    expect(variants).toContain("i.d.i.o.t");
  });

  it("the async stream yields the same posts and stops on abort", async () => {
    const got: PostSimEvent[] = [];
    for await (const p of streamPostEvents({ count: 200 }, { yieldEvery: 50 })) got.push(p);
    expect(got).toEqual(posts.slice(0, 200));
    const controller = new AbortController();
    let n = 0;
    for await (const _ of streamPostEvents({ count: 200 }, { signal: controller.signal }))
      if (++n === 5) controller.abort();
    expect(n).toBe(5);
  });

  it("rejects bad options with VERDICT_ERR_CONFIG", () => {
    expect(() => resolvePostOptions({ abusiveShare: 1.5 })).toThrow(VerdictError);
    expect(() => resolvePostOptions({ count: -1, startDate: "yesterday" })).toThrow(/count[\s\S]*startDate/);
  });
});

describe("posts CLI", () => {
  const dir = mkdtempSync(join(tmpdir(), "verdict-posts-cli-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("jsonl and csv outputs", async () => {
    const jsonl = join(dir, "p.jsonl");
    const csv = join(dir, "p.csv");
    await runPostsCli(["--count", "300", "--seed", "4", "--abusive-share", "0.5", "--out", jsonl]);
    await runPostsCli([
      "--count",
      "300",
      "--seed",
      "4",
      "--abusive-share",
      "0.5",
      "--format",
      "csv",
      "--out",
      csv,
    ]);
    const lines = readFileSync(jsonl, "utf8")
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as PostSimEvent);
    expect(lines).toHaveLength(300);
    expect(lines).toEqual(simulatePosts({ count: 300, seed: 4, abusiveShare: 0.5 }));
    const [header, ...rows] = readFileSync(csv, "utf8").trimEnd().split("\n");
    expect(header).toBe(POST_CSV_HEADER.join(","));
    expect(rows.length).toBeGreaterThanOrEqual(300); // a quoted text never holds a newline, but stay lenient
  });
});
