import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const require = createRequire(import.meta.url);

import { applyPatches, PATCHES, patchStatus } from "./kafkajs.mjs";

type Group = (args: {
  topic: string;
  partitionMetadata: unknown[];
  messages: { key: string }[];
  partitioner: (args: { message: { key: string } }) => number;
}) => Record<string, { key: string }[]>;
interface EncoderLike {
  buffer: Buffer;
  writeVarInt(v: number): EncoderLike;
  writeVarLong(v: unknown): EncoderLike;
  writeInt8(v: number): EncoderLike;
  writeVarIntBytes(v: unknown): EncoderLike;
  writeVarIntArray(v: unknown[], type?: string): EncoderLike;
}
type EncoderClass = (new (
  size?: number,
) => EncoderLike) & {
  sizeOfVarInt(v: number): number;
  sizeOfVarLong(v: unknown): number;
  sizeOfVarIntBytes(v: unknown): number;
};
interface RecordInput {
  offsetDelta?: number;
  timestampDelta?: number;
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, string | Buffer | (string | Buffer)[]>;
}

const group = require("kafkajs/src/producer/groupMessagesPerPartition.js") as Group;
const Encoder = require("kafkajs/src/protocol/encoder.js") as EncoderClass;
const Decoder = require("kafkajs/src/protocol/decoder.js") as new (
  b: Buffer,
) => { offset: number; readVarInt(): number; readVarLong(): { toString(): string } };
const Long = require("kafkajs/src/utils/long.js") as { fromValue(v: unknown): unknown };
const encodeRecord = require("kafkajs/src/protocol/recordBatch/record/v0/index.js") as (
  r: RecordInput,
) => EncoderLike;
const decodeRecord = require("kafkajs/src/protocol/recordBatch/record/v0/decoder.js") as (
  d: unknown,
  ctx: object,
) => {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | Buffer[]>;
  offset: string;
  timestamp: string;
};
const Header = require("kafkajs/src/protocol/recordBatch/header/v0/index.js") as (h: {
  key: string;
  value: unknown;
}) => EncoderLike;

/** Zigzag LEB128, the Kafka varint/varlong encoding, computed independently with BigInt. */
function referenceVarint(value: bigint): Buffer {
  let v = value >= 0n ? value << 1n : (-value << 1n) - 1n;
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Buffer.from(out);
}

/** KafkaJS 2.2.4's record v0 encoder as it was (a sub-encoder per header), on the patched Encoder. */
function originalRecord({
  offsetDelta = 0,
  timestampDelta = 0,
  key,
  value,
  headers = {},
}: RecordInput): Buffer {
  const headersArray = Object.keys(headers).flatMap((k) => {
    const v = headers[k]!;
    return Array.isArray(v) ? v.map((x) => ({ key: k, value: x })) : [{ key: k, value: v }];
  });
  let sizeOfHeaders = Encoder.sizeOfVarInt(headersArray.length);
  for (const h of headersArray) {
    const keySize = Buffer.byteLength(h.key);
    const valueSize = Buffer.byteLength(h.value);
    sizeOfHeaders += Encoder.sizeOfVarInt(keySize) + keySize + Encoder.sizeOfVarInt(valueSize) + valueSize;
  }
  const sizeOfBody =
    1 +
    Encoder.sizeOfVarLong(timestampDelta) +
    Encoder.sizeOfVarInt(offsetDelta) +
    Encoder.sizeOfVarIntBytes(key) +
    Encoder.sizeOfVarIntBytes(value) +
    sizeOfHeaders;
  return new Encoder()
    .writeVarInt(sizeOfBody)
    .writeInt8(0)
    .writeVarLong(timestampDelta)
    .writeVarInt(offsetDelta)
    .writeVarIntBytes(key)
    .writeVarIntBytes(value)
    .writeVarIntArray(headersArray.map(Header)).buffer;
}

