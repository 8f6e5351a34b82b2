/**
 * Operator commands against the real stack, as child processes (`verdict ...`): replay-group refuses
 * a live group, moves a stopped group's offsets to a timestamp (its stage then reprocesses from
 * there), `lag` reports the backlog, `dlq list` / `dlq replay` send dead letters back to their
 * source topic with their original bytes, and `tail` prints a topic decoded.
 */
import { vi } from "vitest";

vi.hoisted(() => {
  process.env.VERDICT_TOPIC_PREFIX = `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}.`;
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createIngestStage, memoryDedupe } from "../consumers/ingest/index.ts";
import type { StageRunner } from "../consumers/runtime/index.ts";
import { createProducer } from "../producers/sdk/index.ts";
import type { TransactionCreated } from "../schemas/generated/types.ts";
import { TOPIC_PREFIX, TOPICS } from "../topology/index.ts";
import { testConnections, testDeps } from "./support/app.ts";
import { spawnVerdict } from "./support/child.ts";
import {
  applyTestTopology,
  deleteTestTopology,
  readDecoded,
  runner,
  waitForCount,
} from "./support/pipeline.ts";

const deps = testDeps();
const GROUP = `${TOPIC_PREFIX}verdict.ingest`;
const live: StageRunner[] = [];
const now = Date.now();

const tx = (i: number, amount = 10 + i): TransactionCreated => ({
  eventId: `cli-tx-${i}`,
  transactionId: `tx-${i}`,
  customerId: `c-${i % 4}`,
  terminalId: `t-${i}`,
  amount,
  currency: "EUR",
  occurredAt: now - 60_000 + i,
});

/** Runs `verdict args...` to completion; resolves with exit code and output. */
async function verdict(...args: string[]): Promise<{ code: number | null; out: string }> {
  const child = spawnVerdict(args);
  const code = await new Promise<number | null>((resolve) => child.process.once("exit", resolve));
  return { code, out: child.output() };
}

/** The ingest stage as its own consumer group (a fresh in-memory dedupe each time, like a restart). */
async function startIngest(): Promise<StageRunner> {
  const r = runner(createIngestStage({ dedupe: memoryDedupe() }), deps);
  await r.start();
  live.push(r);
  return r;
}

async function stopIngest(r: StageRunner): Promise<void> {
  await r.stop();
  live.splice(live.indexOf(r), 1);
}

async function committed(): Promise<number> {
  const admin = deps.kafka.admin();
  await admin.connect();
  try {
    const [t] = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPICS.transactionCreated.name] });
    return t!.partitions.reduce((s, p) => s + Math.max(0, Number(p.offset)), 0);
  } finally {
    await admin.disconnect();
  }
}

beforeAll(async () => {
  await applyTestTopology(deps);
});

afterAll(async () => {
  for (const r of live) await r.stop();
  await deleteTestTopology(deps.kafka);
  await deps.close();
});

