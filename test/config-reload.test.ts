/**
 * Policy as configuration, live: a fused pipeline follows its configuration file while it runs.
 * Mid-stream, an invalid edit is refused (the running policy stays), then a valid one (a new
 * amount limit under a new policy version) decides every later transaction, with no restart,
 * nothing lost or duplicated, and per-key order kept. Then `verdict config backtest` decides the
 * verdicts again: unchanged under their own thresholds, moved as a candidate's thresholds say.
 */
import { vi } from "vitest";

vi.hoisted(() => {
  process.env.VERDICT_TOPIC_PREFIX = `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}.`;
});

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadStageConfig } from "../app/config-file.ts";
import { buildStage, PIPELINE, StageContext } from "../app/stages.ts";
import { fuse } from "../consumers/runtime/index.ts";
import type { BacktestReport } from "../consumers/scoring/index.ts";
import { eventually } from "../lib/retry/index.ts";
import { TOPICS } from "../topology/index.ts";
import { testDeps } from "./support/app.ts";
import { spawnVerdict } from "./support/child.ts";
import { checkVerdicts, collectVerdicts, publishWorkload } from "./support/e2e.ts";
import { pipelineSuite, readDecoded, waitForCount } from "./support/pipeline.ts";

const { deps, runner, onClose } = pipelineSuite(testDeps());

async function until(check: () => boolean, what: string): Promise<void> {
  expect(await eventually(check, 30_000, 50), `waiting for ${what}`).toBe(true);
}

describe("configuration file, followed while the pipeline runs", () => {
  it("an edited scoring policy decides the next records; a bad edit is refused; nothing lost", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "verdict-reload-")), "verdict.yaml");
    writeFileSync(path, "scoring:\n  version: limits-1\n");
    const config = loadStageConfig(path);
    const shared = new StageContext(deps, { state: "memory", policy: config.scoring });
    shared.watchConfig(path, { intervalMs: 100 });
    onClose(() => shared.close());
    await runner(
      fuse(
        PIPELINE.map((n) => buildStage(n, shared)),
        { name: "reload-fused", concurrency: "per-key" },
      ),
    ).start();

    const PAUSE_AT = 400; // transactions published before the edits
    const published = await publishWorkload(41, 8, 100, 200, {
      afterTransactions: PAUSE_AT,
      run: async () => {
        await waitForCount(deps.kafka, TOPICS.fraudVerdicts.name, 300, 120_000);
        writeFileSync(path, "scoring:\n  version: limits-2\n  fraud: { rules: { declineAbove: -5 } }\n");
        await until(() => shared.configStatus().lastReload?.successful === false, "the refusal");
        expect(shared.scoringPolicy().current.version).toBe("limits-1");
        writeFileSync(
          path,
          "scoring:\n  version: limits-2\n  fraud: { rules: { declineAbove: 1, approveTiny: null } }\n",
        );
        await until(() => shared.configStatus().policyVersion === "limits-2", "the reload");
        expect(shared.configStatus().lastReload?.successful).toBe(true);
      },
    });
    expect(published.transactions.size).toBeGreaterThan(PAUSE_AT * 1.5);

    const verdicts = await collectVerdicts(deps, published.transactions.size + published.posts.size);
    checkVerdicts(published, verdicts);

    const amounts = new Map(
      (await readDecoded(deps, TOPICS.transactionCreated)).map((r) => [
        r.value.transactionId,
        r.value.amount,
      ]),
    );
    const byTransaction = new Map(verdicts.fraud.map((v) => [v.value.transactionId, v.value]));
    const order = [...published.transactions.values()].map((t) => t.transactionId);
    // Published after the reload: every amount above the new limit is declined by the new rules.
    const after = order.slice(PAUSE_AT).filter((id) => amounts.get(id)! > 1);
    expect(after.length).toBeGreaterThan(100);
    for (const id of after) {
      expect(byTransaction.get(id), `transaction ${id}`).toMatchObject({
        decision: "DECLINE",
        model: { name: "fraud-rules", version: "limits-2", provider: "rules" },
        reasons: expect.arrayContaining([expect.stringMatching(/amount_above_hard_cap/)]),
      });
    }
    // Decided before it: at least the 300 verdicts awaited were not the new policy's.
    const old = verdicts.fraud.filter((v) => v.value.model.version !== "limits-2");
    expect(old.length).toBeGreaterThanOrEqual(300);
    // Per customer, once the new policy decided, the old one never does again.
    const switched = new Set<string>();
    for (const v of verdicts.fraud) {
      if (v.value.model.version === "limits-2") switched.add(v.value.customerId);
      else if (amounts.get(v.value.transactionId)! > 1) {
        expect(switched.has(v.value.customerId), `customer ${v.value.customerId} went back`).toBe(false);
      }
    }
    // Posts are untouched by the fraud rules: all decided, none by the fraud rule set.
    expect(verdicts.moderation).toHaveLength(published.posts.size);

    // `verdict config backtest`: the verdicts' own policy would change none of them; a candidate
    // with other thresholds moves exactly the model-decided ones its thresholds move.
    const modelDecided = verdicts.fraud.filter((v) => v.value.model.provider !== "rules");
    const backtest = async (file: string) => {
      const child = spawnVerdict(["config", "backtest", file, "--json"]);
      const code = await new Promise<number | null>((resolve) => child.process.once("exit", resolve));
      expect(code, child.output()).toBe(0);
      return JSON.parse(child.output().slice(child.output().indexOf("{"))) as BacktestReport;
    };
    const same = await backtest(path); // limits-2: its rules differ, its thresholds (the models') not
    expect(same.fraud).toMatchObject({
      verdicts: verdicts.fraud.length,
      byRules: verdicts.fraud.length - modelDecided.length,
      redecided: modelDecided.length,
      changed: 0,
    });
    expect(same.moderation).toMatchObject({ verdicts: verdicts.moderation.length, changed: 0 });
    const candidate = join(dirname(path), "candidate.yaml");
    writeFileSync(
      candidate,
      "scoring:\n  fraud: { useModelThresholds: false, thresholds: { review: 0.01, decline: 0.05 } }\n",
    );
    const moved = await backtest(candidate);
    const expected: Record<string, number> = {};
    for (const v of modelDecided) {
      const s = v.value.score!;
      const would = s >= 0.05 ? "DECLINE" : s >= 0.01 ? "REVIEW" : "APPROVE";
      expected[`${v.value.decision}→${would}`] = (expected[`${v.value.decision}→${would}`] ?? 0) + 1;
    }
    expect(moved.fraud.transitions).toEqual(expected);
    expect(moved.fraud.changed).toBeGreaterThan(0);
  }, 300_000);
});