describe("postinstall patches of KafkaJS (infra/patches/kafkajs.mjs)", () => {
  it("are applied by npm install", () => {
    for (const [id, edits] of PATCHES) {
      const source = readFileSync(require.resolve(id), "utf8");
      for (const [, patched] of edits) expect(source, id).toContain(patched);
    }
  });

  it("tell unpatched, patched, other versions and missing modules apart, and patch only the unpatched", () => {
    const dir = mkdtempSync(join(tmpdir(), "verdict-patches-"));
    const [first, second, third] = PATCHES;
    const files = new Map<string, string>();
    const place = (id: string, source: string) => {
      const file = join(dir, `${files.size}.js`);
      writeFileSync(file, source);
      files.set(id, file);
    };
    place(first![0], first![1].map(([original]) => original).join("\n")); // KafkaJS 2.2.4 as shipped
    place(second![0], second![1].map(([, patched]) => patched).join("\n"));
    place(third![0], "module.exports = 'another KafkaJS'");
    const resolve = (id: string) => {
      const file = files.get(id);
      if (!file) throw new Error(`Cannot find module '${id}'`);
      return file;
    };
    const status = (id: string) => patchStatus(resolve).find((s) => s.id === id)?.status;
    expect([first, second, third, PATCHES[3]].map((p) => status(p![0]))).toEqual([
      "unpatched",
      "patched",
      "unknown version",
      "absent",
    ]);
    const applied = applyPatches(resolve);
    expect(applied.find((r) => r.id === first![0])?.status).toBe("patched");
    expect(applied.find((r) => r.id === third![0])?.status).toMatch(/^unknown version/);
    expect(status(first![0])).toBe("patched");
    expect(readFileSync(files.get(third![0])!, "utf8")).toBe("module.exports = 'another KafkaJS'");
  });

  it("group messages by partition in their order, as the original did", () => {
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

  const int32s = [
    0,
    1,
    -1,
    63,
    -64,
    64,
    -65,
    127,
    128,
    8191,
    8192,
    2 ** 20,
    -(2 ** 20),
    2 ** 30,
    2 ** 31 - 1,
    -(2 ** 31),
  ];
  for (let i = 0; i < 200; i++) int32s.push(Math.floor((Math.random() * 2 - 1) * 2 ** 31));

  it("write varints in place, byte for byte the zigzag LEB128 encoding", () => {
    for (const v of int32s) {
      expect(new Encoder(1).writeVarInt(v).buffer, String(v)).toEqual(referenceVarint(BigInt(v)));
    }
    // Many varints into one small encoder: the buffer grows as they are written in place.
    const e = new Encoder(1);
    for (const v of int32s) e.writeVarInt(v);
    expect(e.buffer).toEqual(Buffer.concat(int32s.map((v) => referenceVarint(BigInt(v)))));
    const d = new Decoder(e.buffer);
    expect(int32s.map(() => d.readVarInt())).toEqual(int32s);
  });

  it("write varlongs the same whether the int32 shortcut or Long arithmetic is taken", () => {
    const longs = [
      ...int32s,
      2 ** 31,
      -(2 ** 31) - 1,
      2 ** 40 + 7,
      -(2 ** 45),
      Number.MAX_SAFE_INTEGER,
      1_795_000_000_000,
    ];
    for (const v of longs) {
      const expected = referenceVarint(BigInt(v));
      expect(new Encoder().writeVarLong(v).buffer, `number ${v}`).toEqual(expected);
      expect(new Encoder().writeVarLong(Long.fromValue(v)).buffer, `Long ${v}`).toEqual(expected);
      expect(new Encoder().writeVarLong(String(v)).buffer, `string ${v}`).toEqual(expected);
    }
  });

  it("encode records byte for byte as the original, and KafkaJS decodes them back", () => {
    const records: RecordInput[] = [
      { key: null, value: null },
      { key: "k", value: Buffer.from([0, 1, 2, 255]), offsetDelta: 3, timestampDelta: 17 },
      {
        key: Buffer.from("customer-42"),
        value: Buffer.alloc(700, 7),
        offsetDelta: 499,
        timestampDelta: -5,
        headers: {
          "correlation-id": "c-1",
          traceparent: Buffer.from("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
          multi: ["a", Buffer.from("b"), "ünïcödé"],
          empty: "",
        },
      },
      { key: "x", value: "v".repeat(300), timestampDelta: 2 ** 33, headers: { h: "v" } },
    ];
    for (const r of records) {
      const bytes = encodeRecord(r).buffer;
      expect(bytes).toEqual(originalRecord(r));
      const d = new Decoder(bytes);
      expect(d.readVarInt()).toBe(bytes.length - Encoder.sizeOfVarInt(bytes.length - 1));
      const back = decodeRecord(d, { firstOffset: "100", firstTimestamp: "1000" });
      expect(back.offset).toBe(String(100 + (r.offsetDelta ?? 0)));
      expect(back.timestamp).toBe(String(1000 + (r.timestampDelta ?? 0)));
      expect(back.key?.toString() ?? null).toBe(r.key?.toString() ?? null);
      expect(back.value?.toString("hex") ?? null).toBe(
        r.value === null ? null : Buffer.from(r.value).toString("hex"),
      );
      const headers = Object.fromEntries(
        Object.entries(back.headers).map(([k, v]) => [k, Array.isArray(v) ? v.map(String) : String(v)]),
      );
      const expected = Object.fromEntries(
        Object.entries(r.headers ?? {}).map(([k, v]) => [k, Array.isArray(v) ? v.map(String) : String(v)]),
      );
      expect(headers).toEqual(expected);
    }
  });

  it("read varlongs exactly, through numbers up to 49 bits and Long beyond", () => {
    const values = [
      ...int32s.map(BigInt),
      2n ** 48n,
      -(2n ** 48n),
      2n ** 49n,
      2n ** 53n + 1n,
      -(2n ** 62n),
      2n ** 63n - 1n,
      -(2n ** 63n),
    ];
    for (let i = 0; i < 100; i++) values.push(BigInt(Math.floor((Math.random() * 2 - 1) * 2 ** 52)));
    const bytes = Buffer.concat(values.map(referenceVarint));
    const d = new Decoder(bytes);
    for (const v of values) expect(d.readVarLong().toString(), String(v)).toBe(String(v));
    expect(d.offset).toBe(bytes.length);
  });

  it("decode offsets and timestamps beyond 2^53 with Long, and repeated or odd header keys as the original", () => {
    const bytes = encodeRecord({
      key: "k",
      value: "v",
      offsetDelta: 7,
      timestampDelta: 3,
      headers: { dup: ["1", "2", "3"], ["__proto__"]: "p", constructor: "c" },
    }).buffer;
    const d = new Decoder(bytes);
    d.readVarInt();
    const r = decodeRecord(d, { firstOffset: "9007199254740990", firstTimestamp: "-9007199254740995" });
    expect(r.offset).toBe("9007199254740997");
    expect(r.timestamp).toBe("-9007199254740992");
    expect(Object.keys(r.headers)).toEqual(["dup", "__proto__", "constructor"]);
    expect((r.headers.dup as Buffer[]).map(String)).toEqual(["1", "2", "3"]);
    expect(String(Object.getOwnPropertyDescriptor(r.headers, "__proto__")?.value)).toBe("p");
    expect(Object.getPrototypeOf(r.headers)).toBe(Object.prototype);
    expect(String(r.headers.constructor)).toBe("c");
  });

  it("retry a group join the coordinator answers with GROUP_LOAD_IN_PROGRESS, and still give up on other refusals", async () => {
    const ConsumerGroup = require("kafkajs/src/consumer/consumerGroup.js") as new (
      args: object,
    ) => Record<symbol | string, unknown> & { joinAndSync(): Promise<void> };
    const { createErrorFromCode } = require("kafkajs/src/protocol/error.js") as {
      createErrorFromCode(code: number): Error;
    };
    const silent = { info() {}, debug() {}, warn() {}, error() {} };
    const symbol = (name: string) =>
      Object.getOwnPropertySymbols(ConsumerGroup.prototype).find((s) => s.description === name)!;
    /** A consumer group whose JoinGroup answers `codes` in turn, then succeeds. */
    const joining = (codes: number[]) => {
      const g = new ConsumerGroup({
        retry: { initialRetryTime: 1, maxRetryTime: 2, retries: 3 },
        logger: { namespace: () => silent },
        instrumentationEmitter: { emit() {} },
        groupId: "g",
        topics: [],
      });
      let joins = 0;
      g[symbol("private:ConsumerGroup:join")] = async () => {
        const code = codes[joins++];
        if (code !== undefined) throw createErrorFromCode(code);
      };
      g[symbol("private:ConsumerGroup:sync")] = async () => {};
      g.assigned = () => [];
      return { g, joins: () => joins };
    };

    const loading = joining([14, 14]); // GROUP_LOAD_IN_PROGRESS twice (a broker that just started)
    await loading.g.joinAndSync();
    expect(loading.joins()).toBe(3);

    const refused = joining([24]); // INVALID_GROUP_ID: no retry can help
    await expect(refused.g.joinAndSync()).rejects.toThrow(/groupId is invalid/);
    expect(refused.joins()).toBe(1);
  });
});
