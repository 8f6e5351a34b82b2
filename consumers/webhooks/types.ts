/** Shared webhook vocabulary: event types, attempt outcomes, endpoint event types. */
import type {
  FraudVerdict,
  ModerationVerdict,
  WebhookEndpoint,
  WebhookTask,
} from "../../schemas/generated/types.ts";

export type { WebhookEndpoint, WebhookTask };

/** Event types partners subscribe to (the `type` field of the body). */
export const EVENT_TYPES = ["verdict.fraud", "verdict.moderation"] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export type Verdict = FraudVerdict | ModerationVerdict;

/**
 * SUCCESS = 2xx. FAILED = other status. TIMEOUT = no full answer in time. NETWORK = DNS/connect/reset.
 * THROTTLED = 429/502/504 (endpoint paused, Retry-After honoured). REDIRECT = 3xx (never followed).
 * GONE = 410 (endpoint disabled). REFUSED = the SSRF guard refused the address (endpoint disabled).
 */
export type AttemptOutcome =
  | "SUCCESS"
  | "FAILED"
  | "TIMEOUT"
  | "NETWORK"
  | "THROTTLED"
  | "REDIRECT"
  | "GONE"
  | "REFUSED";

export type EndpointEventType =
  | "CREATED"
  | "UPDATED"
  | "DELETED"
  | "ENABLED"
  | "DISABLED"
  | "SECRET_ROTATED"
  | "BREAKER_OPENED"
  | "BREAKER_HALF_OPEN"
  | "BREAKER_CLOSED"
  | "THROTTLED"
  | "DEAD_LETTERED"
  | "REPLAYED";

/** Publishes an operational event about an endpoint (webhooks.endpoint-events.v1). */
export interface EndpointEvents {
  emit(
    endpointId: string,
    type: EndpointEventType,
    reason: string,
    extra?: { webhookId?: string; details?: Record<string, string> },
  ): Promise<void>;
}
