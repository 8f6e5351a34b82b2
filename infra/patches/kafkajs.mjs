#!/usr/bin/env node
// Postinstall: makes KafkaJS 2.2.x group a produce request's messages by partition in linear time.
//
// KafkaJS (2.2.4, the last release) builds each partition's list with `[...current, message]` for
// every message: quadratic in the messages per partition. The stage runner sends the outputs of
// many chunks in one request (consumers/runtime/produce-queue.ts), where that copy was 10 % of all
// allocations of the fused pipeline (BENCHMARKS.md). Same result, same order, one push per message.
//
// Idempotent; leaves any other version of the file alone (with a note), so a KafkaJS upgrade never
// breaks an install.
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";

const ORIGINAL = `  return messages.reduce((result, message) => {
    const partition = partitioner({ topic, partitionMetadata, message })
    const current = result[partition] || []
    return Object.assign(result, { [partition]: [...current, message] })
  }, {})`;
const LINEAR = `  // patched by verdict (infra/patches/kafkajs.mjs): linear instead of a copy per message
  const result = {}
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message })
    const current = result[partition]
    if (current) current.push(message)
    else result[partition] = [message]
  }
  return result`;

let file;
try {
  file = createRequire(import.meta.url).resolve("kafkajs/src/producer/groupMessagesPerPartition.js");
} catch {
  process.exit(0); // kafkajs not installed (yet): nothing to patch
}
const source = readFileSync(file, "utf8");
if (source.includes(LINEAR)) process.exit(0);
if (!source.includes(ORIGINAL)) {
  console.warn(`verdict: ${file} is not the KafkaJS 2.2.4 version; left unpatched (only slower)`);
  process.exit(0);
}
writeFileSync(file, source.replace(ORIGINAL, LINEAR));
console.log("verdict: patched kafkajs groupMessagesPerPartition (linear grouping)");
