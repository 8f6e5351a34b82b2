/** Endpoint events (webhooks.endpoint-events.v1) written through an outbox. */
import type { Outbox } from "./delivery/outbox.ts";
import type { WebhookRecords } from "./records.ts";
import type { EndpointEvents } from "./types.ts";

export function createEndpointEvents(outbox: Outbox, records: WebhookRecords): EndpointEvents {
  return {
    async emit(endpointId, type, reason, extra) {
      await outbox.send([await records.event(endpointId, type, reason, extra)]);
    },
  };
}
