/**
 * The headers every Verdict record carries (MISSION.md "Headers on every record"). Names are
 * lower-case and stable: downstream services and partners key on them.
 */
import { randomUUID } from "node:crypto";
import type { IHeaders } from "kafkajs";
import { childOf, formatTraceparent, parseTraceparent } from "./traceparent.ts";

export const HEADER = {
  correlationId: "correlation-id",
  traceparent: "traceparent",
  tracestate: "tracestate",
  eventId: "event-id",
  eventType: "event-type",
  producer: "producer",
  occurredAt: "occurred-at",
  /** Set on records produced by a stage: the input event id they derive from. */
  causationId: "causation-id",
} as const;

export interface EventHeaders {
  correlationId: string;
  traceparent: string;
  tracestate?: string;
  eventId: string;
  eventType: string;
  producer: string;
  /** Epoch ms. */
  occurredAt: number;
  causationId?: string;
  /** Any other headers, passed through untouched. */
  extra: Record<string, string>;
}

export function headerString(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  if (value === undefined || value === null) return undefined;
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

export function toKafkaHeaders(h: EventHeaders): IHeaders {
  const out: IHeaders = {};
  for (const name in h.extra) out[name] = h.extra[name]!;
  out[HEADER.correlationId] = h.correlationId;
  out[HEADER.traceparent] = h.traceparent;
  if (h.tracestate) out[HEADER.tracestate] = h.tracestate;
  out[HEADER.eventId] = h.eventId;
  out[HEADER.eventType] = h.eventType;
  out[HEADER.producer] = h.producer;
  out[HEADER.occurredAt] = String(h.occurredAt);
  if (h.causationId) out[HEADER.causationId] = h.causationId;
  return out;
}

/** Broker timestamp (epoch ms) of the record that entered the pipeline; set by the stage runner. */
export const ORIGIN_TIMESTAMP = "origin-timestamp";

const KNOWN: Set<string> = new Set(Object.values(HEADER));

/** Reads our headers back; missing ones are undefined (a record from a foreign producer). */
export function fromKafkaHeaders(
  headers: IHeaders | undefined,
): Partial<EventHeaders> & { extra: Record<string, string> } {
  const extra: Record<string, string> = {};
  for (const name of Object.keys(headers ?? {})) {
    if (!KNOWN.has(name)) {
      const v = headerString(headers, name);
      if (v !== undefined) extra[name] = v;
    }
  }
  const occurred = headerString(headers, HEADER.occurredAt);
  return {
    correlationId: headerString(headers, HEADER.correlationId),
    traceparent: headerString(headers, HEADER.traceparent),
    tracestate: headerString(headers, HEADER.tracestate),
    eventId: headerString(headers, HEADER.eventId),
    eventType: headerString(headers, HEADER.eventType),
    producer: headerString(headers, HEADER.producer),
    occurredAt: occurred === undefined ? undefined : Number(occurred),
    causationId: headerString(headers, HEADER.causationId),
    extra,
  };
}

/**
 * Headers for a record derived from an input record: correlation id and trace id carried over,
 * a new span, the output's own event id/type, and the input's event id as causation id.
 */
export function deriveHeaders(
  input: Partial<EventHeaders> | undefined,
  output: { eventId?: string; eventType: string; producer: string; occurredAt: number },
): EventHeaders {
  const parent = parseTraceparent(input?.traceparent);
  return {
    correlationId: input?.correlationId ?? input?.eventId ?? randomUUID(),
    traceparent: formatTraceparent(childOf(parent)),
    tracestate: input?.tracestate,
    eventId: output.eventId ?? randomUUID(),
    eventType: output.eventType,
    producer: output.producer,
    occurredAt: output.occurredAt,
    causationId: input?.eventId,
    extra: {},
  };
}
