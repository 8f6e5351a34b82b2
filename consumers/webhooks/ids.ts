/** Stable identifiers: the webhook id (the partner's idempotency key) and endpoint ids. */
import { createHash, randomBytes } from "node:crypto";

/**
 * `msg_` + 27 base64url chars of sha256(verdict eventId, endpoint id): the same verdict sent to the
 * same endpoint always has the same id (retries, crash redeliveries, replays), and two endpoints
 * never share one. base64url has no `.`, which the signed content uses as its delimiter.
 */
export function webhookIdFor(eventId: string, endpointId: string): string {
  const digest = createHash("sha256").update(eventId).update("\u0000").update(endpointId).digest("base64url");
  return `msg_${digest.slice(0, 27)}`;
}

export const ENDPOINT_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function newEndpointId(): string {
  return `ep_${randomBytes(12).toString("base64url")}`;
}
