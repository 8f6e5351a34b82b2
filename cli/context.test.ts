import { describe, expect, it } from "vitest";
import { captureLogger } from "../lib/log/testing/capture.ts";
import { warnIfKafkajsUnpatched } from "./context.ts";

describe("warnIfKafkajsUnpatched", () => {
  it("names the unpatched KafkaJS modules and the command that patches them", () => {
    const { logger, lines } = captureLogger();
    warnIfKafkajsUnpatched(logger, () => [
      { id: "kafkajs/src/protocol/encoder.js", status: "unpatched" },
      { id: "kafkajs/src/protocol/decoder.js", status: "patched" },
      { id: "kafkajs/src/producer/groupMessagesPerPartition.js", status: "unknown version" },
    ]);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.modules).toEqual(["kafkajs/src/protocol/encoder.js"]);
    expect(lines[0]!.msg).toMatch(/node infra\/patches\/kafkajs\.mjs/);
  });

  it("stays quiet when KafkaJS is patched or another version is installed", () => {
    const { logger, lines } = captureLogger();
    warnIfKafkajsUnpatched(logger, () => [
      { id: "a", status: "patched" },
      { id: "b", status: "unknown version" },
      { id: "c", status: "absent" },
    ]);
    warnIfKafkajsUnpatched(logger); // this checkout: patched by npm install
    expect(lines).toEqual([]);
  });
});
