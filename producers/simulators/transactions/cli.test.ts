import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CSV_HEADER, runTransactionsCli } from "./cli.ts";

const dir = mkdtempSync(join(tmpdir(), "verdict-tx-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SMALL = ["--days", "10", "--customers", "40", "--terminals", "80", "--seed", "5"];

describe("transactions CLI", () => {
  it("jsonl: transactions only by default, labels with --with-labels", async () => {
    const plain = join(dir, "plain.jsonl");
    const labelled = join(dir, "labelled.jsonl");
    await runTransactionsCli([...SMALL, "--out", plain]);
    await runTransactionsCli([...SMALL, "--with-labels", "--out", labelled]);
    const lines = readFileSync(plain, "utf8")
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    const all = readFileSync(labelled, "utf8")
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThan(100);
    expect(lines.every((l) => l.kind === "transaction" && typeof l.truth.isFraud === "boolean")).toBe(true);
    expect(all).toHaveLength(lines.length * 2);
    expect(all.filter((l) => l.kind === "transaction")).toEqual(lines);
  });

  it("csv: header, one row per event, start date honoured", async () => {
    const out = join(dir, "tx.csv");
    await runTransactionsCli([
      ...SMALL,
      "--format",
      "csv",
      "--with-labels",
      "--start-date",
      "2020-01-01",
      "--out",
      out,
    ]);
    const [header, ...rows] = readFileSync(out, "utf8").trimEnd().split("\n");
    expect(header).toBe(CSV_HEADER.join(","));
    const first = rows[0]?.split(",") ?? [];
    expect(first[0]).toBe("transaction");
    expect(Number(first[3])).toBeGreaterThanOrEqual(Date.UTC(2020, 0, 1));
    expect(rows.some((r) => r.startsWith("label,"))).toBe(true);
    expect(rows.every((r) => r.split(",").length === CSV_HEADER.length)).toBe(true);
  });

  it("--stats prints the summary", async () => {
    const out = join(dir, "stats.json");
    await runTransactionsCli([...SMALL, "--stats", "--out", out]);
    const stats = JSON.parse(readFileSync(out, "utf8"));
    expect(stats).toMatchObject({ customers: 40, terminals: 80, days: 10 });
    expect(stats.transactions).toBeGreaterThan(0);
  });
});
