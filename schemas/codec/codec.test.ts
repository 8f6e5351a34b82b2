import avro from "avsc";
import { describe, expect, it } from "vitest";
import { VerdictError } from "../../lib/errors/index.ts";
import { SchemaCatalog } from "../catalog/index.ts";
import type { TransactionCreated } from "../generated/types.ts";
import type { SchemaRegistryPort } from "../registry/index.ts";
import { AvroCodec } from "./index.ts";

/** A second implementation of the registry port for unit tests; integration tests use the real one. */
function inMemoryRegistry(): SchemaRegistryPort {
  const byId = new Map<number, avro.Type>();
  const ids = new Map<string, number>();
  return {
    async register(subject, schema) {
      const key = `${subject}:${JSON.stringify(schema)}`;
      if (!ids.has(key)) {
        ids.set(key, ids.size + 1);
        byId.set(ids.size, avro.Type.forSchema(schema as avro.Schema));
      }
      return ids.get(key)!;
    },
    async writerType(id) {
      const t = byId.get(id);
      if (!t) throw new VerdictError("VERDICT_ERR_DECODE_SCHEMA_UNKNOWN", `unknown ${id}`);
      return t;
    },
    async setCompatibility() {},
    async subjects() {
      return [];
    },
    async versions() {
      return [];
    },
  };
}

const topic = { name: "payments.transaction.created.v1", valueSchema: "TransactionCreated" as const };
const tx: TransactionCreated = {
  eventId: "e",
  transactionId: "t",
  customerId: "c",
  terminalId: "x",
  amount: 1.5,
  currency: "EUR",
  occurredAt: 1,
};

async function code(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e) => e,
  );
  expect(err).toBeInstanceOf(VerdictError);
  return (err as VerdictError).code;
}

describe("AvroCodec", () => {
  const codec = new AvroCodec(inMemoryRegistry(), new SchemaCatalog());

  it("round-trips in the Confluent wire format", async () => {
    const buf = await codec.encode(topic, tx);
    expect(buf[0]).toBe(0);
    expect(buf.readUInt32BE(1)).toBe(1);
    expect((await codec.decode(topic, buf)).value).toEqual(tx);
  });

  it("names the field when an event is invalid", () => {
    expect(() => codec.validate(topic, { ...tx, amount: "12" as unknown as number })).toThrow(
      /amount: expected double, got "12"/,
    );
    expect(() => codec.validate(topic, { ...tx, customerId: undefined as unknown as string })).toThrow(
      /customerId/,
    );
    expect(() => codec.validate(topic, { ...tx, amount: Number.NaN })).toThrow(
      /amount: expected a finite number, got NaN/,
    );
  });

  it("gives typed decode errors for garbage, wrong magic byte, unknown id, truncated Avro", async () => {
    const good = await codec.encode(topic, tx);
    expect(await code(codec.decode(topic, Buffer.from("garbage!")))).toBe("VERDICT_ERR_DECODE_MAGIC");
    expect(await code(codec.decode(topic, Buffer.from([0, 0])))).toBe("VERDICT_ERR_DECODE_MAGIC");
    const unknown = Buffer.from(good);
    unknown.writeUInt32BE(999, 1);
    expect(await code(codec.decode(topic, unknown))).toBe("VERDICT_ERR_DECODE_SCHEMA_UNKNOWN");
    expect(await code(codec.decode(topic, good.subarray(0, good.length - 3)))).toBe(
      "VERDICT_ERR_DECODE_AVRO",
    );
    expect(await code(codec.decode(topic, null))).toBe("VERDICT_ERR_DECODE_MAGIC");
  });

  it("reads records written with an older compatible writer schema", async () => {
    const registry = inMemoryRegistry();
    const old = new SchemaCatalog().bundle("TransactionCreated") as unknown as { fields: { name: string }[] };
    old.fields = old.fields.filter((f) => f.name !== "currency"); // currency was added later, with a default
    const id = await registry.register("t-value", old);
    const oldType = avro.Type.forSchema(old as avro.Schema);
    const { currency: _c, ...oldTx } = tx;
    const buf = Buffer.concat([Buffer.from([0, 0, 0, 0, id]), oldType.toBuffer(oldTx)]);
    const decoded = await new AvroCodec(registry, new SchemaCatalog()).decode(topic, buf);
    expect(decoded.value.currency).toBe("EUR");
  });
});
