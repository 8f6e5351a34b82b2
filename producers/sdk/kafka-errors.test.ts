import { describe, expect, it } from "vitest";
import { kafkaError } from "./kafka-errors.ts";

describe("kafkaError", () => {
  it("a record refused for good says what to do and is not retriable, also when wrapped after retries", () => {
    const refused = {
      name: "KafkaJSProtocolError",
      type: "MESSAGE_TOO_LARGE",
      message: "too big",
      retriable: false,
    };
    const direct = kafkaError(refused, "Publishing 1 event(s) to t");
    expect(direct.code).toBe("VERDICT_ERR_PUBLISH");
    expect(direct.retriable).toBe(false);
    expect(direct.message).toBe(
      "Publishing 1 event(s) to t failed: too big (MESSAGE_TOO_LARGE): make the event smaller, or raise the topic's max.message.bytes (maxMessageBytes in topology/, then verdict topics apply)",
    );
    const wrapped = kafkaError(
      { name: "KafkaJSNumberOfRetriesExceeded", message: "too big", retriable: false, cause: refused },
      "Publishing",
    );
    expect(wrapped.message).toMatch(/\(MESSAGE_TOO_LARGE\): make the event smaller/);
  });

  it("other failures keep KafkaJS's retriability; SASL failures name the settings", () => {
    expect(
      kafkaError({ name: "KafkaJSConnectionError", message: "ECONNREFUSED", retriable: true }, "x").retriable,
    ).toBe(true);
    const auth = kafkaError({ name: "KafkaJSSASLAuthenticationError", message: "bad" }, "Connecting");
    expect(auth.code).toBe("VERDICT_ERR_KAFKA_AUTH");
    expect(auth.message).toMatch(/KAFKA_SASL_MECHANISM/);
  });
});
