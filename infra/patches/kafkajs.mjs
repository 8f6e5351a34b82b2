#!/usr/bin/env node
// Postinstall: makes KafkaJS 2.2.x's produce path allocate less (and one consumer-group fix below). Same bytes on the wire, same
// results; only how they are built changes. Each patch replaces one exact piece of KafkaJS 2.2.4
// source (the last release):
//
// - groupMessagesPerPartition: the partition lists were built with `[...current, message]` for every
//   message (quadratic). The stage runner sends the outputs of many chunks in one request
//   (consumers/runtime/produce-queue.ts), where that copy was 10 % of the fused pipeline's
//   allocations (BENCHMARKS.md, third pass).
// - Encoder: every varint was written through a new Buffer (`Buffer.from(byteArray)`), and every
//   encoder started with a zero-filled 512-byte Buffer. Varints are now written in place; buffers come
//   from Node's pool unfilled (an encoder only ever exposes the bytes it wrote: `buffer` is
//   `buf.slice(0, offset)`, and nothing else in KafkaJS reads `buf`). Varlongs in the int32 range
//   (a record's timestamp delta) skip the Long arithmetic.
// - record v0: each header was encoded into its own 512-byte encoder and copied; headers are now
//   written straight into the record's encoder, which is sized to the record.
// - Decoder / record v0 decoder (consume path): a varlong was summed with one Long (a BigInt) per
//   byte, each record's offset and timestamp parsed its batch's base from a string into a Long, and
//   its headers object was copied once per header ({ ...obj, [key]: value }). Numbers are used
//   where they are exact (every offset and millisecond timestamp below 2^53), Long otherwise; the
//   headers object is built once.
// Together these were ~40 % of the fused pipeline's allocations (a 29 KB/record heap profile,
// BENCHMARKS.md, fourth pass).
//
// One patch is about behaviour, not speed:
// - ConsumerGroup.joinAndSync: a JoinGroup or SyncGroup answered GROUP_LOAD_IN_PROGRESS (the
//   coordinator is still loading its share of __consumer_offsets: every broker start or restart,
//   every coordinator move) made KafkaJS bail, crash the consumer and restart it 100 ms later, with
//   two ERROR lines each time (`npm start` printed eight on a restarted stack). It is now retried
//   like a rebalance, with the retrier's backoff, as the Java client retries
//   COORDINATOR_LOAD_IN_PROGRESS; if the retries run out the consumer crashes as before. (The
//   change KafkaJS pull request #1779 proposes for this join path.)
//
// Idempotent; a file that is not the KafkaJS 2.2.4 version is left alone with a note, so a KafkaJS
// upgrade never breaks an install (only slower, or noisier on a broker start).
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const MARK = "patched by verdict (infra/patches/kafkajs.mjs)";

