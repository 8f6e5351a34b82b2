import { describe, expect, it } from "vitest";
import type { TerminalWindow } from "../store/index.ts";
import { computeFraudFeatures, utcHour, utcWeekday } from "./compute.ts";
import { FRAUD_FEATURE_NAMES, MS_PER_DAY } from "./definitions.ts";

const DAY = MS_PER_DAY;
// 2018-04-04 is a Wednesday.
const WED_NOON = Date.UTC(2018, 3, 4, 12);

function customer(entries: Array<[number, number]>) {
  return { occurredAt: entries.map(([t]) => t), amount: entries.map(([, a]) => a) };
}

function terminal(
  labels: Array<{ ts: number; known: number; fraud: boolean; id?: string; eventId?: string }>,
): TerminalWindow {
  return {
    transactionOccurredAt: labels.map((l) => l.ts),
    knownAt: labels.map((l) => l.known),
    isFraud: labels.map((l) => l.fraud),
    transactionId: labels.map((l, i) => l.id ?? `tx${i}`),
    eventId: labels.map((l, i) => l.eventId ?? `ev${i}`),
  };
}

const NONE = terminal([]);

describe("fraud feature definitions", () => {
  it("exports the 15 names in the handbook's input order", () => {
    expect(FRAUD_FEATURE_NAMES).toHaveLength(15);
    expect(FRAUD_FEATURE_NAMES.slice(0, 3)).toEqual(["TX_AMOUNT", "TX_DURING_WEEKEND", "TX_DURING_NIGHT"]);
    expect(FRAUD_FEATURE_NAMES[14]).toBe("TERMINAL_ID_RISK_30DAY_WINDOW");
  });
});

describe("time features (UTC event time)", () => {
  it("weekend is Saturday and Sunday", () => {
    expect(utcWeekday(Date.UTC(1970, 0, 1))).toBe(4);
    const sat = Date.UTC(2018, 3, 7, 23, 59, 59, 999);
    const sun = Date.UTC(2018, 3, 8, 0, 0);
    const mon = Date.UTC(2018, 3, 9, 0, 0);
    const fri = Date.UTC(2018, 3, 6, 23, 59, 59, 999);
    const f = (t: number) =>
      computeFraudFeatures({ occurredAt: t, amount: 1 }, { customer: customer([[t, 1]]), terminal: NONE });
    expect(f(sat).TX_DURING_WEEKEND).toBe(1);
    expect(f(sun).TX_DURING_WEEKEND).toBe(1);
    expect(f(mon).TX_DURING_WEEKEND).toBe(0);
    expect(f(fri).TX_DURING_WEEKEND).toBe(0);
  });

  it("night is hour ≤ 6: 06:59:59 is night, 07:00 is not, midnight is", () => {
    const at = (h: number, m = 0, s = 0) => Date.UTC(2018, 3, 4, h, m, s);
    const night = (t: number) =>
      computeFraudFeatures({ occurredAt: t, amount: 1 }, { customer: customer([[t, 1]]), terminal: NONE })
        .TX_DURING_NIGHT;
    expect(night(at(0))).toBe(1);
    expect(night(at(6, 59, 59))).toBe(1);
    expect(night(at(7))).toBe(0);
    expect(night(at(23, 59, 59))).toBe(0);
    expect(utcHour(at(6, 59, 59))).toBe(6);
  });
});

describe("customer windows (t − n days, t], current transaction included", () => {
  it("counts and averages on exact boundaries", () => {
    const t = WED_NOON;
    const state = {
      customer: customer([
        [t - 30 * DAY, 1000], // exactly 30 days back: outside every window
        [t - 30 * DAY + 1, 30], // inside 30d only
        [t - 7 * DAY, 70], // exactly 7 days back: outside 7d, inside 30d
        [t - 7 * DAY + 1, 7], // inside 7d
        [t - DAY, 100], // exactly 1 day back: outside 1d
        [t - DAY + 1, 11], // inside 1d
        [t, 20], // the current transaction
      ]),
      terminal: NONE,
    };
    const f = computeFraudFeatures({ occurredAt: t, amount: 20 }, state);
    expect(f.TX_AMOUNT).toBe(20);
    expect(f.CUSTOMER_ID_NB_TX_1DAY_WINDOW).toBe(2);
    expect(f.CUSTOMER_ID_AVG_AMOUNT_1DAY_WINDOW).toBe((11 + 20) / 2);
    expect(f.CUSTOMER_ID_NB_TX_7DAY_WINDOW).toBe(4);
    expect(f.CUSTOMER_ID_AVG_AMOUNT_7DAY_WINDOW).toBe((7 + 100 + 11 + 20) / 4);
    expect(f.CUSTOMER_ID_NB_TX_30DAY_WINDOW).toBe(6);
    expect(f.CUSTOMER_ID_AVG_AMOUNT_30DAY_WINDOW).toBe((30 + 70 + 7 + 100 + 11 + 20) / 6);
  });

  it("ignores entries later than t (a replayed transaction)", () => {
    const t = WED_NOON;
    const f = computeFraudFeatures(
      { occurredAt: t, amount: 5 },
      {
        customer: customer([
          [t, 5],
          [t + 1, 99],
        ]),
        terminal: NONE,
      },
    );
    expect(f.CUSTOMER_ID_NB_TX_1DAY_WINDOW).toBe(1);
  });
});

