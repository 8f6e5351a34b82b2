import { describe, expect, it } from "vitest";
import type { EmbeddedRun } from "../../app/embedded.ts";
import type { DriftReading } from "../../observability/index.ts";
import { driftState } from "./run.ts";

const reading = (feature: string, over: Partial<DriftReading> = {}): DriftReading => ({
  model: "fraud-gbt",
  version: "1.0.0",
  feature,
  psi: null,
  samples: 0,
  window: "7d of event time",
  ready: false,
  firing: false,
  ...over,
});
const runWith = (readings: DriftReading[] | undefined) =>
  ({ observability: { drift: readings && { readings: () => readings } } }) as unknown as Pick<
    EmbeddedRun,
    "observability"
  >;

describe("verdict run: the drift line", () => {
  it("says nothing without a monitor, then filling, quiet, or what fires", () => {
    expect(driftState(runWith(undefined))).toBeUndefined();
    expect(driftState(runWith([reading("A"), reading("B")]))).toBe("windows filling (7d of event time)");
    expect(driftState(runWith([reading("A", { ready: true, psi: 0.01 })]))).toBe("no alerts");
    const mixed = [reading("A", { ready: true, psi: 0.01, model: "moderation-text" }), reading("B")];
    expect(driftState(runWith(mixed))).toBe("no alerts (fraud-gbt: windows filling)");
    const firing = ["A", "B", "C", "D"].map((f) => reading(f, { ready: true, psi: 1, firing: true }));
    expect(driftState(runWith(firing))).toBe("4 firing (A, B, C, …)");
  });
});
