import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";

const require = createRequire(import.meta.url);
const file = require.resolve("kafkajs/src/producer/groupMessagesPerPartition.js");
const group = require(file) as (args: {
  topic: string;
  partitionMetadata: unknown[];
  messages: { key: string }[];
  partitioner: (args: { message: { key: string } }) => number;
}) => Record<string, { key: string }[]>;

describe("postinstall patch of KafkaJS (infra/patches/kafkajs.mjs)", () => {
  it("is applied by npm install", () => {
    expect(readFileSync(file, "utf8")).toContain("patched by verdict");
  });

  it("groups messages by partition in their order, as the original did", () => {
    const messages = ["a0", "b1", "c0", "d2", "e1", "f0"].map((key) => ({ key }));
    const grouped = group({
      topic: "t",
      partitionMetadata: [{}, {}, {}],
      messages,
      partitioner: ({ message }) => Number(message.key[1]),
    });
    expect(Object.fromEntries(Object.entries(grouped).map(([p, ms]) => [p, ms.map((m) => m.key)]))).toEqual({
      0: ["a0", "c0", "f0"],
      1: ["b1", "e1"],
      2: ["d2"],
    });
    expect(group({ topic: "t", partitionMetadata: [], messages, partitioner: () => 0 })).toEqual({});
  });
});
