/**
 * One OpenTelemetry span per stage hop, continuing the trace in the record's W3C `traceparent`
 * header (lib/trace): the hop span's parent is the span id the upstream producer or stage wrote, so
 * the producer's trace id runs through every stage to the verdict. Spans go through the
 * OpenTelemetry API only (@opentelemetry/api): Verdict registers no SDK and no exporter, so by
 * default nothing is recorded or sent. To export, the host registers a tracer provider (an OTel
 * SDK with an OTLP exporter, e.g. `node --import ./otel.mjs`) and sets VERDICT_TRACING=otel or
 * OTEL_EXPORTER_OTLP_ENDPOINT; see observability/README.md for why no SDK is bundled.
 */
import {
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { errorCode, errorMessage } from "../../lib/errors/index.ts";
import type { Logger } from "../../lib/log/index.ts";
import { parseTraceparent } from "../../lib/trace/index.ts";
import type { StageObservation, StageObserver } from "../metrics/stage-probe.ts";

export type TracingMode = "off" | "otel";

export interface TracingOptions {
  /** "off": no spans; "otel": spans through the OpenTelemetry API's global tracer provider. */
  mode: TracingMode;
  /** Instrumentation scope name. Default "verdict". */
  scope?: string;
}

/** VERDICT_TRACING=off|otel; unset: "otel" when OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT is set, else "off". */
export function tracingOptionsFromEnv(env: Record<string, string | undefined> = process.env): TracingOptions {
  const explicit = env.VERDICT_TRACING?.trim().toLowerCase();
  if (explicit === "off" || explicit === "otel") return { mode: explicit };
  const otlp = env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  return { mode: otlp ? "otel" : "off" };
}

/** A probe observer that records the hop as a span; `tracer` is injectable for tests. */
export function hopTracer(tracer: Tracer, now: () => number = Date.now): StageObserver {
  return (o: StageObservation) => {
    const parent = parseTraceparent(o.ctx.headers.traceparent);
    const parentContext = parent
      ? trace.setSpanContext(context.active(), {
          traceId: parent.traceId,
          spanId: parent.spanId,
          traceFlags: parent.sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
          isRemote: true,
        })
      : context.active();
    const end = now();
    const span: Span = tracer.startSpan(
      `${o.stage} process`,
      {
        kind: SpanKind.CONSUMER,
        startTime: new Date(end - o.durationMs),
        attributes: {
          "messaging.system": "kafka",
          "messaging.operation.type": "process",
          "messaging.destination.name": o.topic,
          "messaging.destination.partition.id": String(o.ctx.partition),
          "messaging.kafka.offset": Number(o.ctx.offset),
          ...(o.ctx.key !== null ? { "messaging.kafka.message.key": o.ctx.key } : {}),
          ...(o.ctx.headers.eventId ? { "messaging.message.id": o.ctx.headers.eventId } : {}),
          ...(o.ctx.headers.correlationId ? { "verdict.correlation_id": o.ctx.headers.correlationId } : {}),
          "verdict.stage": o.stage,
          "verdict.attempt": o.ctx.attempt,
          "verdict.outputs": o.outputs.length,
        },
      },
      parentContext,
    );
    if (o.error !== undefined) {
      span.setAttribute("verdict.error_code", errorCode(o.error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(o.error) });
    }
    span.end(new Date(end));
  };
}

/** The hop observer for `options`, or undefined when tracing is off. */
export function createHopTracing(options: TracingOptions, logger?: Logger): StageObserver | undefined {
  if (options.mode === "off") return undefined;
  logger?.info(
    { tracing: options.mode },
    "tracing: one span per stage hop through the OpenTelemetry API (register an SDK + exporter to export)",
  );
  return hopTracer(trace.getTracer(options.scope ?? "verdict"));
}
