/**
 * Options of the card-transaction simulator: schema, defaults (the handbook's scale), validation.
 * Documented field by field in types.ts (TransactionSimulatorOptions).
 */
import { z } from "zod";
import { parseOptions, utcMidnight } from "../common/validate.ts";
import type { TransactionSimulatorOptions } from "./types.ts";

export const TRANSACTION_DEFAULTS: Readonly<TransactionSimulatorOptions> = Object.freeze({
  customers: 5000,
  terminals: 10000,
  days: 183,
  startDate: "2018-04-01",
  radius: 5,
  seed: 42,
  fraud: true,
  labelDelayDays: 7,
  currency: "EUR",
});

const D = TRANSACTION_DEFAULTS;

export const transactionOptionsSchema = z
  .object({
    customers: z.number().int().min(1).max(1_000_000).default(D.customers),
    terminals: z.number().int().min(1).max(10_000_000).default(D.terminals),
    // 3,650 days keeps seconds-since-start far inside Int32 and the radix sort's 32-bit keys.
    days: z.number().int().min(1).max(3650).default(D.days),
    startDate: z
      .string()
      .refine((s) => !Number.isNaN(utcMidnight(s)), "expected a calendar date YYYY-MM-DD")
      .default(D.startDate),
    radius: z.number().positive().max(150).default(D.radius),
    seed: z.number().int().min(0).max(0xffffffff).default(D.seed),
    fraud: z.boolean().default(D.fraud),
    labelDelayDays: z.number().min(0).max(365).default(D.labelDelayDays),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, "expected an ISO 4217 code such as EUR")
      .default(D.currency),
  })
  .strict()
  .refine((o) => !o.fraud || (o.terminals >= 2 && o.customers >= 3), {
    message: "fraud scenarios compromise 2 terminals and 3 customers a day: use terminals ≥ 2, customers ≥ 3",
    path: ["fraud"],
  });

export type TransactionSimulatorInput = z.input<typeof transactionOptionsSchema>;

// Compile-time check that the schema's output is exactly the documented interface.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _schemaMatchesInterface: Same<
  z.output<typeof transactionOptionsSchema>,
  TransactionSimulatorOptions
> = true;
void _schemaMatchesInterface;

/** Validates and freezes; throws VerdictError(VERDICT_ERR_CONFIG) naming each bad option. */
export function resolveTransactionOptions(
  input: TransactionSimulatorInput = {},
): Readonly<TransactionSimulatorOptions> {
  return parseOptions(transactionOptionsSchema, input, "transaction simulator");
}