/** [module, [original, replacement][]] */
export const PATCHES = [
  [
    "kafkajs/src/producer/groupMessagesPerPartition.js",
    [
      [
        `  return messages.reduce((result, message) => {
    const partition = partitioner({ topic, partitionMetadata, message })
    const current = result[partition] || []
    return Object.assign(result, { [partition]: [...current, message] })
  }, {})`,
        `  // ${MARK}: linear instead of a copy per message
  const result = {}
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message })
    const current = result[partition]
    if (current) current.push(message)
    else result[partition] = [message]
  }
  return result`,
      ],
    ],
  ],
  [
    "kafkajs/src/protocol/encoder.js",
    [
      [
        `  constructor(initialSize = 511) {
    this.buf = Buffer.alloc(Encoder.nextPowerOfTwo(initialSize))`,
        `  constructor(initialSize = 511) {
    // ${MARK}: unfilled (only written bytes are ever exposed)
    this.buf = Buffer.allocUnsafe(Encoder.nextPowerOfTwo(initialSize))`,
      ],
      [
        `      const newBuffer = Buffer.alloc(newLength)`,
        `      const newBuffer = Buffer.allocUnsafe(newLength) // ${MARK}`,
      ],
      [
        `  writeUVarInt(value) {
    const byteArray = []
    while ((value & UNSIGNED_INT32_MAX_NUMBER) !== 0) {
      byteArray.push((value & OTHER_BITS) | MOST_SIGNIFICANT_BIT)
      value >>>= 7
    }
    byteArray.push(value & OTHER_BITS)
    this.writeBufferInternal(Buffer.from(byteArray))
    return this
  }

  writeVarLong(value) {
    const byteArray = []`,
        `  writeUVarInt(value) {
    // ${MARK}: in place, no Buffer per varint
    this.ensureAvailable(5)
    const buf = this.buf
    let offset = this.offset
    while ((value & UNSIGNED_INT32_MAX_NUMBER) !== 0) {
      buf[offset++] = (value & OTHER_BITS) | MOST_SIGNIFICANT_BIT
      value >>>= 7
    }
    buf[offset++] = value & OTHER_BITS
    this.offset = offset
    return this
  }

  writeVarLong(value) {
    // ${MARK}: a number in the int32 range has the same zigzag varint as an int32
    if (typeof value === 'number' && (value | 0) === value) {
      return this.writeVarInt(value)
    }
    const byteArray = []`,
      ],
    ],
  ],
  [
    "kafkajs/src/protocol/recordBatch/record/v0/index.js",
    [
      [
        `  return new Encoder()
    .writeVarInt(sizeOfBody)`,
        `  // ${MARK}: one encoder sized to the record, headers written into it
  const encoder = new Encoder(Encoder.sizeOfVarInt(sizeOfBody) + sizeOfBody)
    .writeVarInt(sizeOfBody)`,
      ],
      [
        `    .writeVarIntArray(headersArray.map(Header))
}`,
        `    .writeVarInt(headersArray.length)
  for (const header of headersArray) {
    encoder.writeVarIntString(header.key).writeVarIntBytes(header.value)
  }
  return encoder
}`,
      ],
    ],
  ],
  [
    "kafkajs/src/consumer/consumerGroup.js",
    [
      [
        `      } catch (e) {
        if (isRebalancing(e)) {
          // Rebalance in progress isn't a retriable protocol error since the consumer`,
        `      } catch (e) {
        // ${MARK}: a coordinator still loading the group is retried, not a crash
        if (isRebalancing(e) || e.type === 'GROUP_LOAD_IN_PROGRESS') {
          // Rebalance in progress isn't a retriable protocol error since the consumer`,
      ],
    ],
  ],
  [
    "kafkajs/src/protocol/decoder.js",
    [
      [
        `  readVarLong() {
    let currentByte`,
        `  readVarLong() {
    // ${MARK}: up to 7 bytes (49 bits) are exact as a number: no Long per byte
    const start = this.offset
    let fast = 0
    let shift = 0
    let byte
    do {
      byte = this.buffer[this.offset++]
      fast += (byte & OTHER_BITS) * 2 ** shift
      shift += 7
    } while (byte >= MOST_SIGNIFICANT_BIT && shift < 49)
    if (!(byte >= MOST_SIGNIFICANT_BIT)) {
      return Long.fromNumber(fast % 2 === 0 ? fast / 2 : -(fast + 1) / 2)
    }
    this.offset = start
    let currentByte`,
      ],
    ],
  ],
  [
    "kafkajs/src/protocol/recordBatch/record/v0/decoder.js",
    [
      [
        `      : Long.fromValue(firstTimestamp)
          .add(timestampDelta)
          .toString()`,
        `      : sum(firstTimestamp, timestampDelta) // ${MARK}`,
      ],
      [
        `  const offset = Long.fromValue(firstOffset)
    .add(offsetDelta)
    .toString()`,
        `  const offset = sum(firstOffset, offsetDelta)`,
      ],
      [
        `  const headers = decoder.readVarIntArray(HeaderDecoder).reduce(
    (obj, { key, value }) => ({
      ...obj,
      [key]:
        obj[key] === undefined
          ? value
          : Array.isArray(obj[key])
          ? obj[key].concat([value])
          : [obj[key], value],
    }),
    {}
  )`,
        `  // ${MARK}: one object, not a copy per header
  const headers = {}
  for (const { key, value } of decoder.readVarIntArray(HeaderDecoder)) {
    const seen = Object.prototype.hasOwnProperty.call(headers, key) ? headers[key] : undefined
    const next = seen === undefined ? value : Array.isArray(seen) ? seen.concat([value]) : [seen, value]
    if (key === '__proto__') {
      Object.defineProperty(headers, key, { value: next, enumerable: true, writable: true, configurable: true })
    } else headers[key] = next
  }`,
      ],
      [
        `module.exports = (decoder, batchContext = {}) => {`,
        `// ${MARK}: base (an int64 as a string) + delta with numbers where that is exact, else with Long
const sum = (base, delta) => {
  const b = Number(base)
  const s = b + Number(typeof delta === 'object' ? delta.value : delta)
  return Number.isSafeInteger(b) && Number.isSafeInteger(s)
    ? String(s)
    : Long.fromValue(base)
        .add(delta)
        .toString()
}

module.exports = (decoder, batchContext = {}) => {`,
      ],
    ],
  ],
];

/**
 * Where each patched module stands, without writing: "patched", "unpatched" (the KafkaJS 2.2.4
 * original: the postinstall did not run, e.g. `npm install --ignore-scripts`), "unknown version"
 * (another KafkaJS, left alone) or "absent" (not installed).
 */
export function patchStatus(resolve = createRequire(import.meta.url).resolve) {
  return PATCHES.map(([id, edits]) => {
    const found = read(id, resolve);
    return { id, status: found ? classify(found.source, edits) : "absent" };
  });
}

/** Applies every patch; returns what happened per module (for the test and the install log). */
export function applyPatches(resolve = createRequire(import.meta.url).resolve) {
  const report = [];
  for (const [id, edits] of PATCHES) {
    const found = read(id, resolve);
    const status = found ? classify(found.source, edits) : "absent";
    if (status === "absent") {
      report.push({ id, status }); // kafkajs not installed (yet): nothing to patch
    } else if (status === "patched") {
      report.push({ id, status: "patched already" });
    } else if (status === "unknown version") {
      report.push({
        id,
        status: "unknown version, left unpatched (only slower, or noisier on a broker start)",
      });
    } else {
      let source = found.source;
      for (const [original, patched] of edits)
        if (!source.includes(patched)) source = source.replace(original, patched);
      writeFileSync(found.file, source);
      report.push({ id, status: "patched" });
    }
  }
  return report;
}

function read(id, resolve) {
  try {
    const file = resolve(id);
    return { file, source: readFileSync(file, "utf8") };
  } catch {
    return undefined;
  }
}

function classify(source, edits) {
  const pending = edits.filter(([, patched]) => !source.includes(patched));
  if (pending.length === 0) return "patched";
  return pending.every(([original]) => source.includes(original)) ? "unpatched" : "unknown version";
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const { id, status } of applyPatches()) {
    if (status === "patched") console.log(`verdict: patched ${id}`);
    else if (status.startsWith("unknown")) console.warn(`verdict: ${id}: ${status}`);
  }
}
