/**
 * Semantic validation and normalization of input events: pure functions, no I/O. A rejection is an
 * UnrecoverableError with a reason a human understands; the runner dead-letters it.
 */
import { UnrecoverableError } from "../../lib/errors/index.ts";
import type {
  PostIngested,
  PostSubmitted,
  TransactionCreated,
  TransactionIngested,
} from "../../schemas/generated/types.ts";
import type { IngestSettings } from "./options.ts";

const MAX_ID_LENGTH = 128;
// Lone surrogates cannot be encoded as UTF-8; U+FFFD is what a UTF-8 decoder leaves for invalid bytes.
const INVALID_TEXT = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]|\uFFFD/;
// C0 controls other than tab/newline/carriage return, and DEL.
// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;

function reject(message: string, field: string): never {
  throw new UnrecoverableError("VERDICT_ERR_VALIDATION", message, { context: { field } });
}

function checkId(value: string, field: string): string {
  const id = value.trim();
  if (id.length === 0) reject(`${field} is empty`, field);
  if (id.length > MAX_ID_LENGTH)
    reject(`${field} is ${id.length} characters long (max ${MAX_ID_LENGTH})`, field);
  return id;
}

function checkTime(occurredAt: number, now: number, settings: IngestSettings): void {
  if (!Number.isFinite(occurredAt) || occurredAt <= 0)
    reject(`occurredAt ${occurredAt} is not a valid epoch-ms timestamp`, "occurredAt");
  if (occurredAt > now + settings.maxFutureSkewMs) {
    reject(
      `occurredAt ${new Date(occurredAt).toISOString()} is ${Math.round((occurredAt - now) / 1000)} s in the future ` +
        `(allowed skew ${settings.maxFutureSkewMs / 1000} s): check the producer's clock`,
      "occurredAt",
    );
  }
}

export function normalizeTransaction(
  tx: TransactionCreated,
  now: number,
  settings: IngestSettings,
): TransactionIngested {
  if (!Number.isFinite(tx.amount)) reject(`amount ${tx.amount} is not a finite number`, "amount");
  // Zero is legitimate: card-verification authorizations carry amount 0 (and the handbook simulator
  // emits a few); negative amounts are refunds, which are separate events.
  if (tx.amount < 0)
    reject(`amount ${tx.amount} must not be negative (refunds are separate events)`, "amount");
  if (tx.amount > settings.maxAmount)
    reject(`amount ${tx.amount} exceeds the maximum ${settings.maxAmount}`, "amount");
  const currency = tx.currency.trim().toUpperCase();
  if (!settings.currencies.includes(currency)) {
    reject(
      `currency "${tx.currency}" is not an accepted ISO 4217 code (${settings.currencies.join(", ")})`,
      "currency",
    );
  }
  checkTime(tx.occurredAt, now, settings);
  return {
    eventId: checkId(tx.eventId, "eventId"),
    transactionId: checkId(tx.transactionId, "transactionId"),
    customerId: checkId(tx.customerId, "customerId"),
    terminalId: checkId(tx.terminalId, "terminalId"),
    amount: Math.round(tx.amount * 100) / 100,
    currency,
    occurredAt: tx.occurredAt,
    ingestedAt: now,
  };
}

export function normalizePost(post: PostSubmitted, now: number, settings: IngestSettings): PostIngested {
  if (INVALID_TEXT.test(post.text)) {
    reject("text is not valid UTF-8 (invalid byte sequences or lone surrogates)", "text");
  }
  const text = post.text.normalize("NFC").replace(CONTROL, "").trim();
  if (text.length === 0) reject("text is empty after trimming", "text");
  if (text.length > settings.maxTextLength) {
    reject(`text is ${text.length} characters long (max ${settings.maxTextLength})`, "text");
  }
  checkTime(post.occurredAt, now, settings);
  const language = post.language?.trim() || null;
  if (language !== null && !/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(language)) {
    reject(`language "${post.language}" is not a BCP 47 tag`, "language");
  }
  return {
    eventId: checkId(post.eventId, "eventId"),
    postId: checkId(post.postId, "postId"),
    authorId: checkId(post.authorId, "authorId"),
    text,
    language,
    occurredAt: post.occurredAt,
    ingestedAt: now,
  };
}
