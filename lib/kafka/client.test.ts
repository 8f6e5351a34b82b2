import { logLevel } from "kafkajs";
import { describe, expect, it } from "vitest";
import { captureLogger } from "../log/testing/capture.ts";
import { pinoLogCreator } from "./client.ts";

function capture() {
  const { logger, lines } = captureLogger();
  const log = pinoLogCreator(logger)!(logLevel.DEBUG);
  const entry = (level: logLevel, message: string) =>
    log({ namespace: "t", level, label: "", log: { message, timestamp: "" } });
  return { lines, entry };
}

describe("KafkaJS logs through pino", () => {
  it("keeps real warnings and errors, moves chatter and handled warnings to debug", () => {
    const { lines, entry } = capture();
    entry(logLevel.WARN, "Limiting retries for the idempotent producer may invalidate EoS guarantees");
    entry(logLevel.WARN, "Connection timeout");
    entry(logLevel.INFO, "Consumer has joined the group");
    entry(logLevel.ERROR, "Crash: KafkaJSNumberOfRetriesExceeded");
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [20, "Limiting retries for the idempotent producer may invalidate EoS guarantees"],
      [40, "Connection timeout"],
      [20, "Consumer has joined the group"],
      [50, "Crash: KafkaJSNumberOfRetriesExceeded"],
    ]);
  });
});
