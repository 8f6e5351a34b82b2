import { describe, expect, it } from "vitest";
import { computeLag } from "./lag.ts";

describe("consumer lag", () => {
  it("is high watermark minus committed offset per partition", () => {
    const lag = computeLag(
      "verdict.ingest",
      "payments.transaction.created.v1",
      [
        { partition: 0, offset: "90" },
        { partition: 1, offset: "-1" }, // never committed: counts from the low watermark
        { partition: 2, offset: "5" }, // below the low watermark (retention deleted it): from low
        { partition: 3, offset: "120" }, // committed at the end
      ],
      [
        { partition: 3, low: "0", high: "120" },
        { partition: 0, low: "0", high: "100" },
        { partition: 1, low: "10", high: "40" },
        { partition: 2, low: "20", high: "50" },
        { partition: 4, low: "7", high: "7" }, // missing from the committed list, empty
      ],
    );
    expect(lag.map((l) => [l.partition, l.lag])).toEqual([
      [0, 10],
      [1, 30],
      [2, 30],
      [3, 0],
      [4, 0],
    ]);
    expect(lag[1]).toEqual({
      group: "verdict.ingest",
      topic: "payments.transaction.created.v1",
      partition: 1,
      committed: -1,
      low: 10,
      high: 40,
      lag: 30,
    });
  });
});
