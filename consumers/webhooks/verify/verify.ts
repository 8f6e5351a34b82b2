/**
 * Standard Webhooks signature verification for partners receiving Verdict webhooks. Self-contained
 * (node:crypto only) so it can be copied into a partner's code base as is.
 *
 * Spec: https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
 * - signed content is `${webhook-id}.${webhook-timestamp}.${raw body}`, HMAC-SHA256 with the key
 *   base64-decoded from the secret after its `whsec_` prefix;
 * - `webhook-signature` is a space-delimited list of `v1,<base64>` entries (several during a secret
 *   rotation): one match is enough; other versions (`v1a`...) are skipped;
 * - `webhook-timestamp` (unix seconds) must be within a tolerance of now (default 5 min) so a
 *   captured request cannot be replayed later.
 * Verify the raw body bytes exactly as received: parsing and re-serialising JSON breaks signatures.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export type VerificationErrorCode =
  | "invalid_secret"
  | "missing_header"
  | "invalid_timestamp"
  | "timestamp_too_old"
  | "timestamp_too_new"
  | "no_matching_signature";

export class WebhookVerificationError extends Error {
  readonly code: VerificationErrorCode;
  constructor(code: VerificationErrorCode, message: string) {
    super(message);
    this.name = "WebhookVerificationError";
    this.code = code;
  }
}

/** Node's IncomingHttpHeaders, a plain record, or a fetch `Headers`. */
export type HeadersLike =
  | Record<string, string | string[] | undefined>
  | { get(name: string): string | null };

export interface VerifyOptions {
  /** Accepted clock difference, seconds. Default 300 (the spec's recommendation). */
  toleranceSeconds?: number;
  /** Clock, epoch ms. Default Date.now. */
  now?: () => number;
}

export interface VerifiedWebhook {
  /** The idempotency key: process each id once. */
  id: string;
  /** Attempt time, unix seconds. */
  timestamp: number;
}

const SECRET_PREFIX = "whsec_";

function header(headers: HeadersLike, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === "function") {
    return (headers as { get(n: string): string | null }).get(name) ?? undefined;
  }
  const record = headers as Record<string, string | string[] | undefined>;
  let value = record[name];
  if (value === undefined) {
    // Plain objects from some frameworks keep the sender's casing (Webhook-Id).
    const key = Object.keys(record).find((k) => k.toLowerCase() === name);
    value = key === undefined ? undefined : record[key];
  }
  return Array.isArray(value) ? value[0] : value;
}

function keyOf(secret: string): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const key = Buffer.from(encoded, "base64");
  if (key.length === 0) throw new WebhookVerificationError("invalid_secret", "The signing secret is empty");
  return key;
}

/**
 * Throws WebhookVerificationError unless one `v1` signature matches one of `secrets` and the
 * timestamp is within tolerance. Returns the webhook id (dedupe on it) and timestamp.
 */
export function verifyWebhook(
  secrets: string | readonly string[],
  headers: HeadersLike,
  body: string | Buffer,
  options: VerifyOptions = {},
): VerifiedWebhook {
  const keys = (typeof secrets === "string" ? [secrets] : secrets).map(keyOf);
  if (keys.length === 0) throw new WebhookVerificationError("invalid_secret", "No signing secret given");
  const id = header(headers, "webhook-id");
  const ts = header(headers, "webhook-timestamp");
  const signatures = header(headers, "webhook-signature");
  for (const [name, value] of [
    ["webhook-id", id],
    ["webhook-timestamp", ts],
    ["webhook-signature", signatures],
  ] as const) {
    if (!value) throw new WebhookVerificationError("missing_header", `Missing header ${name}`);
  }
  if (!/^\d{1,15}$/.test(ts!)) {
    throw new WebhookVerificationError("invalid_timestamp", `webhook-timestamp "${ts}" is not unix seconds`);
  }
  const timestamp = Number(ts);
  const nowSec = Math.floor((options.now ?? Date.now)() / 1000);
  const tolerance = options.toleranceSeconds ?? 300;
  if (nowSec - timestamp > tolerance) {
    throw new WebhookVerificationError(
      "timestamp_too_old",
      `webhook-timestamp is ${nowSec - timestamp} s old`,
    );
  }
  if (timestamp - nowSec > tolerance) {
    throw new WebhookVerificationError(
      "timestamp_too_new",
      `webhook-timestamp is ${timestamp - nowSec} s in the future`,
    );
  }
  const content = Buffer.concat([
    Buffer.from(`${id}.${ts}.`),
    Buffer.isBuffer(body) ? body : Buffer.from(body),
  ]);
  const expected = keys.map((key) => createHmac("sha256", key).update(content).digest());
  for (const entry of signatures!.split(" ")) {
    const comma = entry.indexOf(",");
    if (comma < 0 || entry.slice(0, comma) !== "v1") continue;
    const given = Buffer.from(entry.slice(comma + 1), "base64");
    // timingSafeEqual needs equal lengths; a length mismatch reveals nothing about the key.
    if (expected.some((e) => e.length === given.length && timingSafeEqual(e, given))) {
      return { id: id!, timestamp };
    }
  }
  throw new WebhookVerificationError(
    "no_matching_signature",
    "No webhook-signature entry matches the secret(s)",
  );
}
