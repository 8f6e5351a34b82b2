// DO NOT EDIT: generated from schemas/avro/*.avsc by `npm run codegen`.
// Timestamps (logicalType timestamp-millis) are epoch milliseconds.

/** A record a stage could not process, with everything needed to understand and replay it. Topics *.dlq.v1. */
export interface DeadLetter {
  stage: string;
  sourceTopic: string;
  sourcePartition: number;
  sourceOffset: number;
  originalKey: null | Buffer;
  /** The original bytes, untouched. */
  originalValue: null | Buffer;
  originalHeaders: Array<Header>;
  originalTimestamp: number;
  /** A stable VERDICT_ERR_* code. */
  errorCode: string;
  /** What went wrong, for a human. */
  reason: string;
  attempts: number;
  correlationId: null | string;
  failedAt: number;
}

export type Domain = "FRAUD" | "MODERATION";

/** A feature's or the score's distribution moved away from the model's reference (model.json). Topic monitoring.drift-alerts.v1, key = model. FIRING when PSI reaches the alert threshold (again after the repeat interval while it stays there), RESOLVED when it falls below the resolve threshold. */
export interface DriftAlert {
  eventId: string;
  /** Model name (models/<name>/). */
  model: string;
  version: string;
  /** fraud | moderation */
  domain: string;
  /** A reference feature name, or 'score' for the model's score. */
  feature: string;
  /** FIRING | RESOLVED */
  status: string;
  statistic: string;
  /** The statistic over the window. */
  value: number;
  /** Alert threshold (FIRING) or resolve threshold (RESOLVED). */
  threshold: number;
  /** Records in the window compared. */
  windowSize: number;
  /** Records the reference distribution was built from. */
  referenceCount: number;
  /** Reference bin edges. */
  edges: Array<number>;
  /** Reference proportion per bin. */
  expected: Array<number>;
  /** Window proportion per bin. */
  actual: Array<number>;
  detectedAt: number;
  /** Which process saw it (host, pid, runner). */
  source: string;
}

export type FraudDecision = "APPROVE" | "REVIEW" | "DECLINE";

/** A late outcome for a transaction: chargeback, investigator feedback, or 'known genuine'. Topic payments.fraud-label.reported.v1, key = customerId. */
export interface FraudLabelReported {
  eventId: string;
  transactionId: string;
  customerId: string;
  terminalId: string;
  isFraud: boolean;
  source: LabelSource;
  transactionOccurredAt: number;
  /** When the label became known (event time). */
  occurredAt: number;
}

/** The decision on a transaction. Topic verdicts.fraud.v1, key = customerId. Exactly one per input event. */
export interface FraudVerdict {
  /** The input event's id: the idempotency key. */
  eventId: string;
  transactionId: string;
  customerId: string;
  decision: FraudDecision;
  /** Model score; null when a rule decided alone. */
  score: null | number;
  reasons: Array<string>;
  model: ModelRef;
  occurredAt: number;
  decidedAt: number;
  timings: Record<string, number>;
}

export interface Header {
  key: string;
  value: null | Buffer;
}

export type LabelSource = "CHARGEBACK" | "INVESTIGATOR" | "OUTCOME_KNOWN";

/** Which model produced a score, and where it ran. */
export interface ModelRef {
  name: string;
  version: string;
  /** ONNX Runtime execution provider, e.g. cpu, cuda, webgpu; 'rules' when no model ran. */
  provider: string;
}

export type ModerationDecision = "ALLOW" | "REVIEW" | "BLOCK";

/** The decision on a post. Topic verdicts.moderation.v1, key = authorId. Exactly one per input event. */
export interface ModerationVerdict {
  eventId: string;
  postId: string;
  authorId: string;
  decision: ModerationDecision;
  score: null | number;
  reasons: Array<string>;
  model: ModelRef;
  occurredAt: number;
  decidedAt: number;
  timings: Record<string, number>;
}

/** Moderation features for one post: dense named signals plus the normalized text the model tokenizes. Topic content.post.features.v1, key = authorId. */
export interface PostFeatures {
  eventId: string;
  postId: string;
  authorId: string;
  occurredAt: number;
  normalizedText: string;
  featureSet: string;
  features: Record<string, number>;
  blocklistHits: Array<string>;
}

