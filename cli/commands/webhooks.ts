import type { Command } from "commander";
import type { AppDeps } from "../../app/deps.ts";
import {
  createEndpointAdmin,
  createEndpointEvents,
  createSecretBox,
  createSsrfGuard,
  createSubscriptionStore,
  createSubscriptionView,
  createWebhookService,
  type EndpointAdmin,
  endpointStatuses,
  Outbox,
  parseDuration,
  parseFilter,
  parseWebhookOptions,
  readAttempts,
  replayFailed,
  WebhookRecords,
  webhookOptionsFromEnv,
} from "../../consumers/webhooks/index.ts";
import { deliveryOption, nonNegative, positiveInt } from "../../lib/cli/index.ts";
import type { WebhookEndpoint } from "../../schemas/generated/types.ts";
import { type CliContext, printTable } from "../context.ts";
import { onShutdownSignal } from "../signals.ts";

interface Tools {
  admin: EndpointAdmin;
  endpoint(id: string): WebhookEndpoint | undefined;
  endpoints(): WebhookEndpoint[];
  outbox: Outbox;
  records: WebhookRecords;
  events: ReturnType<typeof createEndpointEvents>;
  deps: AppDeps;
}

/** Builds the endpoint tools on a view read to the end of the subscriptions topic; always cleans up. */
async function withTools<T>(ctx: CliContext, fn: (tools: Tools) => Promise<T>): Promise<T> {
  const deps = await ctx.reachableDeps();
  const options = parseWebhookOptions(webhookOptionsFromEnv());
  const view = createSubscriptionView({ kafka: deps.kafka, codec: deps.codec, logger: ctx.logger });
  const store = createSubscriptionStore({
    kafka: deps.kafka,
    codec: deps.codec,
    view,
    producerName: "verdict-cli",
  });
  const outbox = new Outbox(deps.kafka, ctx.logger);
  const records = new WebhookRecords(deps.codec, Date.now);
  const events = createEndpointEvents(outbox, records);
  try {
    await view.start();
    await outbox.connect();
    const admin = createEndpointAdmin({
      view,
      store,
      guard: createSsrfGuard(options.ssrf),
      box: createSecretBox(options.secretsKey),
      events,
      rotationGraceMs: options.rotationGraceMs,
    });
    return await fn({
      admin,
      endpoint: (id) => view.get(id),
      endpoints: () => view.list(),
      outbox,
      records,
      events,
      deps,
    });
  } finally {
    await outbox.disconnect();
    await store.close();
    await view.stop();
  }
}

const collect = (value: string, previous: string[] = []) => [...previous, value];
const when = (iso?: string) => (iso ? iso.replace(/\.\d{3}Z$/, "Z") : "");

