import { describe, expect, it } from "vitest";
import { silentLogger } from "../../lib/log/index.ts";
import { contributions, explains, MAX_WORDS } from "./explain.ts";
import type { LoadedModel } from "./model-version.ts";
import type { ModelRow } from "./types.ts";

/** A stand-in version: its manifest, and a score function of the row. */
function model(manifest: object, score: (row: ModelRow) => number, seen: ModelRow[] = []): LoadedModel {
  return {
    name: "m",
    version: "1.0.0",
    manifest: { features: [], inputs: [], thresholds: { review: 0.5 }, ...manifest },
    score: async (row: ModelRow) => {
      seen.push(row);
      return { score: score(row) };
    },
  } as unknown as LoadedModel;
}

describe("occlusion contributions", () => {
  it("set each feature with a reference mean to that mean; a feature already there is skipped", async () => {
    const m = model(
      {
        features: ["a", "b", "c"],
        inputs: [{ source: "features" }],
        reference: { features: { a: { mean: 1 }, b: { mean: 5 } } },
      },
      (row) => 0.1 * row.features.a! + 0.01 * row.features.b!,
    );
    const row = { features: { a: 9, b: 5, c: 3 } };
    expect(await contributions(m, row, 0.95, silentLogger())).toEqual({ a: 0.8 });
  });

  it("leave each distinct word of a text model's input out once (every occurrence), at most MAX_WORDS", async () => {
    const seen: ModelRow[] = [];
    const m = model(
      { inputs: [{ source: "text" }] },
      (row) => (row.text!.match(/\bbad\b/g)?.length ?? 0) * 0.3,
      seen,
    );
    const filler = Array.from({ length: 40 }, (_, i) => `w${i}`).join(" ");
    const text = `bad, bad!  good ${filler} bad`;
    const c = await contributions(m, { features: {}, text }, 0.9, silentLogger());
    expect(Object.keys(c)).toHaveLength(MAX_WORDS);
    expect(Object.keys(c).slice(0, 3)).toEqual(["word:bad", "word:good", "word:w0"]);
    expect(c["word:bad"]).toBeCloseTo(0.9, 6); // all three gone at once
    expect(c["word:good"]).toBeCloseTo(0, 6);
    expect(seen[0]!.text).toBe(`good ${filler}`);
  });

  it("explain only scores at or above the version's review threshold, and give up quietly on a failure", async () => {
    const m = model({ features: ["a"], reference: { features: { a: { mean: 0 } } } }, () => {
      throw new Error("version swapped out");
    });
    expect([explains(m, 0.49), explains(m, 0.5)]).toEqual([false, true]);
    expect(await contributions(m, { features: { a: 1 } }, 0.7, silentLogger())).toEqual({});
  });
});
