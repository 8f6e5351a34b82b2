import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { schemaCatalog } from "../../../schemas/catalog/index.ts";
import { streamTransactionEvents, transactionEvents } from "./events.ts";
import { simulate } from "./simulator.ts";
import type { SimulatedEvent, TransactionSimulatorOptions } from "./types.ts";
import { MS_PER_DAY } from "./units.ts";

const SMALL = { customers: 200, terminals: 400, days: 40, seed: 11 } as const;
const result = simulate(SMALL);
const events = [...transactionEvents(result)];

function timeOf(e: SimulatedEvent): number {
  return e.event.occurredAt;
}

function hashStream(options: Partial<TransactionSimulatorOptions>): string {
  const hash = createHash("sha256");
  for (const e of transactionEvents(simulate(options))) hash.update(JSON.stringify(e));
  return hash.digest("hex");
}

describe("merged event stream", () => {
  it("one transaction event and one label per transaction, transactions numbered in order", () => {
    const txs = events.filter((e) => e.kind === "transaction");
    const labels = events.filter((e) => e.kind === "label");
    expect(txs).toHaveLength(result.transactions.count);
    expect(labels).toHaveLength(result.transactions.count);
    expect(txs.map((e) => e.event.transactionId)).toEqual(txs.map((_, i) => String(i)));
    expect(labels.map((e) => e.event.transactionId)).toEqual(labels.map((_, i) => String(i)));
  });

  it("is in event-time order; on ties labels come first; a label never precedes its transaction", () => {
    const seen = new Set<string>();
    let bad = 0;
    for (let k = 0; k < events.length; k++) {
      const e = events[k] as SimulatedEvent;
      if (k > 0) {
        const prev = events[k - 1] as SimulatedEvent;
        if (timeOf(prev) > timeOf(e)) bad++;
        if (timeOf(prev) === timeOf(e) && prev.kind === "transaction" && e.kind === "label") bad++;
      }
      if (e.kind === "transaction") seen.add(e.event.transactionId);
      else if (!seen.has(e.event.transactionId)) bad++;
    }
    expect(bad).toBe(0);
  });

  it("labels: +7 days, CHARGEBACK for frauds, OUTCOME_KNOWN otherwise, matching the truth", () => {
    const truth = new Map<string, { at: number; fraud: boolean; customerId: string; terminalId: string }>();
    for (const e of events) {
      if (e.kind === "transaction") {
        truth.set(e.event.transactionId, {
          at: e.event.occurredAt,
          fraud: e.truth.isFraud,
          customerId: e.event.customerId,
          terminalId: e.event.terminalId,
        });
      }
    }
    let frauds = 0;
    let bad = 0;
    for (const e of events) {
      if (e.kind !== "label") continue;
      const t = truth.get(e.event.transactionId);
      if (!t) throw new Error("label without transaction");
      if (e.event.transactionOccurredAt !== t.at || e.event.occurredAt !== t.at + 7 * MS_PER_DAY) bad++;
      if (e.event.isFraud !== t.fraud) bad++;
      if (e.event.source !== (t.fraud ? "CHARGEBACK" : "OUTCOME_KNOWN")) bad++;
      if (e.event.customerId !== t.customerId || e.event.terminalId !== t.terminalId) bad++;
      if (e.event.isFraud) frauds++;
    }
    expect(bad).toBe(0);
    expect(frauds).toBeGreaterThan(0);
  });

  it("the label delay is an option; withLabels: false gives transactions only", () => {
    const noDelay = simulate({ ...SMALL, days: 5, labelDelayDays: 0 });
    const merged = [...transactionEvents(noDelay)];
    for (let k = 0; k < merged.length; k++) {
      const e = merged[k] as SimulatedEvent;
      if (e.kind === "label") expect(e.event.occurredAt).toBe(e.event.transactionOccurredAt);
    }
    const only = [...transactionEvents(noDelay, { withLabels: false })];
    expect(only.every((e) => e.kind === "transaction")).toBe(true);
    expect(only).toHaveLength(noDelay.transactions.count);
  });

  it("events match their Avro schemas; the truth is not inside the event", () => {
    const txType = schemaCatalog().type("TransactionCreated");
    const labelType = schemaCatalog().type("FraudLabelReported");
    let bad = 0;
    for (const e of events) {
      const valid = e.kind === "transaction" ? txType.isValid(e.event) : labelType.isValid(e.event);
      if (!valid) bad++;
    }
    expect(bad).toBe(0);
    const first = events.find((e) => e.kind === "transaction");
    expect(Object.keys(first?.event ?? {}).sort()).toEqual(
      ["amount", "currency", "customerId", "eventId", "occurredAt", "terminalId", "transactionId"].sort(),
    );
  });

  it("event ids are UUID-shaped and unique across transactions and labels", () => {
    const ids = new Set(events.map((e) => e.event.eventId));
    expect(ids.size).toBe(events.length);
    for (const id of [...ids].slice(0, 100))
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it("the async stream yields the same sequence and stops on abort", async () => {
    const collected: SimulatedEvent[] = [];
    for await (const e of streamTransactionEvents(result, { yieldEvery: 1000 })) collected.push(e);
    expect(collected).toEqual(events);

    const controller = new AbortController();
    let n = 0;
    for await (const _ of streamTransactionEvents(SMALL, { signal: controller.signal })) {
      if (++n === 10) controller.abort();
    }
    expect(n).toBe(10);
  });
});

describe("determinism", () => {
  it("same seed → identical output (hash of two runs); different seed → different output", () => {
    const options = { customers: 150, terminals: 300, days: 30, seed: 99 };
    const a = hashStream(options);
    expect(hashStream(options)).toBe(a);
    expect(hashStream({ ...options, seed: 100 })).not.toBe(a);
  });
});