describe("terminal windows (t − 7 − n days, t − 7 days], labels known at t", () => {
  const t = WED_NOON;
  const end = t - 7 * DAY;

  it("applies exact delayed boundaries", () => {
    const f = computeFraudFeatures(
      { occurredAt: t, amount: 1 },
      {
        customer: customer([[t, 1]]),
        terminal: terminal([
          { ts: end - 30 * DAY, known: t - 30 * DAY, fraud: true }, // outside (exclusive lower bound)
          { ts: end - 30 * DAY + 1, known: end, fraud: true }, // 30d
          { ts: end - 7 * DAY, known: end, fraud: false }, // 30d only (exactly 7 days before the end)
          { ts: end - DAY + 1, known: end, fraud: true }, // 1d, 7d, 30d
          { ts: end, known: t, fraud: false }, // upper bound included, known exactly at t
        ]),
      },
    );
    expect(f.TERMINAL_ID_NB_TX_1DAY_WINDOW).toBe(2);
    expect(f.TERMINAL_ID_RISK_1DAY_WINDOW).toBe(0.5);
    expect(f.TERMINAL_ID_NB_TX_7DAY_WINDOW).toBe(2);
    expect(f.TERMINAL_ID_RISK_7DAY_WINDOW).toBe(0.5);
    expect(f.TERMINAL_ID_NB_TX_30DAY_WINDOW).toBe(4);
    expect(f.TERMINAL_ID_RISK_30DAY_WINDOW).toBe(2 / 4);
  });

  it("uses only labels known at t", () => {
    const f = computeFraudFeatures(
      { occurredAt: t, amount: 1 },
      {
        customer: customer([[t, 1]]),
        terminal: terminal([
          { ts: end - DAY / 2, known: t + 1, fraud: true }, // known 1 ms after t: invisible
          { ts: end - DAY / 3, known: t, fraud: true },
        ]),
      },
    );
    expect(f.TERMINAL_ID_NB_TX_1DAY_WINDOW).toBe(1);
    expect(f.TERMINAL_ID_RISK_1DAY_WINDOW).toBe(1);
  });

  it("counts a transaction once, with its latest label known at t", () => {
    const ts = end - DAY / 2;
    const labels = terminal([
      { ts, known: end, fraud: false, id: "x", eventId: "e1" }, // outcome known: genuine
      { ts, known: t - 1, fraud: true, id: "x", eventId: "e2" }, // chargeback later
      { ts, known: t + 5, fraud: false, id: "x", eventId: "e3" }, // reversal, not yet known
      { ts, known: end, fraud: false, id: "y", eventId: "e4" },
    ]);
    const f = computeFraudFeatures(
      { occurredAt: t, amount: 1 },
      { customer: customer([[t, 1]]), terminal: labels },
    );
    expect(f.TERMINAL_ID_NB_TX_1DAY_WINDOW).toBe(2);
    expect(f.TERMINAL_ID_RISK_1DAY_WINDOW).toBe(0.5);
  });

  it("risk is 0 for an empty window", () => {
    const f = computeFraudFeatures(
      { occurredAt: t, amount: 1 },
      { customer: customer([[t, 1]]), terminal: NONE },
    );
    expect(f.TERMINAL_ID_NB_TX_30DAY_WINDOW).toBe(0);
    expect(f.TERMINAL_ID_RISK_30DAY_WINDOW).toBe(0);
  });
});