/** A validated, normalized post (NFC, trimmed). Topic content.post.ingested.v1, key = authorId. */
export interface PostIngested {
  eventId: string;
  postId: string;
  authorId: string;
  text: string;
  language: null | string;
  occurredAt: number;
  ingestedAt: number;
}

/** A user post to moderate. Topic content.post.submitted.v1, key = authorId. */
export interface PostSubmitted {
  eventId: string;
  postId: string;
  /** The partition key. */
  authorId: string;
  text: string;
  /** BCP 47 tag when known. */
  language: null | string;
  occurredAt: number;
}

/** An uncertain case for a human. Topic review.requests.v1, key as the input. */
export interface ReviewRequest {
  eventId: string;
  domain: Domain;
  subjectId: string;
  key: string;
  score: null | number;
  reasons: Array<string>;
  model: ModelRef;
  requestedAt: number;
}

/** A model score for one event, before policy. Topics payments.transaction.scored.v1, content.post.scored.v1 and the shadow topic; key as the input. */
export interface Scored {
  eventId: string;
  domain: Domain;
  /** transactionId or postId. */
  subjectId: string;
  /** The partition key of the input (customerId or authorId). */
  key: string;
  occurredAt: number;
  /** Probability of the positive class (fraud / abusive). */
  score: number;
  model: ModelRef;
  /** Inputs the policy may explain with. */
  features: Record<string, number>;
  ruleHits: Array<string>;
  /** Milliseconds per stage so far. */
  timings: Record<string, number>;
  /** Per input, how much of the score it accounts for (occlusion, same model version): per feature, the score minus the score with that feature at its training mean; for a text model, per word (key word:<word>), the score minus the score without that word. Computed for records scored at or above the model's review threshold; empty otherwise and when rules decided. */
  contributions: Record<string, number>;
  /** Set when the domain runs a model cascade (inference models.<domain>.screen); null otherwise. */
  screen: null | ScreenResult;
}

/** The model cascade's first step: a cheap screen model scored the record before the decider. */
export interface ScreenResult {
  model: ModelRef;
  score: number;
  /** The screen's cut-off: a score below it clears the record without the decider. */
  clearBelow: number;
  /** True: the screen decided alone, and `model` / `score` above are its own. */
  cleared: boolean;
}

/** A card transaction as published by the upstream payments app. Topic payments.transaction.created.v1, key = customerId. */
export interface TransactionCreated {
  /** Unique id of this event (UUID); the idempotency key downstream. */
  eventId: string;
  transactionId: string;
  /** Card/customer id; the partition key. */
  customerId: string;
  terminalId: string;
  /** Amount in major units of currency (e.g. 12.34). */
  amount: number;
  /** ISO 4217 code. */
  currency: string;
  /** Event time, epoch ms. */
  occurredAt: number;
}

/** Online fraud features for one transaction (the handbook's 15 baseline features, by name). Topic payments.transaction.features.v1, key = customerId. */
export interface TransactionFeatures {
  eventId: string;
  transactionId: string;
  customerId: string;
  terminalId: string;
  amount: number;
  occurredAt: number;
  /** Name@version of the feature definitions used. */
  featureSet: string;
  features: Record<string, number>;
}

/** A validated, normalized transaction. Topic payments.transaction.ingested.v1, key = customerId. */
export interface TransactionIngested {
  eventId: string;
  transactionId: string;
  customerId: string;
  terminalId: string;
  amount: number;
  currency: string;
  occurredAt: number;
  ingestedAt: number;
}

/** One delivery attempt. Topic webhooks.attempts.v1, key = webhookId, so a message's attempts sit in one partition in order. */
export interface WebhookAttempt {
  webhookId: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  /** 1 for the first attempt. */
  attempt: number;
  startedAt: number;
  latencyMs: number;
  /** SUCCESS | FAILED | TIMEOUT | NETWORK | THROTTLED | REDIRECT | GONE | REFUSED */
  outcome: string;
  /** HTTP status; null when no response. */
  status: null | number;
  error: null | string;
  /** Start of the response body (at most 512 characters). */
  response: null | string;
  /** The partner's Retry-After, ms. */
  retryAfterMs: null | number;
  /** When the next attempt is due; null when none follows. */
  nextAttemptAt: null | number;
  /** True when this was the last attempt and the message went to webhooks.dead-letter.v1. */
  deadLettered: boolean;
  correlationId: null | string;
}

