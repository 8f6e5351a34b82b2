import { Kafka, logLevel } from "kafkajs";
import { describe, expect, it } from "vitest";
import { connectionsFromEnv } from "../config/index.ts";
import { captureLogger } from "../log/testing/capture.ts";
import { createKafka, pinoLogCreator } from "./client.ts";

function capture() {
  const { logger, lines } = captureLogger();
  const log = pinoLogCreator(logger)!(logLevel.DEBUG);
  const entry = (level: logLevel, message: string, error?: string) =>
    log({ namespace: "t", level, label: "", log: { message, timestamp: "", error } });
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

  it("keeps error responses KafkaJS retries (coordinator loading or moving) at debug, other error responses at error", () => {
    const { lines, entry } = capture();
    entry(
      logLevel.ERROR,
      "Response GroupCoordinator(key: 10, version: 2)",
      "The group coordinator is not available",
    );
    entry(
      logLevel.ERROR,
      "Response InitProducerId(key: 22, version: 1)",
      "The coordinator is loading and hence can't process requests for this group",
    );
    entry(
      logLevel.ERROR,
      "Response Produce(key: 0, version: 7)",
      "Not authorized to access topics: [Topic authorization failed]",
    );
    entry(logLevel.ERROR, "Crash: The group coordinator is not available");
    expect(lines.map((l) => l.level)).toEqual([20, 20, 50, 50]);
  });
});

describe("createKafka", () => {
  it("builds producers with Java's murmur2 partitioner, so KafkaJS has no default-partitioner notice to log", () => {
    const PARTITIONER_NOTICE = /switched default partitioner/;
    const { logger, lines } = captureLogger();
    createKafka(connectionsFromEnv({}).kafka, { logger }).producer({
      idempotent: true,
      maxInFlightRequests: 1,
    });
    expect(lines.filter((l) => PARTITIONER_NOTICE.test(String(l.msg)))).toEqual([]);

    // Control: a plain KafkaJS client logs the notice for the same producer (once per process, so
    // this comes second; it shows the check above could see it).
    const plain = captureLogger();
    new Kafka({ brokers: ["127.0.0.1:9"], logCreator: pinoLogCreator(plain.logger) }).producer({
      idempotent: true,
    });
    expect(plain.lines.some((l) => PARTITIONER_NOTICE.test(String(l.msg)))).toBe(true);
  });
});
