import { describe, expect, it } from "vitest";
import { TOPICS } from "../../topology/index.ts";
import { createFeatureStage, MemoryFeatureStore } from "./index.ts";

describe("createFeatureStage", () => {
  it("consumes transactions, labels and posts in one sequential stage", () => {
    const stage = createFeatureStage({ store: new MemoryFeatureStore() });
    expect(stage.name).toBe("features");
    expect(stage.concurrency).toBe("sequential");
    expect(stage.inputs.map((i) => i.topic.name)).toEqual([
      TOPICS.transactionIngested.name,
      TOPICS.fraudLabelReported.name,
      TOPICS.postIngested.name,
    ]);
    expect(stage.produces?.map((t) => t.name)).toEqual([
      TOPICS.transactionFeatures.name,
      TOPICS.postFeatures.name,
    ]);
  });
});