export function webhooksCommand(program: Command, ctx: CliContext): void {
  const wh = program
    .command("webhooks")
    .description("Partner webhooks: run the service, manage endpoints, status, attempts, replay");

  wh.command("serve")
    .description(
      "Run the webhook service: dispatcher, delivery worker and admin API (VERDICT_WEBHOOK_*, VERDICT_ADMIN_*)",
    )
    .option("--no-dispatch", "do not run the dispatcher (verdicts → delivery tasks)")
    .option("--no-deliver", "do not run the delivery worker")
    .option("--no-api", "do not serve the admin API")
    .addOption(deliveryOption("dispatcher delivery: at-least-once | exactly-once"))
    .option(
      "--instance-id <id>",
      "stable id of this instance (transactional id suffix)",
      process.env.HOSTNAME ?? "0",
    )
    .action(async (opts) => {
      const deps = ctx.deps();
      const service = createWebhookService(
        { kafka: deps.kafka, codec: deps.codec, logger: ctx.logger },
        webhookOptionsFromEnv(),
        {
          dispatch: opts.dispatch,
          deliver: opts.deliver,
          api: opts.api,
          runner: { delivery: opts.delivery, instanceId: opts.instanceId },
        },
      );
      let stopping: Promise<void> | undefined;
      const stop = (code: number) => {
        stopping ??= service
          .stop()
          .then(() => ctx.close())
          .finally(() => process.exit(code));
        return stopping;
      };
      onShutdownSignal(() => void stop(0), { print: ctx.print });
      await service.start();
      const address = service.apiAddress();
      ctx.print(
        `webhooks: serving${address ? ` (admin API on http://${address.address}:${address.port})` : ""}`,
      );
      try {
        await service.done;
        await new Promise(() => {}); // runs until a signal
      } catch (err) {
        ctx.logger.fatal({ err }, "webhook service died; exiting non-zero");
        await stop(1);
      }
    });

  wh.command("add <url>")
    .description("Add an endpoint; prints its id and signing secret (shown once)")
    .option("--id <id>", "endpoint id (default: generated ep_...)")
    .option("--event-type <type>", "verdict.fraud | verdict.moderation (repeatable; default all)", collect)
    .option(
      "--filter <field=values>",
      "only verdicts whose field is one of the values, e.g. decision=DECLINE (repeatable)",
      collect,
    )
    .option("--description <text>", "free text")
    .option("--rate <per-second>", "max requests per second", nonNegative)
    .option("--concurrency <n>", "max requests in flight", positiveInt, 10)
    .option("--secret <whsec>", "use this whsec_ secret instead of a generated one")
    .option("--disabled", "create it disabled")
    .action(async (url: string, opts) =>
      withTools(ctx, async ({ admin }) => {
        const { endpoint, secret } = await admin.create({
          id: opts.id,
          url,
          description: opts.description,
          eventTypes: opts.eventType,
          filter: opts.filter ? parseFilter(opts.filter) : undefined,
          rateLimitPerSec: opts.rate,
          maxConcurrency: opts.concurrency,
          secret: opts.secret,
          enabled: !opts.disabled,
        });
        ctx.print(`id:     ${endpoint.id}`);
        ctx.print(`secret: ${secret}`);
        ctx.print("Store the secret now: it is not shown again (rotate-secret makes a new one).");
      }),
    );

  wh.command("list")
    .description("List endpoints (secrets never shown)")
    .option("--json", "full JSON")
    .action(async (opts) =>
      withTools(ctx, async ({ admin }) => {
        const list = admin.list();
        if (opts.json) return ctx.print(JSON.stringify(list, null, 2));
        printTable(
          ctx,
          list.map((e) => ({
            id: e.id,
            enabled: e.enabled ? "yes" : `no (${e.disabledReason})`,
            url: e.url,
            events: e.eventTypes.join(",") || "*",
            filter:
              Object.entries(e.filter)
                .map(([k, v]) => `${k}=${v.join(",")}`)
                .join(" ") || "-",
            secrets: String(e.secrets.length),
          })),
        );
      }),
    );

  for (const [name, enabled] of [
    ["disable", false],
    ["enable", true],
  ] as const) {
    wh.command(`${name} <id>`)
      .description(
        enabled
          ? "Enable an endpoint (then replay what failed meanwhile)"
          : "Disable an endpoint (an event and a metric say so)",
      )
      .option("--reason <text>", "why (shown in status)")
      .action(async (id: string, opts) =>
        withTools(ctx, async ({ admin }) => {
          const e = await admin.setEnabled(id, enabled, opts.reason);
          ctx.print(`${e.id}: ${e.enabled ? "enabled" : `disabled (${e.disabledReason})`}`);
        }),
      );
  }

  wh.command("remove <id>")
    .description("Delete an endpoint (tombstone in the subscriptions topic)")
    .action(async (id: string) =>
      withTools(ctx, async ({ admin }) => {
        await admin.remove(id);
        ctx.print(`${id}: deleted`);
      }),
    );

  wh.command("rotate-secret <id>")
    .description(
      "New signing secret; the old one keeps signing (two signatures per request) during the grace period",
    )
    .option("--grace <duration>", "how long the old secret still signs (e.g. 24h, 0 to drop it now)", "24h")
    .option("--secret <whsec>", "use this whsec_ secret")
    .action(async (id: string, opts) =>
      withTools(ctx, async ({ admin }) => {
        const { endpoint, secret } = await admin.rotateSecret(id, {
          secret: opts.secret,
          graceMs: parseDuration(opts.grace, "--grace"),
        });
        ctx.print(`id:     ${endpoint.id}`);
        ctx.print(`secret: ${secret}`);
        ctx.print(`signing with ${endpoint.secrets.length} secret(s) until the old ones expire`);
      }),
    );

  wh.command("status [id]")
    .description("Per endpoint: enabled/disabled and why, breaker, last event, dead letters")
    .action(async (id: string | undefined) =>
      withTools(ctx, async ({ endpoints, deps }) => {
        const chosen = endpoints().filter((e) => !id || e.id === id);
        const statuses = await endpointStatuses(deps.kafka, deps.codec, chosen);
        printTable(
          ctx,
          statuses.map((s) => ({
            id: s.id,
            state: s.enabled ? "enabled" : "DISABLED",
            breaker: s.breaker,
            deadLetters: String(s.deadLetters),
            lastEvent: s.lastEvent
              ? `${when(s.lastEvent.at)} ${s.lastEvent.type}: ${s.lastEvent.reason}`
              : "-",
            reason: s.disabledReason ?? "",
          })),
        );
      }),
    );

  wh.command("attempts <webhook-id>")
    .description("Every delivery attempt of one message: status, latency, error")
    .action(async (webhookId: string) => {
      const deps = await ctx.reachableDeps();
      const attempts = await readAttempts(deps.kafka, deps.codec, webhookId);
      printTable(
        ctx,
        attempts.map((a) => ({
          attempt: String(a.attempt),
          at: when(new Date(a.startedAt).toISOString()),
          endpoint: a.endpointId,
          outcome: a.outcome,
          status: a.status === null ? "-" : String(a.status),
          ms: a.latencyMs.toFixed(0),
          next: a.nextAttemptAt
            ? when(new Date(a.nextAttemptAt).toISOString())
            : a.deadLettered
              ? "dead-lettered"
              : "-",
          error: a.error ?? "",
        })),
      );
    });

  wh.command("replay")
    .description("Replay failed webhooks from webhooks.dead-letter.v1 (same webhook id, fresh schedule)")
    .option("--webhook-id <id>", "one message")
    .option("--endpoint <id>", "everything failed for this endpoint")
    .option("--since <iso>", "failed at or after")
    .option("--until <iso>", "failed at or before")
    .option("--all", "every failed message (required without a filter)")
    .option("--dry-run", "only say what would be replayed")
    .action(async (opts) =>
      withTools(ctx, async ({ endpoint, outbox, records, events, deps }) => {
        const report = await replayFailed(
          { kafka: deps.kafka, codec: deps.codec, endpoint, outbox, records, events },
          {
            webhookId: opts.webhookId,
            endpointId: opts.endpoint,
            since: opts.since ? Date.parse(opts.since) : undefined,
            until: opts.until ? Date.parse(opts.until) : undefined,
            all: Boolean(opts.all),
            dryRun: Boolean(opts.dryRun),
          },
        );
        ctx.print(
          `${opts.dryRun ? "would replay" : "replayed"} ${report.replayed} message(s): ${JSON.stringify(report.byEndpoint)}`,
        );
        for (const s of report.skipped) ctx.print(`skipped ${s.webhookId} (${s.endpointId}): ${s.reason}`);
      }),
    );
}