describe("operator CLI against the real stack", () => {
  it("replay-group: refuses a live group; rewinds a stopped one to a timestamp; lag shows the backlog", async () => {
    const producer = await createProducer({ connections: testConnections(), clientId: "cli-test" });
    await producer.publishMany(
      TOPICS.transactionCreated,
      Array.from({ length: 10 }, (_, i) => ({ event: tx(i) })),
    );
    await new Promise((r) => setTimeout(r, 1500));
    const cut = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 500));
    await producer.publishMany(
      TOPICS.transactionCreated,
      Array.from({ length: 10 }, (_, i) => ({ event: tx(10 + i) })),
    );

    const ingest = await startIngest();
    expect(await waitForCount(deps.kafka, TOPICS.transactionIngested.name, 20)).toBe(20);
    const refused = await verdict("replay-group", "ingest", "--to-timestamp", cut);
    expect(refused.code).toBe(1);
    expect(refused.out).toMatch(/has 1 member\(s\).*stop its consumers first/s);
    await stopIngest(ingest);
    for (let i = 0; i < 50 && (await committed()) < 20; i++) await new Promise((r) => setTimeout(r, 200));
    expect(await committed()).toBe(20);

    // While the group is stopped, new input piles up: lag shows it.
    await producer.publishMany(
      TOPICS.transactionCreated,
      Array.from({ length: 5 }, (_, i) => ({ event: tx(20 + i) })),
    );
    await producer.close();
    const lag = await verdict("lag", "--group", "ingest");
    expect(lag.code, lag.out).toBe(0);
    expect(lag.out).toContain(`${GROUP}: total lag 5`);

    const dry = await verdict("replay-group", "ingest", "--to-timestamp", cut, "--dry-run");
    expect(dry.code, dry.out).toBe(0);
    expect(dry.out).toMatch(/dry run/);
    expect(await committed()).toBe(20);

    const moved = await verdict("replay-group", GROUP, "--to-timestamp", cut);
    expect(moved.code, moved.out).toBe(0);
    expect(moved.out).toContain(TOPICS.transactionCreated.name);
    expect(await committed()).toBe(10); // back to the first record at or after the cut

    // Restarted, the stage reprocesses the second batch and the new records: 20 + 10 + 5.
    const again = await startIngest();
    expect(await waitForCount(deps.kafka, TOPICS.transactionIngested.name, 35)).toBe(35);
    await stopIngest(again);
    const ingested = await readDecoded(deps, TOPICS.transactionIngested);
    const seen = new Map<string, number>();
    for (const r of ingested) seen.set(r.value.eventId, (seen.get(r.value.eventId) ?? 0) + 1);
    expect(
      [...seen]
        .filter(([, n]) => n === 2)
        .map(([id]) => id)
        .sort(),
    ).toEqual(Array.from({ length: 10 }, (_, i) => `cli-tx-${10 + i}`).sort());

    const earliest = await verdict("replay-group", "ingest", "--to-earliest");
    expect(earliest.code, earliest.out).toBe(0);
    expect(await committed()).toBe(0);
  });

  it("dlq list / replay: dead letters go back to their source topic with their original bytes", async () => {
    const poisonTopic = TOPICS.transactionCreated;
    const id = await deps.codec.schemaId(poisonTopic);
    const poison = [tx(100, -1), tx(101, -2), tx(102, -3)].map((t) =>
      deps.codec.encodeWithId(poisonTopic, id, t),
    );
    const raw = deps.kafka.producer();
    await raw.connect();
    await raw.send({
      topic: poisonTopic.name,
      messages: poison.map((value, i) => ({
        key: `c-${i}`,
        value,
        headers: { "correlation-id": `dlq-${i}` },
      })),
    });
    await raw.disconnect();
    const before = await waitForCount(deps.kafka, poisonTopic.name, 0);
    const ingest = await startIngest();
    expect(await waitForCount(deps.kafka, TOPICS.ingestDlq.name, 3)).toBe(3);
    await stopIngest(ingest);

    const list = await verdict("dlq", "list", TOPICS.ingestDlq.name);
    expect(list.code, list.out).toBe(0);
    expect(list.out).toContain("3 letter(s)");
    expect(list.out).toMatch(/must not be negative/);

    const refused = await verdict("dlq", "replay", TOPICS.ingestDlq.name);
    expect(refused.code).toBe(1);
    expect(refused.out).toMatch(/--all/);

    const replay = await verdict("dlq", "replay", TOPICS.ingestDlq.name, "--all");
    expect(replay.code, replay.out).toBe(0);
    expect(replay.out).toMatch(/replayed 3 letter\(s\)/);
    expect(await waitForCount(deps.kafka, poisonTopic.name, before + 3)).toBe(before + 3);

    // tail: the replayed records, decoded, with their correlation ids.
    const tail = await verdict("tail", "payments.transaction.created.v1", "--no-follow", "--key", "c-1");
    expect(tail.code, tail.out).toBe(0);
    const records = tail.out
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map(
        (l) =>
          JSON.parse(l) as { key: string; value: { amount: number }; headers: { correlationId?: string } },
      );
    const replayed = records.filter((r) => r.headers.correlationId === "dlq-1");
    expect(replayed).toHaveLength(2); // the original and its replay
    expect(replayed.every((r) => r.key === "c-1" && r.value.amount === -2)).toBe(true);
  });
});
