/** Maps KafkaJS failures to Verdict errors with a message that says what to do. */
import { VerdictError } from "../../lib/errors/index.ts";

export function kafkaError(err: unknown, what: string): VerdictError {
  if (err instanceof VerdictError) return err;
  const e = err as { name?: string; message?: string; retriable?: boolean };
  if (e?.name === "KafkaJSSASLAuthenticationError") {
    return new VerdictError(
      "VERDICT_ERR_KAFKA_AUTH",
      `${what}: the broker rejected the SASL credentials (${e.message}). Check KAFKA_SASL_MECHANISM/USERNAME/PASSWORD.`,
      { cause: err },
    );
  }
  return new VerdictError("VERDICT_ERR_PUBLISH", `${what} failed: ${e?.message ?? String(err)}`, {
    cause: err,
    retriable: e?.retriable ?? true,
  });
}
