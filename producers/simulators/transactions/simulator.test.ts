import { describe, expect, it } from "vitest";
import { VerdictError } from "../../../lib/errors/index.ts";
import { FRAUD_RULES } from "./frauds.ts";
import { STREAM } from "./ids.ts";
import { resolveTransactionOptions, TRANSACTION_DEFAULTS } from "./options.ts";
import { createRandom } from "./random.ts";
import { radixOrder, simulate } from "./simulator.ts";
import { SECONDS_PER_DAY } from "./units.ts";

const SMALL = { customers: 300, terminals: 600, days: 60, seed: 7 } as const;
const result = simulate(SMALL);
const tx = result.transactions;
const dayOf = (i: number): number => Math.floor((tx.timeSeconds[i] as number) / SECONDS_PER_DAY);

describe("options", () => {
  it("defaults are the handbook's scale", () => {
    expect(resolveTransactionOptions()).toEqual(TRANSACTION_DEFAULTS);
    expect(TRANSACTION_DEFAULTS).toMatchObject({
      customers: 5000,
      terminals: 10000,
      days: 183,
      startDate: "2018-04-01",
      radius: 5,
      seed: 42,
      fraud: true,
      labelDelayDays: 7,
    });
    expect(Object.isFrozen(resolveTransactionOptions({ days: 3 }))).toBe(true);
  });

  it("rejects bad options with VERDICT_ERR_CONFIG naming each path", () => {
    const attempt = () =>
      resolveTransactionOptions({ days: 0, startDate: "2018-02-30", seed: -1, extra: 1 } as never);
    expect(attempt).toThrow(VerdictError);
    try {
      attempt();
    } catch (err) {
      expect((err as VerdictError).code).toBe("VERDICT_ERR_CONFIG");
      for (const path of ["days", "startDate", "seed"])
        expect((err as Error).message).toContain(`- ${path}:`);
    }
    expect(() => resolveTransactionOptions({ terminals: 1 })).toThrow(/terminals ≥ 2/);
    expect(() => resolveTransactionOptions({ terminals: 1, fraud: false })).not.toThrow();
  });
});

describe("profiles", () => {
  it("customer and terminal profiles follow the handbook's distributions", () => {
    const c = result.customers;
    for (let i = 0; i < c.count; i++) {
      const mean = c.meanAmount[i] as number;
      if (!(mean >= 5 && mean < 100)) throw new Error(`mean_amount ${mean}`);
      if (c.stdAmount[i] !== mean / 2) throw new Error("std_amount must be mean_amount / 2");
      const rate = c.meanTxPerDay[i] as number;
      if (!(rate >= 0 && rate < 4)) throw new Error(`mean_nb_tx_per_day ${rate}`);
      for (const v of [c.x[i], c.y[i]] as number[])
        if (!(v >= 0 && v < 100)) throw new Error(`location ${v}`);
    }
    for (const v of [...result.terminals.x, ...result.terminals.y]) expect(v >= 0 && v < 100).toBe(true);
  });

  it("available terminals are exactly those at Euclidean distance < r, ascending", () => {
    const c = result.customers;
    const t = result.terminals;
    for (let i = 0; i < c.count; i++) {
      const expected: number[] = [];
      for (let k = 0; k < t.count; k++) {
        const d = Math.hypot(
          (c.x[i] as number) - (t.x[k] as number),
          (c.y[i] as number) - (t.y[k] as number),
        );
        if (d < 5) expected.push(k);
      }
      const got = [...c.availableTerminals.subarray(c.availableOffsets[i], c.availableOffsets[i + 1])];
      expect(got).toEqual(expected);
    }
  });

  it("a customer with no terminal in range makes no transactions", () => {
    const tiny = simulate({ customers: 50, terminals: 5, days: 20, radius: 0.5, fraud: false });
    const c = tiny.customers;
    const users = new Set(tiny.transactions.customer);
    for (let i = 0; i < c.count; i++) {
      const n = (c.availableOffsets[i + 1] as number) - (c.availableOffsets[i] as number);
      if (n === 0) expect(users.has(i)).toBe(false);
    }
  });
});

