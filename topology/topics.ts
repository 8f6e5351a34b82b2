/**
 * Every topic of Verdict, declared once. Names follow `<domain>.<entity>.<event>.v<major>`; a breaking
 * change gets a new major topic, compatible changes evolve the registered schema (BACKWARD).
 * Partition counts are the ceiling of parallelism for each consumer group (see docs/scaling.md).
 */
import type { SchemaName } from "../schemas/generated/types.ts";
import type { TopicDescriptor, TopicRole } from "./types.ts";

const DAY = 24 * 60 * 60 * 1000;

/**
 * Optional namespace for every topic name (and so every subject), read once at start-up: several
 * environments or tenants can share a cluster (`VERDICT_TOPIC_PREFIX=staging.`), and each integration
 * test file gets its own topics. Consumer groups are prefixed the same way by the runner.
 */
export const TOPIC_PREFIX = process.env.VERDICT_TOPIC_PREFIX ?? "";
if (TOPIC_PREFIX && !/^[a-zA-Z0-9._-]+$/.test(TOPIC_PREFIX)) {
  throw new Error(`VERDICT_TOPIC_PREFIX=${TOPIC_PREFIX} has characters Kafka topic names cannot contain`);
}
const named = (name: string) => `${TOPIC_PREFIX}${name}`;
const PARTITIONS = 6;

function topic<S extends SchemaName>(
  name: string,
  role: TopicRole,
  valueSchema: S,
  key: string,
  description: string,
  extra: Partial<TopicDescriptor<S>> = {},
): TopicDescriptor<S> {
  return {
    name: named(name),
    role,
    key,
    valueSchema,
    partitions: PARTITIONS,
    retentionMs: 7 * DAY,
    cleanupPolicy: "delete",
    description,
    ...extra,
    ...(extra.dlq ? { dlq: named(extra.dlq) } : {}),
  };
}

function deadLetter(name: string, stage: string): TopicDescriptor<"DeadLetter"> {
  return topic(
    name,
    "dead-letter",
    "DeadLetter",
    "the original record's key",
    `Records the ${stage} stage could not process.`,
    {
      partitions: 1,
      retentionMs: 30 * DAY,
      // A dead letter carries the original bytes plus context: allow what the largest input allows.
      maxMessageBytes: 5 * 1024 * 1024,
    },
  );
}

/**
 * Webhook retry tiers: waiting rooms of fixed delay. A task waits in the tier whose delay is the
 * largest not above its remaining wait, at most that delay, then runs or moves on (see
 * consumers/webhooks/delivery/schedule.ts). The delay in ms is part of the data.
 */
export const WEBHOOK_RETRY_TIERS = [
  ["webhookRetry1s", "1s", 1_000],
  ["webhookRetry10s", "10s", 10_000],
  ["webhookRetry1m", "1m", 60_000],
  ["webhookRetry10m", "10m", 600_000],
  ["webhookRetry1h", "1h", 3_600_000],
] as const;

type WebhookRetryTierId = (typeof WEBHOOK_RETRY_TIERS)[number][0];

function webhookRetryTiers(): Record<WebhookRetryTierId, TopicDescriptor<"WebhookTask">> {
  const entries = WEBHOOK_RETRY_TIERS.map(([id, label]) => [
    id,
    topic(
      `webhooks.retry.${label}.v1`,
      "webhooks",
      "WebhookTask",
      "endpointId",
      `Webhook tasks waiting up to ${label} for their next attempt.`,
      { dlq: "webhooks.dead-letter.v1" },
    ),
  ]);
  return Object.fromEntries(entries) as Record<WebhookRetryTierId, TopicDescriptor<"WebhookTask">>;
}

