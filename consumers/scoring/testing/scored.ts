/** A Scored record for the decision table's tests: a model-scored transaction unless `extra` says otherwise. */
import type { Scored } from "../../../schemas/generated/types.ts";

export const TEST_MODEL = { name: "fraud-mlp", version: "1.0.0", provider: "cpu" };

export function scoredRecord(extra: Partial<Scored> = {}): Scored {
  return {
    eventId: "e1",
    domain: "FRAUD",
    subjectId: "t1",
    key: "c1",
    occurredAt: 0,
    score: 0,
    model: TEST_MODEL,
    features: {},
    ruleHits: [],
    timings: {},
    contributions: {},
    screen: null,
    ...extra,
  };
}
