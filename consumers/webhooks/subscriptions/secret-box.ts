/**
 * Optional encryption at rest of signing secrets in the subscriptions topic: with
 * VERDICT_WEBHOOK_SECRETS_KEY (base64 of 32 bytes) each secret is stored as
 * `enc:v1:<iv>.<tag>.<ciphertext>` (AES-256-GCM); without it secrets are stored as given, and anyone
 * who can read the topic can read them (restrict it with Kafka ACLs).
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { VerdictError } from "../../../lib/errors/index.ts";

const PREFIX = "enc:v1:";

export interface SecretBox {
  readonly encrypts: boolean;
  seal(secret: string): string;
  open(stored: string): string;
}

export function createSecretBox(keyBase64?: string): SecretBox {
  const key = keyBase64 ? Buffer.from(keyBase64, "base64") : undefined;
  if (key && key.length !== 32) {
    throw new VerdictError(
      "VERDICT_ERR_CONFIG",
      "VERDICT_WEBHOOK_SECRETS_KEY must be base64 of 32 bytes (openssl rand -base64 32)",
    );
  }
  return {
    encrypts: key !== undefined,
    seal(secret) {
      if (!key) return secret;
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      const ct = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
      return `${PREFIX}${iv.toString("base64")}.${cipher.getAuthTag().toString("base64")}.${ct.toString("base64")}`;
    },
    open(stored) {
      if (!stored.startsWith(PREFIX)) return stored;
      if (!key) {
        throw new VerdictError(
          "VERDICT_ERR_CONFIG",
          "A signing secret is stored encrypted but VERDICT_WEBHOOK_SECRETS_KEY is not set",
        );
      }
      const [iv, tag, ct] = stored.slice(PREFIX.length).split(".");
      try {
        const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv!, "base64"));
        decipher.setAuthTag(Buffer.from(tag!, "base64"));
        return Buffer.concat([decipher.update(Buffer.from(ct!, "base64")), decipher.final()]).toString(
          "utf8",
        );
      } catch (cause) {
        throw new VerdictError(
          "VERDICT_ERR_CONFIG",
          "A signing secret cannot be decrypted: VERDICT_WEBHOOK_SECRETS_KEY is not the key it was stored with",
          { cause },
        );
      }
    },
  };
}

/** The secrets that sign now, newest first: every one not yet expired (old ones overlap after a rotation). */
export function activeSecrets(
  endpoint: { secrets: readonly { secret: string; createdAt: number; expiresAt: number | null }[] },
  now: number,
  box: SecretBox,
): string[] {
  const live = endpoint.secrets.filter((s) => s.expiresAt === null || s.expiresAt > now);
  const chosen = live.length > 0 ? live : endpoint.secrets.slice(0, 1);
  return [...chosen].sort((a, b) => b.createdAt - a.createdAt).map((s) => box.open(s.secret));
}
