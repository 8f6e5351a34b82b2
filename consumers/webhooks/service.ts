/**
 * The webhook service: one process runs the subscriptions view, the dispatcher (verdicts → tasks,
 * a stage on the shared runner), the delivery worker (tasks → partners, retries through Kafka) and
 * the admin API. Each part can be switched off to scale them separately; all state that matters is
 * in Kafka, so any number of these processes can run (consumer groups share the partitions).
 */
import type { AddressInfo } from "node:net";
import type { Kafka } from "kafkajs";
import type { Logger } from "../../lib/log/index.ts";
import type { AvroCodec } from "../../schemas/codec/index.ts";
import { createStageRunner, type RunnerSettingsInput, type StageRunner } from "../runtime/index.ts";
import { type AdminApi, createAdminApi } from "./admin/http-api.ts";
import { createEndpointAdmin, type EndpointAdmin } from "./admin/operations.ts";
import { replayFailed } from "./admin/replay.ts";
import { endpointStatuses, readAttempts } from "./admin/status.ts";
import { createHttpClient, type WebhookHttpClient } from "./delivery/http-client.ts";
import { Outbox } from "./delivery/outbox.ts";
import { createDeliveryWorker, type DeliveryWorker } from "./delivery/worker.ts";
import { createDispatchStage } from "./dispatch/dispatcher.ts";
import { createEndpointEvents } from "./events.ts";
import { createWebhookMetrics, type WebhookMetrics } from "./metrics.ts";
import { parseWebhookOptions, type WebhookOptions, type WebhookOptionsInput } from "./options.ts";
import { WebhookRecords } from "./records.ts";
import { createSsrfGuard, type Resolver } from "./ssrf/index.ts";
import { createSecretBox, type SecretBox } from "./subscriptions/secret-box.ts";
import { createSubscriptionStore, type SubscriptionStore } from "./subscriptions/store.ts";
import { createSubscriptionView, type SubscriptionView } from "./subscriptions/view.ts";

export interface WebhookServiceDeps {
  kafka: Kafka;
  codec: AvroCodec;
  logger: Logger;
  /** DNS for the SSRF guard; tests stub it. Default: the system resolver. */
  resolver?: Resolver;
  /** HTTP client; default node:http/https with pinned addresses. */
  http?: WebhookHttpClient;
  now?: () => number;
  random?: () => number;
}

export interface WebhookServiceParts {
  /** Run the dispatcher (verdicts → tasks). Default true. */
  dispatch?: boolean;
  /** Run the delivery worker. Default true. */
  deliver?: boolean;
  /** Serve the admin API (needs options.admin.token). Default true. */
  api?: boolean;
  /** Dispatcher runner settings (delivery mode, session timeout...). */
  runner?: RunnerSettingsInput;
}

export interface WebhookService {
  readonly options: Readonly<WebhookOptions>;
  readonly view: SubscriptionView;
  readonly store: SubscriptionStore;
  readonly admin: EndpointAdmin;
  readonly metrics: WebhookMetrics;
  readonly box: SecretBox;
  readonly worker?: DeliveryWorker;
  readonly dispatcher?: StageRunner;
  /** Where the admin API listens, once started. */
  apiAddress(): AddressInfo | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Rejects when a part dies for good (the process should exit non-zero). */
  readonly done: Promise<void>;
}

export function createWebhookService(
  deps: WebhookServiceDeps,
  input: WebhookOptionsInput = {},
  parts: WebhookServiceParts = {},
): WebhookService {
  const options = parseWebhookOptions(input);
  const now = deps.now ?? Date.now;
  const logger = deps.logger.child({ service: "webhooks" });
  const box = createSecretBox(options.secretsKey);
  const guard = createSsrfGuard(options.ssrf, deps.resolver);
  const http = deps.http ?? createHttpClient();
  const view = createSubscriptionView({ kafka: deps.kafka, codec: deps.codec, logger });
  const store = createSubscriptionStore({ kafka: deps.kafka, codec: deps.codec, view });
  const outbox = new Outbox(deps.kafka, logger);
  const records = new WebhookRecords(deps.codec, now);
  const events = createEndpointEvents(outbox, records);
  const admin = createEndpointAdmin({
    view,
    store,
    guard,
    box,
    events,
    rotationGraceMs: options.rotationGraceMs,
    now,
  });
  let worker: DeliveryWorker | undefined;
  const metrics = createWebhookMetrics(() => worker?.inFlight() ?? 0);
  if (parts.deliver !== false) {
    worker = createDeliveryWorker(
      {
        kafka: deps.kafka,
        codec: deps.codec,
        logger,
        view,
        store,
        guard,
        http,
        box,
        metrics,
        now,
        random: deps.random,
      },
      options,
    );
  }
  const dispatcher =
    parts.dispatch === false
      ? undefined
      : createStageRunner(
          createDispatchStage({ view, firstDelayMs: options.retryScheduleMs[0] }),
          { kafka: deps.kafka, codec: deps.codec, logger, now },
          {
            sessionTimeoutMs: options.sessionTimeoutMs,
            heartbeatIntervalMs: Math.min(3000, Math.floor(options.sessionTimeoutMs / 3)),
            ...parts.runner,
          },
        );
  let api: AdminApi | undefined;
  let address: AddressInfo | undefined;
  const status = async (id?: string) => {
    const all = view.list().filter((e) => id === undefined || e.id === id);
    return endpointStatuses(deps.kafka, deps.codec, all, (eid) => worker?.lane(eid));
  };
  view.onChange((id, next) => metrics.disabled(id, next !== null && !next.enabled));

  async function start(): Promise<void> {
    await view.start();
    await outbox.connect();
    await worker?.start();
    await dispatcher?.start();
    if (parts.api !== false && options.admin.enabled) {
      if (!options.admin.token) {
        logger.warn("admin API not started: set VERDICT_ADMIN_TOKEN (16+ characters) to enable it");
      } else {
        if (!["127.0.0.1", "::1", "localhost"].includes(options.admin.host)) {
          logger.warn(
            { host: options.admin.host },
            "admin API bound beyond loopback: put TLS and a firewall in front",
          );
        }
        api = createAdminApi({
          admin,
          token: options.admin.token,
          logger,
          status,
          attempts: (webhookId) => readAttempts(deps.kafka, deps.codec, webhookId),
          replay: (filter) =>
            replayFailed(
              {
                kafka: deps.kafka,
                codec: deps.codec,
                endpoint: (id) => view.get(id),
                outbox,
                records,
                events,
                now,
              },
              filter,
            ),
          metrics: async () => ({
            contentType: metrics.registry.contentType,
            body: await metrics.registry.metrics(),
          }),
          health: () => ({ endpoints: view.list().length, inFlight: worker?.inFlight() ?? 0 }),
        });
        address = await api.listen(options.admin.host, options.admin.port);
        logger.info({ host: address.address, port: address.port }, "webhook admin API listening");
      }
    }
  }

  async function stop(): Promise<void> {
    await api?.close();
    await dispatcher?.stop();
    await worker?.stop();
    await outbox.disconnect();
    await store.close();
    await view.stop();
    http.close();
  }

  const done = Promise.all([worker?.done, dispatcher?.done]).then(() => undefined);
  done.catch(() => {});

  return {
    options,
    view,
    store,
    admin,
    metrics,
    box,
    worker,
    dispatcher,
    apiAddress: () => address,
    start,
    stop,
    done,
  };
}
