/**
 * An idempotent KafkaJS producer that is replaced after a failed send. When the broker refuses a
 * request for good (e.g. MESSAGE_TOO_LARGE) or KafkaJS gives up retrying, KafkaJS's idempotent
 * sequence numbers can be out of step with the broker's, and every later request on that producer
 * fails with OUT_OF_ORDER_SEQUENCE_NUMBER: a wedged writer. A new producer (new producer id) starts
 * clean. Callers send one request at a time (both users here do), so nothing is in flight on the old
 * one when it is dropped.
 */
import type { Producer, ProducerBatch } from "kafkajs";

export class FreshOnFailureProducer {
  private producer: Producer;

  constructor(private readonly create: () => Producer) {
    this.producer = create();
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  async sendBatch(batch: ProducerBatch): Promise<void> {
    try {
      await this.producer.sendBatch(batch);
    } catch (err) {
      const old = this.producer;
      this.producer = this.create();
      await old.disconnect().catch(() => {});
      await this.producer.connect().catch(() => {}); // if this fails, the next send fails and retries it
      throw err;
    }
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }
}
