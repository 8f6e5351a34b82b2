/**
 * CLI of the card-transaction simulator: writes the event stream (or its summary) to a file or stdout.
 *
 *   tsx producers/simulators/transactions/cli.ts --days 30 --format csv --out tx.csv
 *   tsx producers/simulators/transactions/cli.ts --stats
 *   tsx producers/simulators/transactions/cli.ts --with-labels | head
 *
 * jsonl: one SimulatedEvent per line ({kind, event, truth?}; `event` is the Avro record as published).
 * csv: one flat row per event, `kind` first; label-only / transaction-only columns are empty on the
 * other kind; booleans are 0/1.
 */
import { Command, Option } from "commander";
import { intFlag as int, isEntryPoint, numberFlag as num, runMain } from "../common/cli.ts";
import { createLineWriter, csvLine } from "../common/output.ts";
import { transactionEvents } from "./events.ts";
import { TRANSACTION_DEFAULTS } from "./options.ts";
import { simulate } from "./simulator.ts";
import { summarizeTransactions } from "./stats.ts";
import type { SimulatedEvent } from "./types.ts";

export const CSV_HEADER = [
  "kind",
  "eventId",
  "transactionId",
  "occurredAt",
  "customerId",
  "terminalId",
  "amount",
  "currency",
  "isFraud",
  "fraudScenario",
  "labelSource",
  "transactionOccurredAt",
] as const;

export function csvRow(item: SimulatedEvent): string {
  if (item.kind === "transaction") {
    const e = item.event;
    return csvLine([
      "transaction",
      e.eventId,
      e.transactionId,
      e.occurredAt,
      e.customerId,
      e.terminalId,
      e.amount,
      e.currency,
      item.truth.isFraud ? 1 : 0,
      item.truth.scenario,
      "",
      "",
    ]);
  }
  const e = item.event;
  return csvLine([
    "label",
    e.eventId,
    e.transactionId,
    e.occurredAt,
    e.customerId,
    e.terminalId,
    "",
    "",
    e.isFraud ? 1 : 0,
    "",
    e.source,
    e.transactionOccurredAt,
  ]);
}

export function buildCommand(): Command {
  const D = TRANSACTION_DEFAULTS;
  return new Command("transactions")
    .description("Simulate card transactions and fraud (handbook ch. 3) as TransactionCreated events")
    .option("--days <n>", "simulated days", int, D.days)
    .option("--customers <n>", "customers (cards)", int, D.customers)
    .option("--terminals <n>", "terminals", int, D.terminals)
    .option("--seed <n>", "PRNG seed (uint32)", int, D.seed)
    .option("--start-date <YYYY-MM-DD>", "first day, midnight UTC", D.startDate)
    .option("--radius <r>", "terminal radius on the 100×100 grid", num, D.radius)
    .option("--label-delay-days <d>", "label events at transaction time + d days", num, D.labelDelayDays)
    .option("--no-fraud", "disable the three fraud scenarios")
    .addOption(new Option("--format <format>", "output format").choices(["jsonl", "csv"]).default("jsonl"))
    .option("--out <file>", "write to a file instead of stdout")
    .option("--stats", "print the summary statistics (JSON) instead of the events")
    .option("--with-labels", "interleave one FraudLabelReported per transaction at +label delay");
}

export async function runTransactionsCli(argv: readonly string[]): Promise<void> {
  const command = buildCommand();
  command.parse(argv as string[], { from: "user" });
  const o = command.opts();
  const started = performance.now();
  const result = simulate({
    days: o.days,
    customers: o.customers,
    terminals: o.terminals,
    seed: o.seed,
    startDate: o.startDate,
    radius: o.radius,
    labelDelayDays: o.labelDelayDays,
    fraud: o.fraud,
  });
  const simulatedMs = performance.now() - started;
  const out = createLineWriter(o.out);
  if (o.stats) {
    const stats = summarizeTransactions(result);
    await out.line(JSON.stringify({ ...stats, simulatedMs: Math.round(simulatedMs) }, null, 2));
  } else {
    if (o.format === "csv") await out.line(CSV_HEADER.join(","));
    for (const item of transactionEvents(result, { withLabels: Boolean(o.withLabels) })) {
      if (out.closed) break;
      await out.line(o.format === "csv" ? csvRow(item) : JSON.stringify(item));
    }
  }
  await out.close();
}

if (isEntryPoint(import.meta.url)) runMain(runTransactionsCli);
