/**
 * An idempotent KafkaJS producer that is replaced after a failed send. When the broker refuses a
 * request for good (e.g. MESSAGE_TOO_LARGE) or KafkaJS gives up retrying, KafkaJS's idempotent
 * sequence numbers can be out of step with the broker's, and every later request on that producer
 * fails with OUT_OF_ORDER_SEQUENCE_NUMBER: a wedged writer. A new producer (new producer id) starts
 * clean. Callers send one request at a time (both users here do), so nothing is in flight on the old
 * one when it is dropped.
 *
 * The failure is reported at once; the replacement connects meanwhile, and the next send waits for
 * it (a failed connect fails that send, which replaces the producer again).
 */
import type { Producer, ProducerBatch } from "kafkajs";

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

  async sendBatch(batch: ProducerBatch): Promise<void> {
    try {
      await this.replaced;
      await this.producer.sendBatch(batch);
    } catch (err) {
      const old = this.producer;
      const fresh = this.create();
      this.producer = fresh;
      this.replaced = old
        .disconnect()
        .catch(() => {})
        .then(() => fresh.connect());
      this.replaced.catch(() => {}); // observed by the next send
      throw err;
    }
  }

  async disconnect(): Promise<void> {
    await this.replaced.catch(() => {});
    await this.producer.disconnect();
  }
}
