/**
 * The webhook body, per the Standard Webhooks payload recommendation: `type`, `timestamp` (when the
 * verdict was decided) and `data` (the verdict as published on the result topic), plus the
 * correlation id that rode every hop. Built once at dispatch and frozen in the task: every attempt,
 * retry and replay sends the same bytes.
 */
import type { EventType, Verdict } from "../types.ts";

export interface WebhookBody {
  type: EventType;
  timestamp: string;
  correlationId: string | null;
  data: Verdict;
}

export function buildBody(type: EventType, verdict: Verdict, correlationId: string | undefined): string {
  const body: WebhookBody = {
    type,
    timestamp: new Date(verdict.decidedAt).toISOString(),
    correlationId: correlationId ?? null,
    data: verdict,
  };
  return JSON.stringify(body);
}
