import { type Context, type Span, type SpanOptions, type Tracer, trace } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import type { StageContext } from "../../consumers/runtime/index.ts";
import { silentLogger } from "../../lib/log/index.ts";
import { TOPICS } from "../../topology/index.ts";
import { hopTracer, tracingOptionsFromEnv } from "./hop-tracer.ts";

interface Recorded {
  name: string;
  options: SpanOptions;
  parent: ReturnType<typeof trace.getSpanContext>;
  status?: unknown;
  ended?: unknown;
}

/** A second Tracer implementation that records what it was asked. */
function recordingTracer(spans: Recorded[]): Tracer {
  const startSpan = (name: string, options: SpanOptions = {}, ctx?: Context): Span => {
    const rec: Recorded = { name, options, parent: ctx ? trace.getSpanContext(ctx) : undefined };
    spans.push(rec);
    const span = {
      setAttribute: () => span,
      setStatus: (s: unknown) => {
        rec.status = s;
        return span;
      },
      end: (t?: unknown) => {
        rec.ended = t;
      },
    };
    return span as unknown as Span;
  };
  return { startSpan, startActiveSpan: (() => undefined) as never };
}

const ctx = (traceparent?: string): StageContext => ({
  stage: "features",
  topic: TOPICS.transactionIngested.name,
  partition: 2,
  offset: "41",
  key: "c-9",
  headers: { traceparent, correlationId: "corr-9", eventId: "e-9" },
  timestamp: 0,
  attempt: 1,
  logger: silentLogger(),
  signal: new AbortController().signal,
  now: () => 0,
});

describe("hop tracing", () => {
  it("continues the record's trace: the hop span's parent is the traceparent in the input headers", () => {
    const spans: Recorded[] = [];
    const observe = hopTracer(recordingTracer(spans), () => 10_000);
    observe({
      stage: "features",
      topic: TOPICS.transactionIngested.name,
      input: {},
      outputs: [],
      durationMs: 25,
      ctx: ctx("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
    });
    expect(spans).toHaveLength(1);
    const s = spans[0]!;
    expect(s.name).toBe("features process");
    expect(s.parent).toMatchObject({
      traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
      spanId: "00f067aa0ba902b7",
      isRemote: true,
    });
    expect(s.options.startTime).toEqual(new Date(9_975));
    expect(s.ended).toEqual(new Date(10_000));
    expect(s.options.attributes).toMatchObject({
      "messaging.system": "kafka",
      "messaging.destination.name": TOPICS.transactionIngested.name,
      "messaging.kafka.offset": 41,
      "messaging.message.id": "e-9",
      "verdict.correlation_id": "corr-9",
    });
  });

  it("marks failed hops and starts a root span when the record has no trace", () => {
    const spans: Recorded[] = [];
    hopTracer(recordingTracer(spans))({
      stage: "ingest",
      topic: "t",
      input: {},
      outputs: [],
      durationMs: 1,
      error: new Error("bad"),
      ctx: ctx(undefined),
    });
    expect(spans[0]!.parent).toBeUndefined();
    expect(spans[0]!.status).toMatchObject({ code: 2, message: "bad" });
  });

  it("is off unless asked for", () => {
    expect(tracingOptionsFromEnv({})).toEqual({ mode: "off" });
    expect(tracingOptionsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318" })).toEqual({
      mode: "otel",
    });
    expect(
      tracingOptionsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://x", VERDICT_TRACING: "off" }),
    ).toEqual({ mode: "off" });
  });
});
