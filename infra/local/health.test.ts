import { describe, expect, it } from "vitest";
import { javaHashCode, offsetsPartition, probeGroups } from "./health.ts";

describe("the stack's Kafka health check: one probe group per __consumer_offsets partition", () => {
  it("places groups as Kafka does (Java's String.hashCode, Utils.abs, modulo the partitions)", () => {
    expect(javaHashCode("")).toBe(0);
    expect(javaHashCode("hello")).toBe(99162322);
    expect(javaHashCode("polygenelubricants")).toBe(-2147483648); // Integer.MIN_VALUE: abs → 0
    expect(offsetsPartition("polygenelubricants", 10)).toBe(0);
    expect(offsetsPartition("hello", 10)).toBe(2);
  });

  it("covers every partition exactly once", () => {
    const groups = probeGroups(10);
    expect(groups).toHaveLength(10);
    expect(new Set(groups.map((g) => offsetsPartition(g, 10)))).toEqual(
      new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
    );
  });
});
