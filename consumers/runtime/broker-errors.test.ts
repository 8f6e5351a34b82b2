import { KafkaJSNonRetriableError, type KafkaJSProtocolError } from "kafkajs";
import { describe, expect, it } from "vitest";
import { VerdictError } from "../../lib/errors/index.ts";
import { isPermanentRefusal } from "./broker-errors.ts";

const protocolError = (type: string) =>
  Object.assign(new Error(type), { name: "KafkaJSProtocolError", type });

describe("isPermanentRefusal", () => {
  it("knows the broker's record-level refusals, also wrapped by KafkaJS", () => {
    expect(isPermanentRefusal(protocolError("MESSAGE_TOO_LARGE"))).toBe(true);
    expect(isPermanentRefusal(protocolError("INVALID_RECORD"))).toBe(true);
    // As KafkaJS's retrier wraps what it gives up on (retry/index.js).
    const refusal = protocolError("RECORD_LIST_TOO_LARGE") as KafkaJSProtocolError;
    const wrapped = Object.assign(new KafkaJSNonRetriableError(refusal), { cause: refusal });
    expect(isPermanentRefusal(wrapped)).toBe(true);
    expect(
      isPermanentRefusal(
        new VerdictError("VERDICT_ERR_KAFKA", "x", { cause: protocolError("CORRUPT_MESSAGE") }),
      ),
    ).toBe(true);
  });

  it("is false for retriable errors and for outputs merely not sent behind a refused request", () => {
    expect(isPermanentRefusal(protocolError("NOT_LEADER_FOR_PARTITION"))).toBe(false);
    expect(isPermanentRefusal(new Error("ECONNREFUSED"))).toBe(false);
    expect(isPermanentRefusal(undefined)).toBe(false);
    const notSent = new VerdictError("VERDICT_ERR_NOT_SENT", "not sent", {
      cause: protocolError("MESSAGE_TOO_LARGE"),
    });
    expect(isPermanentRefusal(notSent)).toBe(false);
  });
});
