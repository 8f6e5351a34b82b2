import type { Kafka } from "kafkajs";
import { describe, expect, it } from "vitest";
import { LATEST, PipelineMonitor } from "../app/monitor.ts";
import type { AvroCodec } from "../schemas/codec/index.ts";
import type { FraudVerdict, ModerationVerdict } from "../schemas/generated/types.ts";
import { configState, renderPanel, summaryLine } from "./display.ts";

type Decision = FraudVerdict["decision"] | ModerationVerdict["decision"];
const verdict = (decision: Decision, reasons: string[], score: number | null = 0.01) => ({
  decision,
  score,
  reasons,
  model: { name: "fraud-gbt", version: "1.0.0", provider: score === null ? "rules" : "cpu" },
});

describe("the embedded default's live numbers", () => {
  it("keep the latest verdicts and, apart, the latest flagged ones with their reasons", () => {
    const monitor = new PipelineMonitor({} as Kafka, {} as AvroCodec);
    const now = Date.now();
    monitor.observe(
      "fraud",
      "c1",
      verdict("DECLINE", ["rule:amount_above_hard_cap:DECLINE:12000>10000"], null),
      12,
      now,
    );
    monitor.observe(
      "moderation",
      "a7",
      verdict("REVIEW", ["score:0.61>=review:0.5<block:0.9", "feature:x:+3sd", "third"], 0.61),
      8,
      now,
    );
    for (let i = 0; i < 20; i++)
      monitor.observe("fraud", `c${i + 10}`, verdict("APPROVE", ["score:0.01<review:0.04"]), 5, now);

    const s = monitor.snapshot();
    expect(s.verdicts).toBe(22);
    expect(s.decisions).toEqual({ "fraud.DECLINE": 1, "moderation.REVIEW": 1, "fraud.APPROVE": 20 });
    expect(s.providers).toEqual({ rules: 1, cpu: 21 });
    expect(s.recent).toHaveLength(LATEST);
    expect(s.recent.every((v) => v.decision === "APPROVE")).toBe(true);
    expect(s.flagged.map((v) => [v.key, v.decision])).toEqual([
      ["a7", "REVIEW"],
      ["c1", "DECLINE"],
    ]);

    const panel = renderPanel(s, 22, 3, "cpu (21), rules (1)");
    const flagged = panel.slice(panel.indexOf("latest flagged"));
    expect(flagged).toMatch(
      /moderation a7 +REVIEW +0\.610 +fraud-gbt@1\.0\.0 +score:0\.61>=review:0\.5<block:0\.9; feature:x:\+3sd; third/,
    );
    expect(flagged).toMatch(/fraud +c1 +DECLINE +rules +fraud-gbt@1\.0\.0 +rule:amount_above_hard_cap/);
    expect(summaryLine(s, 22, 3)).toContain("fraud A/R/D 20/0/1 | moderation A/R/B 0/1/0");
  });

  it("say so while nothing is flagged", () => {
    const monitor = new PipelineMonitor({} as Kafka, {} as AvroCodec);
    monitor.observe("fraud", "c1", verdict("APPROVE", []), 1);
    const panel = renderPanel(monitor.snapshot(), 1, 1, "cpu (1)");
    expect(panel).toContain("latest flagged (review, decline, block)\n    none yet");
  });

  it("say which scoring policy decides and how the last edit of the followed file went", () => {
    expect(configState({ policyVersion: "1" })).toBeUndefined(); // no file: nothing to say
    const file = "/etc/verdict/verdict.yaml";
    expect(configState({ file, policyVersion: "1" })).toBe(
      "scoring policy 1 from verdict.yaml (followed; no change since start)",
    );
    const at = Date.parse("2026-11-22T10:32:01Z");
    expect(
      configState({ file, policyVersion: "2", lastReload: { successful: true, at }, lastSuccessAt: at }),
    ).toBe("scoring policy 2 from verdict.yaml (followed; last change applied 10:32:01 UTC)");
    const refused = configState({
      file,
      policyVersion: "2",
      lastReload: { successful: false, at: at + 5000 },
    });
    expect(refused).toContain("last change REFUSED 10:32:06 UTC");
    const panel = renderPanel(
      new PipelineMonitor({} as Kafka, {} as AvroCodec).snapshot(),
      0,
      1,
      "cpu",
      undefined,
      refused,
    );
    expect(panel).toContain(`  config: ${refused}`);
  });
});
