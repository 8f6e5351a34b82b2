import { describe, expect, it } from "vitest";
import { ERROR_CODES, isRetriable, UnrecoverableError, VerdictError } from "./index.ts";

describe("errors", () => {
  it("codes are unique, namespaced and documented", () => {
    const codes = Object.keys(ERROR_CODES);
    expect(new Set(codes).size).toBe(codes.length);
    for (const [code, doc] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^VERDICT_ERR_[A-Z0-9_]+$/);
      expect(doc.length).toBeGreaterThan(20);
    }
  });

  it("retriability is decided where the error is made", () => {
    expect(isRetriable(new VerdictError("VERDICT_ERR_KAFKA", "x", { retriable: true }))).toBe(true);
    expect(isRetriable(new UnrecoverableError("VERDICT_ERR_VALIDATION", "x"))).toBe(false);
    expect(isRetriable(new TypeError("bug"))).toBe(false);
    expect(isRetriable(Object.assign(new Error("kafkajs"), { retriable: false }))).toBe(false);
    expect(isRetriable(new Error("unknown"))).toBe(true);
  });

  it("serializes code and context for logs", () => {
    const err = new VerdictError("VERDICT_ERR_CONFIG", "bad", { context: { field: "kafka.brokers" } });
    expect(err.toJSON()).toMatchObject({
      code: "VERDICT_ERR_CONFIG",
      field: "kafka.brokers",
      retriable: false,
    });
    expect(err.name).toBe("VerdictError");
  });
});
