/**
 * End-to-end support: publish simulated transactions (+ late labels) and posts with a correlation id
 * per event, run the four stages (fused or split) on the real stack, and check that exactly one
 * verdict comes out per input event, correlation ids are kept and per-key order holds.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import type { AppDeps } from "../../app/deps.ts";
import { MODELS_DIR } from "../../app/stages.ts";
import {
  interleave,
  type Publishable,
  postSource,
  publishStream,
  transactionSource,
} from "../../producers/publish/index.ts";
import { createProducer } from "../../producers/sdk/index.ts";
import { TOPICS } from "../../topology/index.ts";
import { testConnections } from "./app.ts";
import { readDecoded, waitForCount } from "./pipeline.ts";

const DAY = 86_400_000;

export interface Published {
  transactions: Map<string, { transactionId: string; customerId: string }>;
  posts: Map<string, { postId: string; authorId: string }>;
}

/** Stop publishing after `afterTransactions` transactions until `run` resolves (e.g. a model activation). */
export interface PublishPause {
  afterTransactions: number;
  run: () => Promise<void>;
}

/** Yields `source`, awaiting `pause.run()` once `pause.afterTransactions` transactions went by. */
async function* pausing(source: AsyncIterable<Publishable>, pause: PublishPause | undefined) {
  let transactions = 0;
  for await (const item of source) {
    if (item.topic.name === TOPICS.transactionCreated.name && transactions++ === pause?.afterTransactions) {
      await pause.run();
    }
    yield item;
  }
}

export async function publishWorkload(
  seed: number,
  txDays: number,
  customers: number,
  posts: number,
  pause?: PublishPause,
): Promise<Published> {
  const start = new Date(Math.floor((Date.now() - (txDays + 8) * DAY) / DAY) * DAY)
    .toISOString()
    .slice(0, 10);
  const postStart = new Date(Math.floor((Date.now() - 2 * DAY) / DAY) * DAY).toISOString().slice(0, 10);
  const out: Published = { transactions: new Map(), posts: new Map() };
  const producer = await createProducer({ connections: testConnections(), clientId: "e2e-test" });
  try {
    await publishStream(
      producer,
      pausing(
        interleave(
          transactionSource({ days: txDays, customers, terminals: customers * 2, seed, startDate: start }),
          postSource({ count: posts, seed, startDate: postStart, meanIntervalMs: 10 }),
        ),
        pause,
      ),
      {
        optionsFor: (item) => {
          const e = item.event as unknown as Record<string, string>;
          if (item.topic.name === TOPICS.transactionCreated.name) {
            out.transactions.set(e.eventId!, { transactionId: e.transactionId!, customerId: e.customerId! });
          }
          if (item.topic.name === TOPICS.postSubmitted.name)
            out.posts.set(e.eventId!, { postId: e.postId!, authorId: e.authorId! });
          return { correlationId: `corr-${e.eventId}` };
        },
      },
    );
  } finally {
    await producer.close();
  }
  return out;
}

/** A copy of the shipped models where fraud-gbt also exists as 1.0.1 (same weights), for activation tests. */
export function modelsWithCandidate(): { dir: string } {
  const dir = mkdtempSync(join(tmpdir(), "verdict-models-"));
  cpSync(MODELS_DIR, dir, { recursive: true });
  cpSync(join(dir, "fraud-gbt", "1.0.0"), join(dir, "fraud-gbt", "1.0.1"), { recursive: true });
  const manifest = join(dir, "fraud-gbt", "1.0.1", "model.json");
  const json = JSON.parse(readFileSync(manifest, "utf8"));
  json.version = "1.0.1";
  writeFileSync(manifest, JSON.stringify(json, null, 2));
  writeFileSync(join(dir, "fraud-gbt", "ACTIVE"), "1.0.0\n");
  return { dir };
}

export async function collectVerdicts(deps: AppDeps, expected: number, timeoutMs = 240_000) {
  const deadline = Date.now() + timeoutMs;
  const read = async () => ({
    fraud: await readDecoded(deps, TOPICS.fraudVerdicts),
    moderation: await readDecoded(deps, TOPICS.moderationVerdicts),
    dlq: await readDecoded(deps, TOPICS.ingestDlq),
  });
  let v = await read();
  while (v.fraud.length + v.moderation.length + v.dlq.length < expected && Date.now() < deadline) {
    await waitForCount(deps.kafka, TOPICS.fraudVerdicts.name, expected, 5000);
    v = await read();
  }
  return v;
}

/** Exactly one verdict (or dead letter) per input event; correlation ids kept; per-key order. */
export function checkVerdicts(published: Published, v: Awaited<ReturnType<typeof collectVerdicts>>): void {
  const count = new Map<string, number>();
  for (const r of [...v.fraud, ...v.moderation])
    count.set(r.value.eventId, (count.get(r.value.eventId) ?? 0) + 1);
  for (const l of v.dlq) {
    const id = l.value.correlationId?.replace(/^corr-/, "") ?? "";
    count.set(id, (count.get(id) ?? 0) + 1);
  }
  const lost = [...published.transactions.keys(), ...published.posts.keys()].filter((id) => !count.has(id));
  const duplicated = [...count.entries()].filter(([, n]) => n > 1);
  expect(lost, "events without a verdict").toEqual([]);
  expect(duplicated, "events with more than one verdict").toEqual([]);
  expect(v.fraud.length + v.moderation.length + v.dlq.length).toBe(
    published.transactions.size + published.posts.size,
  );

  for (const r of [...v.fraud, ...v.moderation])
    expect(r.headers.correlationId).toBe(`corr-${r.value.eventId}`);
  for (const r of v.fraud) expect(r.key).toBe(r.value.customerId);
  for (const r of v.moderation) expect(r.key).toBe(r.value.authorId);

  // Per-key order: within each partition, a customer's transaction numbers only go up.
  const last = new Map<string, number>();
  for (const r of v.fraud) {
    const n = Number(r.value.transactionId);
    expect(n).toBeGreaterThan(last.get(r.value.customerId) ?? -1);
    last.set(r.value.customerId, n);
  }
  const lastPost = new Map<string, number>();
  for (const r of v.moderation) {
    const n = Number(r.value.postId.replace(/\D/g, ""));
    expect(n).toBeGreaterThan(lastPost.get(r.value.authorId) ?? -1);
    lastPost.set(r.value.authorId, n);
  }
}