export const TOPICS = {
  // Inputs: what upstream apps publish.
  transactionCreated: topic(
    "payments.transaction.created.v1",
    "input",
    "TransactionCreated",
    "customerId",
    "Card transactions from the payments app.",
    { dlq: "ingest.dead-letter.v1" },
  ),
  postSubmitted: topic(
    "content.post.submitted.v1",
    "input",
    "PostSubmitted",
    "authorId",
    "User posts to moderate.",
    {
      dlq: "ingest.dead-letter.v1",
      // Oversized posts must reach ingestion to be dead-lettered with a reason, not bounce at the broker.
      maxMessageBytes: 4 * 1024 * 1024,
    },
  ),
  fraudLabelReported: topic(
    "payments.fraud-label.reported.v1",
    "input",
    "FraudLabelReported",
    "customerId",
    "Late outcomes (chargebacks, investigator feedback, known genuine) feeding terminal-risk features.",
    { dlq: "features.dead-letter.v1", retentionMs: 60 * DAY },
  ),
  // Stage outputs.
  transactionIngested: topic(
    "payments.transaction.ingested.v1",
    "stage",
    "TransactionIngested",
    "customerId",
    "Validated, normalized, deduplicated transactions.",
    { dlq: "features.dead-letter.v1" },
  ),
  postIngested: topic(
    "content.post.ingested.v1",
    "stage",
    "PostIngested",
    "authorId",
    "Validated, normalized posts.",
    {
      dlq: "features.dead-letter.v1",
    },
  ),
  transactionFeatures: topic(
    "payments.transaction.features.v1",
    "stage",
    "TransactionFeatures",
    "customerId",
    "Online fraud features per transaction.",
    { dlq: "inference.dead-letter.v1" },
  ),
  postFeatures: topic(
    "content.post.features.v1",
    "stage",
    "PostFeatures",
    "authorId",
    "Moderation features per post.",
    {
      dlq: "inference.dead-letter.v1",
    },
  ),
  transactionScored: topic(
    "payments.transaction.scored.v1",
    "stage",
    "Scored",
    "customerId",
    "Fraud model scores, before policy.",
    { dlq: "scoring.dead-letter.v1" },
  ),
  postScored: topic(
    "content.post.scored.v1",
    "stage",
    "Scored",
    "authorId",
    "Moderation model scores, before policy.",
    {
      dlq: "scoring.dead-letter.v1",
    },
  ),
  shadowScored: topic(
    "models.shadow-scored.v1",
    "ops",
    "Scored",
    "as the input",
    "Scores of candidate model versions in shadow mode; never affect verdicts.",
  ),
  // Results: what downstream services subscribe to.
  fraudVerdicts: topic(
    "verdicts.fraud.v1",
    "result",
    "FraudVerdict",
    "customerId",
    "One fraud verdict per transaction.",
    {
      retentionMs: 30 * DAY,
      dlq: "webhooks.dead-letter.v1",
    },
  ),
  moderationVerdicts: topic(
    "verdicts.moderation.v1",
    "result",
    "ModerationVerdict",
    "authorId",
    "One moderation verdict per post.",
    { retentionMs: 30 * DAY, dlq: "webhooks.dead-letter.v1" },
  ),
  reviewRequests: topic(
    "review.requests.v1",
    "review",
    "ReviewRequest",
    "as the input",
    "Uncertain cases for human review.",
    {
      retentionMs: 30 * DAY,
    },
  ),
  // Dead letters, one per stage.
  ingestDlq: deadLetter("ingest.dead-letter.v1", "ingest"),
  featuresDlq: deadLetter("features.dead-letter.v1", "features"),
  inferenceDlq: deadLetter("inference.dead-letter.v1", "inference"),
  scoringDlq: deadLetter("scoring.dead-letter.v1", "scoring"),
  webhooksDlq: deadLetter("webhooks.dead-letter.v1", "webhooks"),
  // Webhooks (consumers/webhooks): subscriptions, delivery tasks, retry tiers, attempt log, endpoint events.
  webhookSubscriptions: topic(
    "webhooks.subscriptions.v1",
    "webhooks",
    "WebhookEndpoint",
    "id",
    "Partner endpoints (compacted; a tombstone deletes one). Every webhook process rebuilds its view from it.",
    { partitions: 1, cleanupPolicy: "compact", retentionMs: -1 },
  ),
  webhookDeliveries: topic(
    "webhooks.deliveries.v1",
    "webhooks",
    "WebhookTask",
    "endpointId",
    "One task per (verdict, matching endpoint), first attempt due at once.",
    { dlq: "webhooks.dead-letter.v1" },
  ),
  ...webhookRetryTiers(),
  webhookAttempts: topic(
    "webhooks.attempts.v1",
    "webhooks",
    "WebhookAttempt",
    "webhookId",
    "Every delivery attempt: status, latency, error.",
    { retentionMs: 30 * DAY },
  ),
  webhookEndpointEvents: topic(
    "webhooks.endpoint-events.v1",
    "ops",
    "WebhookEndpointEvent",
    "endpointId",
    "Endpoint lifecycle and health: disabled, breaker opened/closed, throttled, dead-lettered, replayed.",
    { retentionMs: 90 * DAY },
  ),
  // Monitoring (observability/drift): drift alerts as events, for operators and automation.
  driftAlerts: topic(
    "monitoring.drift-alerts.v1",
    "ops",
    "DriftAlert",
    "model",
    "Feature and score drift alerts (PSI vs model.json's reference): FIRING and RESOLVED.",
    { partitions: 1, retentionMs: 90 * DAY },
  ),
} as const satisfies Record<string, TopicDescriptor>;

export type TopicId = keyof typeof TOPICS;

export function allTopics(): TopicDescriptor[] {
  return Object.values(TOPICS);
}

export function topicByName(name: string): TopicDescriptor | undefined {
  return allTopics().find((t) => t.name === name);
}
