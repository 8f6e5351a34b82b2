import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { buildProgram } from "../program.ts";
import { offlineCli } from "../testing/offline.ts";

const { ctx } = offlineCli("help");

function all(cmd: Command, path: string[] = []): [string, Command][] {
  return cmd.commands.flatMap((c) => [
    [[...path, c.name()].join(" "), c] as [string, Command],
    ...all(c, [...path, c.name()]),
  ]);
}

describe("verdict --help", () => {
  const program = buildProgram(ctx);
  const commands = all(program);

  it("lists the operator commands", () => {
    const names = commands.map(([n]) => n);
    for (const expected of [
      "stack up",
      "stack down",
      "stack status",
      "topics apply",
      "topics describe",
      "simulate",
      "tail",
      "dlq list",
      "dlq inspect",
      "dlq replay",
      "replay-group",
      "models list",
      "models check",
      "models activate",
      "models shadow",
      "models canary",
      "lag",
      "drift alerts",
      "config check",
      "run",
      "stage",
    ]) {
      expect(names).toContain(expected);
    }
  });

  it.each(commands.map(([n, c]) => [n, c] as const))("%s has a description and help", (_name, cmd) => {
    expect(cmd.description().length).toBeGreaterThan(10);
    const help = cmd.helpInformation();
    expect(help).toContain("-h, --help");
    for (const option of cmd.options) expect(option.description.length, option.flags).toBeGreaterThan(3);
  });
});

describe("verdict run and verdict stage --config", () => {
  it.each([["run"], ["stage", "scoring"]])(
    "%s reads the file and stops on a mistake before connecting",
    async (...command) => {
      const dir = mkdtempSync(join(tmpdir(), "verdict-cli-config-"));
      const bad = join(dir, "bad.yaml");
      writeFileSync(bad, "scoring: { fraud: { thresholds: { review: 0.9, decline: 0.2 } } }");
      const program = buildProgram(ctx).exitOverride();
      await expect(program.parseAsync([...command, "--config", bad], { from: "user" })).rejects.toThrow(
        /bad\.yaml: Invalid scoring policy:.*review must be ≤ decline/s,
      );
    },
  );
});

describe("verdict stage", () => {
  it("refuses --audit-topics without --fused before connecting anywhere", async () => {
    const program = buildProgram(ctx).exitOverride();
    await expect(
      program.parseAsync(["stage", "ingest", "features", "--audit-topics"], { from: "user" }),
    ).rejects.toThrow(/--audit-topics needs --fused/);
  });
});
