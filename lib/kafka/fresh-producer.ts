/**
 * An idempotent KafkaJS producer that is replaced after a failed send. When the broker refuses a
 * request for good (e.g. MESSAGE_TOO_LARGE) or KafkaJS gives up retrying, KafkaJS's idempotent
 * sequence numbers can be out of step with the broker's: every later request on that producer may
 * fail with OUT_OF_ORDER_SEQUENCE_NUMBER (a wedged writer), or, if the broker had appended a batch
 * whose answer was lost, the next different batch reusing its sequence number is taken for a
 * duplicate and dropped (why KafkaJS warns that capped retries "may invalidate EoS guarantees"). A
 * new producer (new producer id) starts clean.
 *
 * The failure is reported at once; the replacement connects meanwhile, and the next send waits for
 * it (a failed connect fails that send, which replaces the producer again). Concurrent sends are
 * allowed: a send that fails on a producer already replaced by another failure replaces nothing.
 */
import type { Producer, ProducerBatch, RecordMetadata } from "kafkajs";

export class FreshOnFailureProducer {
  private producer: Producer;
  /** The current producer's connection, when it replaced a failed one. */
  private replaced: Promise<void> = Promise.resolve();

  constructor(private readonly create: () => Producer) {
    this.producer = create();
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  async sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    let used = this.producer;
    try {
      await this.replaced;
      used = this.producer;
      return await used.sendBatch(batch);
    } catch (err) {
      this.replace(used);
      throw err;
    }
  }

  async disconnect(): Promise<void> {
    await this.replaced.catch(() => {});
    await this.producer.disconnect();
  }

  private replace(failed: Producer): void {
    if (this.producer !== failed) return; // another send's failure already replaced it
    const fresh = this.create();
    this.producer = fresh;
    this.replaced = failed
      .disconnect()
      .catch(() => {})
      .then(() => fresh.connect());
    this.replaced.catch(() => {}); // observed by the next send
  }
}
