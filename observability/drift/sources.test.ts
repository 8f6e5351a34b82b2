import { describe, expect, it } from "vitest";
import { ModelRegistry } from "../../consumers/inference/index.ts";
import { registryReferences } from "./sources.ts";

describe("registryReferences", () => {
  it("reads the shipped models' references: the fraud week's span, none for the posts sample", async () => {
    const references = registryReferences(new ModelRegistry({ root: "models" }));
    const fraud = await references("fraud-gbt", "1.0.0");
    expect(fraud?.spanMs).toBe(7 * 86_400_000);
    expect(Object.keys(fraud?.features ?? {})).toHaveLength(15);
    expect(fraud?.score?.edges.length).toBeGreaterThan(0);
    const moderation = await references("moderation-text", "1.0.1");
    expect(moderation?.spanMs).toBeUndefined();
    expect(Object.keys(moderation?.features ?? {}).sort()).toEqual(["textLength", "tokenCount"]);
  });
});
