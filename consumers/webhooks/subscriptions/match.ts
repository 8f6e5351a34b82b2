/**
 * Which endpoints get a verdict: enabled, subscribed to its event type (none listed = all), every
 * filter field matching (e.g. decision ∈ [DECLINE] = "only declines"), and decided after the
 * endpoint was created (a new endpoint does not receive the retained history of the verdict topics).
 */
import { UnrecoverableError } from "../../../lib/errors/index.ts";
import { EVENT_TYPES, type EventType, type Verdict, type WebhookEndpoint } from "../types.ts";

/** Verdict fields a filter may name: the scalar, top-level ones. */
export const FILTER_FIELDS = [
  "decision",
  "customerId",
  "transactionId",
  "authorId",
  "postId",
  "eventId",
] as const;

export function validateSubscription(
  eventTypes: readonly string[],
  filter: Record<string, readonly string[]>,
): void {
  for (const t of eventTypes) {
    if (!(EVENT_TYPES as readonly string[]).includes(t)) {
      throw new UnrecoverableError(
        "VERDICT_ERR_WEBHOOK_ENDPOINT",
        `eventTypes: unknown event type "${t}" (known: ${EVENT_TYPES.join(", ")})`,
      );
    }
  }
  for (const [field, values] of Object.entries(filter)) {
    if (!(FILTER_FIELDS as readonly string[]).includes(field)) {
      throw new UnrecoverableError(
        "VERDICT_ERR_WEBHOOK_ENDPOINT",
        `filter: unknown field "${field}" (filterable: ${FILTER_FIELDS.join(", ")})`,
      );
    }
    if (values.length === 0) {
      throw new UnrecoverableError(
        "VERDICT_ERR_WEBHOOK_ENDPOINT",
        `filter.${field}: give at least one value`,
      );
    }
  }
}

export function subscribes(endpoint: WebhookEndpoint, eventType: EventType, verdict: Verdict): boolean {
  if (!endpoint.enabled) return false;
  if (endpoint.eventTypes.length > 0 && !endpoint.eventTypes.includes(eventType)) return false;
  if (verdict.decidedAt < endpoint.createdAt) return false;
  const fields = verdict as unknown as Record<string, unknown>;
  for (const [field, allowed] of Object.entries(endpoint.filter)) {
    const value = fields[field];
    if (value === undefined || value === null || !allowed.includes(String(value))) return false;
  }
  return true;
}

/** "decision=DECLINE,REVIEW" (repeatable) → { decision: ["DECLINE", "REVIEW"] }. */
export function parseFilter(specs: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const spec of specs) {
    const eq = spec.indexOf("=");
    if (eq <= 0) {
      throw new UnrecoverableError(
        "VERDICT_ERR_WEBHOOK_ENDPOINT",
        `filter "${spec}": expected field=value[,value...]`,
      );
    }
    const field = spec.slice(0, eq).trim();
    const values = spec
      .slice(eq + 1)
      .split(",")
      .map((v) => v.trim())
      .filter(Boolean);
    out[field] = [...(out[field] ?? []), ...values];
  }
  return out;
}