describe("transactions", () => {
  it("are in event-time order, numbered, with 0 < time of day < 86400", () => {
    expect(tx.count).toBeGreaterThan(10_000);
    let bad = 0;
    for (let i = 0; i < tx.count; i++) {
      const s = tx.timeSeconds[i] as number;
      const tod = s % SECONDS_PER_DAY;
      if (!(tod > 0 && tod < SECONDS_PER_DAY)) bad++;
      if (i > 0 && s < (tx.timeSeconds[i - 1] as number)) bad++;
      if (tx.occurredAt[i] !== result.startMs + s * 1000) bad++;
      if (dayOf(i) >= SMALL.days) bad++;
    }
    expect(bad).toBe(0);
    expect(result.startMs).toBe(Date.UTC(2018, 3, 1));
  });

  it("amounts are non-negative with at most 2 decimals; terminals within the customer's radius", () => {
    const c = result.customers;
    let bad = 0;
    for (let i = 0; i < tx.count; i++) {
      const a = tx.amount[i] as number;
      if (a < 0 || Math.abs(a * 100 - Math.round(a * 100)) > 1e-6) bad++;
      const cu = tx.customer[i] as number;
      const te = tx.terminal[i] as number;
      const d = Math.hypot(
        (c.x[cu] as number) - result.terminals.x[te]!,
        (c.y[cu] as number) - result.terminals.y[te]!,
      );
      if (!(d < 5)) bad++;
    }
    expect(bad).toBe(0);
  });

  it("per-customer daily counts average the profile's rate (Poisson, ~3% dropped by the time bounds)", () => {
    const genuine = simulate({ ...SMALL, fraud: false }).transactions;
    const perCustomer = new Float64Array(SMALL.customers);
    for (const c of genuine.customer) perCustomer[c]! += 1;
    let expected = 0;
    let got = 0;
    for (let c = 0; c < SMALL.customers; c++) {
      if (result.customers.availableOffsets[c + 1] === result.customers.availableOffsets[c]) continue;
      expected += (result.customers.meanTxPerDay[c] as number) * SMALL.days * 0.9693;
      got += perCustomer[c] as number;
    }
    expect(Math.abs(got - expected) / expected).toBeLessThan(0.02);
  });

  it("the radix order is stable and ascending", () => {
    const keys = Int32Array.from([5, 70000, 3, 5, 0, 70000, 65536, 3]);
    expect([...radixOrder(keys, keys.length)]).toEqual([4, 2, 7, 0, 3, 6, 1, 5]);
  });
});

