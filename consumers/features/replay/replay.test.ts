import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FRAUD_FEATURE_NAMES } from "../fraud/index.ts";
import { MODERATION_FEATURE_NAMES } from "../moderation/index.ts";
import { runReplayCli } from "./cli.ts";
import { csvField, FRAUD_CSV_COLUMNS } from "./csv.ts";
import { replayModerationFeatures } from "./moderation-replay.ts";
import { collectReplay } from "./replay.ts";

const dir = mkdtempSync(join(tmpdir(), "verdict-replay-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("replayFeatures", () => {
  it("is deterministic and complete, one row per ingested transaction in event-time order", async () => {
    const options = { days: 10, customers: 100, terminals: 200, seed: 3 };
    const a = await collectReplay(options);
    const b = await collectReplay(options);
    expect(a.rows.length).toBeGreaterThan(1000);
    expect(a.rows.length).toBe(a.summary.transactions);
    expect(a.summary.transactions + a.summary.rejected).toBe(a.summary.labels);
    expect(a.summary.stats.incomplete).toBe(0);
    expect(b.rows).toEqual(a.rows);
    for (let i = 1; i < a.rows.length; i++) {
      expect(a.rows[i]?.occurredAt).toBeGreaterThanOrEqual(a.rows[i - 1]?.occurredAt as number);
    }
    expect(a.rows[0]?.features).toHaveLength(FRAUD_FEATURE_NAMES.length);
  });
});

describe("replay CLI", () => {
  it("writes the fraud table (and the moderation table with --posts)", async () => {
    const out = join(dir, "nested", "fraud.csv");
    const postsOut = join(dir, "posts.csv");
    const result = await runReplayCli([
      "--days",
      "8",
      "--customers",
      "50",
      "--terminals",
      "100",
      "--seed",
      "9",
      "--out",
      out,
      "--posts",
      "300",
      "--posts-out",
      postsOut,
      "--quiet",
    ]);
    const lines = readFileSync(out, "utf8").trimEnd().split("\n");
    expect(lines[0]).toBe(FRAUD_CSV_COLUMNS.join(","));
    expect(lines).toHaveLength(result.rows + 1);
    const first = lines[1]?.split(",") ?? [];
    expect(first).toHaveLength(FRAUD_CSV_COLUMNS.length);
    expect(first[1]).toMatch(/^2018-04-01T\d\d:\d\d:\d\d\.000Z$/);
    expect(["0", "1"]).toContain(first[first.length - 2]);
    const posts = readFileSync(postsOut, "utf8").trimEnd().split("\n");
    expect(posts[0]?.split(",").slice(3, 3 + MODERATION_FEATURE_NAMES.length)).toEqual([
      ...MODERATION_FEATURE_NAMES,
    ]);
    expect(result.posts).toBe(posts.length - 1);
    expect(result.posts).toBeGreaterThan(250);
  });

  it("quotes CSV fields that need it", () => {
    expect(csvField("plain")).toBe("plain");
    expect(csvField('a,"b"\nc')).toBe('"a,""b""\nc"');
  });
});

describe("replayModerationFeatures", () => {
  it("yields the moderation features of simulated posts with their truth", () => {
    const rows = [...replayModerationFeatures({ count: 200, seed: 4 })];
    expect(rows.length).toBeGreaterThan(190);
    expect(rows.some((row) => row.isAbusive)).toBe(true);
    for (const row of rows) {
      expect(row.features).toHaveLength(MODERATION_FEATURE_NAMES.length);
      expect(row.normalizedText).toBe(row.normalizedText.toLowerCase());
    }
  });
});
