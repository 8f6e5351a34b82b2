/**
 * The fraud feature set: the handbook's 15 baseline features (chapter 3, "Baseline feature
 * transformation"), by name, in the model's input order. Changing a definition means a new
 * FEATURE_SET version (and a new store key prefix), never an edit in place.
 */
import type { WindowQuery } from "../store/index.ts";

export const FEATURE_SET = "fraud-baseline@1";

/** The model's input order (the handbook's `input_features` list). */
export const FRAUD_FEATURE_NAMES = [
  "TX_AMOUNT",
  "TX_DURING_WEEKEND",
  "TX_DURING_NIGHT",
  "CUSTOMER_ID_NB_TX_1DAY_WINDOW",
  "CUSTOMER_ID_AVG_AMOUNT_1DAY_WINDOW",
  "CUSTOMER_ID_NB_TX_7DAY_WINDOW",
  "CUSTOMER_ID_AVG_AMOUNT_7DAY_WINDOW",
  "CUSTOMER_ID_NB_TX_30DAY_WINDOW",
  "CUSTOMER_ID_AVG_AMOUNT_30DAY_WINDOW",
  "TERMINAL_ID_NB_TX_1DAY_WINDOW",
  "TERMINAL_ID_RISK_1DAY_WINDOW",
  "TERMINAL_ID_NB_TX_7DAY_WINDOW",
  "TERMINAL_ID_RISK_7DAY_WINDOW",
  "TERMINAL_ID_NB_TX_30DAY_WINDOW",
  "TERMINAL_ID_RISK_30DAY_WINDOW",
] as const;

export type FraudFeatureName = (typeof FRAUD_FEATURE_NAMES)[number];

export type FraudFeatures = Record<FraudFeatureName, number>;

export const MS_PER_DAY = 86_400_000;
export const MS_PER_HOUR = 3_600_000;

/** Customer windows (t − n days, t], current transaction included. */
export const CUSTOMER_WINDOW_DAYS = [1, 7, 30] as const;
/** Terminal windows (t − DELAY − n days, t − DELAY], labels known at t only. */
export const TERMINAL_WINDOW_DAYS = [1, 7, 30] as const;
/** The handbook's delay period: terminal windows end 7 days before the transaction. */
export const TERMINAL_DELAY_DAYS = 7;
/** TX_DURING_NIGHT: the UTC hour of the event time is ≤ this. */
export const NIGHT_LAST_HOUR = 6;

/** What a transaction reads from the feature store. */
export const FRAUD_WINDOW_QUERY: Readonly<WindowQuery> = Object.freeze({
  customerWindowMs: Math.max(...CUSTOMER_WINDOW_DAYS) * MS_PER_DAY,
  terminalFromMs: (TERMINAL_DELAY_DAYS + Math.max(...TERMINAL_WINDOW_DAYS)) * MS_PER_DAY,
  terminalToMs: TERMINAL_DELAY_DAYS * MS_PER_DAY,
});