describe("fraud scenarios (checked against the definitions, recomputed independently)", () => {
  const base = simulate({ ...SMALL, fraud: false }).transactions;
  const drawDays = dayOf(tx.count - 1);

  it("fraud off: identical transactions, all genuine", () => {
    expect(base.count).toBe(tx.count);
    expect(base.isFraud.every((v) => v === 0)).toBe(true);
    expect(base.customer).toEqual(tx.customer);
    expect(base.timeSeconds).toEqual(tx.timeSeconds);
  });

  it("only scenario 3 changes amounts, by × 5 (× 25 when two windows picked it)", () => {
    let bad = 0;
    for (let i = 0; i < tx.count; i++) {
      const before = base.amount[i] as number;
      const after = tx.amount[i] as number;
      if (tx.scenario[i] === 3) {
        if (Math.abs(after - before * 5) > 0.006 && Math.abs(after - before * 25) > 0.006) bad++;
      } else if (after !== before) bad++;
      if ((tx.isFraud[i] === 1) !== (tx.scenario[i] !== 0)) bad++;
    }
    expect(bad).toBe(0);
  });

  it("scenario 1: every original amount > 220 is fraud; scenario 1 means amount > 220", () => {
    let bad = 0;
    let s1 = 0;
    for (let i = 0; i < tx.count; i++) {
      if ((base.amount[i] as number) > 220 && tx.isFraud[i] !== 1) bad++;
      if (tx.scenario[i] === 1) {
        s1++;
        if (!((tx.amount[i] as number) > 220)) bad++;
      }
    }
    expect(bad).toBe(0);
    expect(s1).toBeGreaterThan(0);
  });

  it("scenario 2: transactions on a terminal drawn on day d with day in [d, d+28) are fraud, and only those are scenario 2", () => {
    const compromised = new Set<string>();
    for (let d = 0; d < drawDays; d++) {
      const terminals = createRandom(SMALL.seed, STREAM.compromisedTerminals, d).sampleIndices(
        SMALL.terminals,
        2,
      );
      expect(terminals).toHaveLength(FRAUD_RULES.terminalsPerDay);
      for (const t of terminals) for (let k = d; k < d + 28; k++) compromised.add(`${t}:${k}`);
    }
    let inWindow = 0;
    let bad = 0;
    for (let i = 0; i < tx.count; i++) {
      const hit = compromised.has(`${tx.terminal[i]}:${dayOf(i)}`);
      if (hit) {
        inWindow++;
        if (tx.scenario[i] !== 2 && tx.scenario[i] !== 3) bad++;
      } else if (tx.scenario[i] === 2) bad++;
    }
    expect(bad).toBe(0);
    expect(inWindow).toBeGreaterThan(0);
  });

  it("scenario 3: frauds are in a drawn customer's [d, d+14) window, about a third of those windows", () => {
    const windows: Array<{ customers: number[]; d: number }> = [];
    for (let d = 0; d < drawDays; d++) {
      windows.push({
        customers: createRandom(SMALL.seed, STREAM.compromisedCustomers, d).sampleIndices(SMALL.customers, 3),
        d,
      });
    }
    let bad = 0;
    let s3 = 0;
    let picks = 0;
    for (const w of windows) {
      let n = 0;
      for (let i = 0; i < tx.count; i++) {
        if (w.customers.includes(tx.customer[i] as number) && dayOf(i) >= w.d && dayOf(i) < w.d + 14) n++;
      }
      picks += Math.floor(n / 3);
    }
    for (let i = 0; i < tx.count; i++) {
      if (tx.scenario[i] !== 3) continue;
      s3++;
      const ok = windows.some(
        (w) => w.customers.includes(tx.customer[i] as number) && dayOf(i) >= w.d && dayOf(i) < w.d + 14,
      );
      if (!ok) bad++;
    }
    expect(bad).toBe(0);
    // Each window picks floor(n/3); a transaction picked by two overlapping windows counts once.
    expect(s3).toBeLessThanOrEqual(picks);
    expect(s3).toBeGreaterThan(picks * 0.9);
  });

  it("the last day draws nothing (the handbook loops range(max day))", () => {
    // Few terminals, so the terminals the last day's stream would pick surely have last-day traffic.
    const days = 5;
    const dense = simulate({ customers: 300, terminals: 20, days, seed: 2, radius: 150 });
    const earlier = new Set<number>();
    for (let d = 0; d < days - 1; d++) {
      for (const t of createRandom(2, STREAM.compromisedTerminals, d).sampleIndices(20, 2)) earlier.add(t);
    }
    const lastDayPick = createRandom(2, STREAM.compromisedTerminals, days - 1)
      .sampleIndices(20, 2)
      .filter((t) => !earlier.has(t));
    const d = dense.transactions;
    let checked = 0;
    for (let i = 0; i < d.count; i++) {
      const onLastDay = Math.floor((d.timeSeconds[i] as number) / SECONDS_PER_DAY) === days - 1;
      if (onLastDay && lastDayPick.includes(d.terminal[i] as number)) {
        checked++;
        expect(d.scenario[i]).not.toBe(2);
      }
    }
    expect(lastDayPick.length).toBeGreaterThan(0);
    expect(checked).toBeGreaterThan(0);
  });
});
