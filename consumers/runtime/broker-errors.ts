/** How the runner reads KafkaJS errors: refusals that cannot succeed on retry, and rebalances. */

/** Broker errors that refuse a record for good: sending the same outputs again cannot succeed. */
const PERMANENT_REFUSALS = new Set([
  "MESSAGE_TOO_LARGE",
  "RECORD_LIST_TOO_LARGE",
  "INVALID_RECORD",
  "CORRUPT_MESSAGE",
]);

/** The broker refused these outputs for good (looking through KafkaJS's wrappers; "not sent" is not). */
export function isPermanentRefusal(err: unknown): boolean {
  let e = err;
  for (let depth = 0; e && depth < 6; depth++) {
    const x = e as { type?: unknown; code?: unknown; cause?: unknown; originalError?: unknown };
    if (x.code === "VERDICT_ERR_NOT_SENT") return false;
    if (typeof x.type === "string" && PERMANENT_REFUSALS.has(x.type)) return true;
    e = x.cause ?? x.originalError;
  }
  return false;
}

/** KafkaJS's own test (errors.js isRebalancing): the group is rebalancing and this member must rejoin. */
export function isRebalancing(err: unknown): boolean {
  const type = (err as { type?: unknown })?.type;
  return (
    type === "REBALANCE_IN_PROGRESS" || type === "NOT_COORDINATOR_FOR_GROUP" || type === "ILLEGAL_GENERATION"
  );
}
