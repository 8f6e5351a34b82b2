import { describe, expect, it } from "vitest";
import { deriveHeaders, fromKafkaHeaders, parseTraceparent, toKafkaHeaders } from "./index.ts";

describe("trace context", () => {
  it("parses valid traceparents and refuses malformed or all-zero ones", () => {
    expect(parseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")).toEqual({
      traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
      spanId: "00f067aa0ba902b7",
      sampled: true,
    });
    expect(parseTraceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01")).toBeUndefined();
    expect(parseTraceparent("garbage")).toBeUndefined();
  });

  it("derived headers keep correlation id and trace id, start a new span, point at the cause", () => {
    const input = {
      correlationId: "corr-1",
      traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      eventId: "evt-1",
    };
    const out = deriveHeaders(input, { eventType: "x.Y", producer: "verdict.ingest", occurredAt: 5 });
    expect(out.correlationId).toBe("corr-1");
    expect(out.causationId).toBe("evt-1");
    const ctx = parseTraceparent(out.traceparent)!;
    expect(ctx.traceId).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
    expect(ctx.spanId).not.toBe("00f067aa0ba902b7");
  });

  it("round-trips through Kafka headers and keeps foreign headers", () => {
    const h = deriveHeaders(undefined, { eventId: "e", eventType: "t", producer: "p", occurredAt: 42 });
    h.extra["x-tenant"] = "acme";
    const kafka = toKafkaHeaders(h);
    const back = fromKafkaHeaders(
      Object.fromEntries(Object.entries(kafka).map(([k, v]) => [k, Buffer.from(String(v))])),
    );
    expect(back).toMatchObject({
      eventId: "e",
      eventType: "t",
      producer: "p",
      occurredAt: 42,
      correlationId: h.correlationId,
    });
    expect(back.extra).toEqual({ "x-tenant": "acme" });
  });
});
