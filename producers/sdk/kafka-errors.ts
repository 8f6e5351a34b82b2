/** Maps KafkaJS failures to Verdict errors with a message that says what to do. */
import { VerdictError } from "../../lib/errors/index.ts";

interface KafkaJSFailure {
  name?: string;
  message?: string;
  type?: string;
  retriable?: boolean;
  cause?: KafkaJSFailure;
}

/** Broker error codes that refuse a record for good: sending it again cannot succeed. */
const REFUSED_FOR_GOOD: Record<string, string> = {
  MESSAGE_TOO_LARGE:
    "make the event smaller, or raise the topic's max.message.bytes (maxMessageBytes in topology/, then verdict topics apply)",
  RECORD_LIST_TOO_LARGE:
    "publish fewer events per call (publishMany), or raise the topic's max.message.bytes (maxMessageBytes in topology/)",
  INVALID_RECORD: "the broker refused the record as malformed (e.g. a compacted topic needs a key)",
};

/** The broker's error code, whether KafkaJS surfaces it directly or wrapped after retries. */
function brokerErrorType(e: KafkaJSFailure | undefined): string | undefined {
  for (let cur = e, depth = 0; cur && depth < 5; cur = cur.cause, depth++) {
    if (cur.type) return cur.type;
  }
  return undefined;
}

export function kafkaError(err: unknown, what: string): VerdictError {
  if (err instanceof VerdictError) return err;
  const e = err as KafkaJSFailure;
  if (e?.name === "KafkaJSSASLAuthenticationError") {
    return new VerdictError(
      "VERDICT_ERR_KAFKA_AUTH",
      `${what}: the broker rejected the SASL credentials (${e.message}). Check KAFKA_SASL_MECHANISM/USERNAME/PASSWORD.`,
      { cause: err },
    );
  }
  const type = brokerErrorType(e);
  const fix = type ? REFUSED_FOR_GOOD[type] : undefined;
  if (fix) {
    return new VerdictError("VERDICT_ERR_PUBLISH", `${what} failed: ${e.message} (${type}): ${fix}`, {
      cause: err,
      retriable: false,
    });
  }
  return new VerdictError("VERDICT_ERR_PUBLISH", `${what} failed: ${e?.message ?? String(err)}`, {
    cause: err,
    retriable: e?.retriable ?? true,
  });
}
