/**
 * Signing per the Standard Webhooks spec: `v1,` + base64(HMAC-SHA256(key, `${id}.${timestamp}.${body}`))
 * where key = base64-decode(secret without `whsec_`). During a rotation every active secret signs and
 * the signatures are sent space-delimited, so partners verify with either key.
 * https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md#signature-scheme
 */
import { createHmac, randomBytes } from "node:crypto";
import { UnrecoverableError } from "../../lib/errors/index.ts";

export const SECRET_PREFIX = "whsec_";
/** The spec asks for 24..64 random bytes. */
const MIN_KEY_BYTES = 24;
const MAX_KEY_BYTES = 64;

/** A new signing secret: `whsec_` + base64 of 32 random bytes. */
export function generateSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString("base64")}`;
}

/** Validates a `whsec_` secret and returns its key bytes. The error never includes the secret. */
export function secretKey(secret: string): Buffer {
  if (!secret.startsWith(SECRET_PREFIX)) {
    throw new UnrecoverableError("VERDICT_ERR_CONFIG", `A signing secret must start with ${SECRET_PREFIX}`);
  }
  const encoded = secret.slice(SECRET_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) {
    throw new UnrecoverableError("VERDICT_ERR_CONFIG", `A signing secret must be ${SECRET_PREFIX} + base64`);
  }
  const key = Buffer.from(encoded, "base64");
  if (key.length < MIN_KEY_BYTES || key.length > MAX_KEY_BYTES) {
    throw new UnrecoverableError(
      "VERDICT_ERR_CONFIG",
      `A signing secret must decode to ${MIN_KEY_BYTES}..${MAX_KEY_BYTES} bytes (got ${key.length})`,
    );
  }
  return key;
}

/** One `v1,<base64>` signature. `timestamp` is unix seconds. */
export function sign(secret: string, webhookId: string, timestamp: number, body: string | Buffer): string {
  const mac = createHmac("sha256", secretKey(secret));
  mac.update(`${webhookId}.${timestamp}.`);
  mac.update(body);
  return `v1,${mac.digest("base64")}`;
}

/** The `webhook-signature` header value: one signature per active secret, newest first. */
export function signatureHeader(
  secrets: readonly string[],
  webhookId: string,
  timestamp: number,
  body: string | Buffer,
): string {
  return secrets.map((s) => sign(s, webhookId, timestamp, body)).join(" ");
}

/** A short, non-reversible fingerprint to tell secrets apart in listings (never the secret itself). */
export function secretFingerprint(secret: string): string {
  return createHmac("sha256", "verdict-secret-fingerprint").update(secret).digest("hex").slice(0, 8);
}
