import { describe, expect, it } from "vitest";
import type { DriftAlert } from "../../schemas/generated/types.ts";
import { latestFiring } from "./drift.ts";

const alert = (feature: string, status: "FIRING" | "RESOLVED", detectedAt: number): DriftAlert =>
  ({ model: "fraud-gbt", version: "1.0.0", feature, status, detectedAt }) as DriftAlert;

describe("verdict drift alerts --firing", () => {
  it("keeps the latest alert per feature when it fires, and sets apart those no monitor repeated", () => {
    const now = 10_000_000;
    const { firing, stale } = latestFiring(
      [
        alert("A", "FIRING", now - 1000),
        alert("B", "RESOLVED", now - 500),
        alert("B", "FIRING", now - 2000), // older than its RESOLVED
        alert("C", "FIRING", now - 5_000_000), // not repeated since
        alert("D", "RESOLVED", now - 3000),
        alert("D", "FIRING", now - 100),
      ],
      now,
      1_900_000,
    );
    expect(firing.map((a) => a.feature).sort()).toEqual(["A", "D"]);
    expect(stale.map((a) => a.feature)).toEqual(["C"]);
  });
});
