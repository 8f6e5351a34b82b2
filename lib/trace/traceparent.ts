/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/) for Kafka headers: each hop keeps the
 * trace id and starts a new span id, so a trace id set by a producer is visible at the verdict.
 */
import { randomBytes } from "node:crypto";

export interface TraceContext {
  traceId: string;
  spanId: string;
  sampled: boolean;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export function parseTraceparent(value: string | undefined | null): TraceContext | undefined {
  if (!value) return undefined;
  const m = TRACEPARENT.exec(value.trim());
  if (!m) return undefined;
  const [, traceId, spanId, flags] = m as unknown as [string, string, string, string];
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  return { traceId, spanId, sampled: (Number.parseInt(flags, 16) & 1) === 1 };
}

export function formatTraceparent(ctx: TraceContext): string {
  return `00-${ctx.traceId}-${ctx.spanId}-${ctx.sampled ? "01" : "00"}`;
}

export function newTrace(): TraceContext {
  return { traceId: randomBytes(16).toString("hex"), spanId: randomBytes(8).toString("hex"), sampled: true };
}

/** The context of the next hop: same trace, new span. Starts a trace when there is none. */
export function childOf(parent: TraceContext | undefined): TraceContext {
  if (!parent) return newTrace();
  return { traceId: parent.traceId, spanId: randomBytes(8).toString("hex"), sampled: parent.sampled };
}
