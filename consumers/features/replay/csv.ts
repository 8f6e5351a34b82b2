/**
 * The training table as CSV (RFC 4180): one row per transaction, features in FRAUD_FEATURE_NAMES
 * order. Numbers are JavaScript's shortest round-trip decimal form, so a reader parsing them as
 * float64 gets the exact values the stream computed.
 */
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { FRAUD_FEATURE_NAMES } from "../fraud/index.ts";
import type { FraudFeatureRow } from "./replay.ts";

export const FRAUD_CSV_COLUMNS = [
  "transactionId",
  "occurredAt",
  "customerId",
  "terminalId",
  ...FRAUD_FEATURE_NAMES,
  "TX_FRAUD",
  "TX_FRAUD_SCENARIO",
] as const;

export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

export function fraudCsvLine(row: FraudFeatureRow): string {
  let line = `${csvField(row.transactionId)},${new Date(row.occurredAt).toISOString()},${csvField(row.customerId)},${csvField(row.terminalId)}`;
  for (const value of row.features) line += `,${value}`;
  return `${line},${row.isFraud ? 1 : 0},${row.scenario}\n`;
}

/** Writes rows to `path` (parent folders created), with backpressure; resolves with the row count. */
export async function writeCsv<R>(
  path: string,
  header: readonly string[],
  rows: AsyncIterable<R> | Iterable<R>,
  toLine: (row: R) => string,
): Promise<number> {
  await mkdir(dirname(path), { recursive: true });
  const out = createWriteStream(path, { encoding: "utf8" });
  const failed = new Promise<never>((_, reject) => out.once("error", reject));
  failed.catch(() => {});
  let buffer = `${header.map(csvField).join(",")}\n`;
  let count = 0;
  const flush = async (): Promise<void> => {
    const ok = out.write(buffer);
    buffer = "";
    if (!ok) await Promise.race([once(out, "drain"), failed]);
  };
  for await (const row of rows) {
    buffer += toLine(row);
    count++;
    if (buffer.length >= 1 << 20) await flush();
  }
  await flush();
  out.end();
  await Promise.race([once(out, "finish"), failed]);
  return count;
}
