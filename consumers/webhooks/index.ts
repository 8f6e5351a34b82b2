/**
 * Webhooks: partners receive verdicts as signed HTTP POSTs (Standard Webhooks), with retries kept in
 * Kafka, per-endpoint isolation, an SSRF guard, an attempt log and replay. See README.md.
 */
export {
  createEndpointAdmin,
  type EndpointAdmin,
  type EndpointInput,
  type PublicEndpoint,
} from "./admin/operations.ts";
export { type ReplayFilter, type ReplayReport, replayFailed } from "./admin/replay.ts";
export { type EndpointStatus, endpointStatuses, readAttempts } from "./admin/status.ts";
export { createHttpClient, type WebhookHttpClient } from "./delivery/http-client.ts";
export { Outbox } from "./delivery/outbox.ts";
export { TASK_TOPICS, TIERS, topicForWait } from "./delivery/schedule.ts";
export { createDeliveryWorker, type DeliveryWorker } from "./delivery/worker.ts";
export { createDispatchStage, fanOut } from "./dispatch/dispatcher.ts";
export { createEndpointEvents } from "./events.ts";
export { webhookIdFor } from "./ids.ts";
export { createWebhookMetrics } from "./metrics.ts";
export {
  parseDuration,
  parseWebhookOptions,
  SPEC_RETRY_SCHEDULE_MS,
  type WebhookOptions,
  type WebhookOptionsInput,
  webhookOptionsFromEnv,
} from "./options.ts";
export { WebhookRecords } from "./records.ts";
export { createWebhookService, type WebhookService, type WebhookServiceDeps } from "./service.ts";
export { generateSecret, sign, signatureHeader } from "./signing.ts";
export { createSsrfGuard, type Resolver, systemResolver } from "./ssrf/index.ts";
export {
  createSecretBox,
  createSubscriptionStore,
  createSubscriptionView,
  loadEndpoints,
  parseFilter,
} from "./subscriptions/index.ts";
export type { AttemptOutcome, EndpointEventType, EventType } from "./types.ts";
export { verifyWebhook, WebhookVerificationError } from "./verify/index.ts";