/** A partner's webhook subscription. Topic webhooks.subscriptions.v1 (compacted), key = id; a null value (tombstone) deletes it. */
export interface WebhookEndpoint {
  /** Endpoint id, e.g. ep_3sZ...; the record key. */
  id: string;
  /** https:// URL the webhooks are POSTed to. */
  url: string;
  description: string;
  /** verdict.fraud, verdict.moderation; empty = every type. */
  eventTypes: Array<string>;
  /** Verdict field -> accepted values (all fields must match), e.g. decision -> [DECLINE]. */
  filter: Record<string, Array<string>>;
  /** Signing secrets, newest first. Every unexpired one signs (zero-downtime rotation). Stored as whsec_... or, with VERDICT_WEBHOOK_SECRETS_KEY, encrypted (enc:v1:...). */
  secrets: Array<WebhookSecret>;
  enabled: boolean;
  disabledReason: null | string;
  disabledAt: null | number;
  /** Max requests per second to this endpoint; null = unlimited. */
  rateLimitPerSec: null | number;
  /** Max requests in flight to this endpoint (per worker process). */
  maxConcurrency: number;
  createdAt: number;
  updatedAt: number;
}

/** Something operators must see about an endpoint. Topic webhooks.endpoint-events.v1, key = endpointId. */
export interface WebhookEndpointEvent {
  eventId: string;
  endpointId: string;
  /** CREATED | UPDATED | DELETED | ENABLED | DISABLED | SECRET_ROTATED | BREAKER_OPENED | BREAKER_HALF_OPEN | BREAKER_CLOSED | THROTTLED | DEAD_LETTERED | REPLAYED */
  type: string;
  reason: string;
  at: number;
  webhookId: null | string;
  details: Record<string, string>;
}

export interface WebhookSecret {
  secret: string;
  createdAt: number;
  /** Set on rotation for the old secret; null = no expiry. */
  expiresAt: null | number;
}

/** One webhook to deliver to one endpoint. Topics webhooks.deliveries.v1 and webhooks.retry.<tier>.v1, key = endpointId. The body is frozen at dispatch so every attempt sends the same bytes. */
export interface WebhookTask {
  /** webhook-id header: stable hash of (verdict eventId, endpointId); the partner's idempotency key. */
  webhookId: string;
  endpointId: string;
  /** verdict.fraud | verdict.moderation */
  eventType: string;
  /** The verdict's eventId. */
  eventId: string;
  correlationId: null | string;
  /** The exact JSON body sent and signed. */
  body: string;
  /** Attempts made so far (0 before the first). */
  attempt: number;
  createdAt: number;
  /** Not before this time. */
  dueAt: number;
  /** When this record was written (a retry tier holds it at most its delay after this). */
  enqueuedAt: number;
  lastStatus: null | number;
  lastError: null | string;
  /** Set on replays: where the failed message came from (dead-letter position). */
  replayOf: null | string;
  /** The verdict's topic, partition and offset. */
  sourceTopic: string;
  sourcePartition: number;
  sourceOffset: number;
}

/** Every top-level schema by name: the value type of topics declared with that schema. */
export interface SchemaTypes {
  DeadLetter: DeadLetter;
  DriftAlert: DriftAlert;
  FraudLabelReported: FraudLabelReported;
  FraudVerdict: FraudVerdict;
  ModelRef: ModelRef;
  ModerationVerdict: ModerationVerdict;
  PostFeatures: PostFeatures;
  PostIngested: PostIngested;
  PostSubmitted: PostSubmitted;
  ReviewRequest: ReviewRequest;
  Scored: Scored;
  TransactionCreated: TransactionCreated;
  TransactionFeatures: TransactionFeatures;
  TransactionIngested: TransactionIngested;
  WebhookAttempt: WebhookAttempt;
  WebhookEndpoint: WebhookEndpoint;
  WebhookEndpointEvent: WebhookEndpointEvent;
  WebhookTask: WebhookTask;
}

export type SchemaName = keyof SchemaTypes;
