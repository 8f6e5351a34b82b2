import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../lib/log/index.ts";
import type {
  FraudVerdict,
  ModerationVerdict,
  ReviewRequest,
  Scored,
} from "../../schemas/generated/types.ts";
import { TOPICS, type TopicDescriptor } from "../../topology/index.ts";
import { createInferenceStage, ModelRegistry } from "../inference/index.ts";
import { FakeRuntime } from "../inference/testing/fake-runtime.ts";
import { FIXTURE_FRAUD_FEATURES, post, tempModels, transaction } from "../inference/testing/fixtures.ts";
import { fuse, type Stage, type StageContext, type StageOutput } from "../runtime/index.ts";
import { registryCatalog } from "./catalog.ts";
import { LivePolicy } from "./live-policy.ts";
import { parseScoringPolicy } from "./options.ts";
import { createRuleGate } from "./rules.ts";
import { createScoringStage } from "./scoring.ts";

const quiet = silentLogger();
const ctx = (key: string): StageContext => ({
  stage: "scoring",
  topic: "",
  partition: 0,
  offset: "0",
  key,
  headers: {},
  timestamp: 1_700_000_000_000,
  attempt: 1,
  logger: quiet,
  signal: new AbortController().signal,
  now: () => 1_700_000_000_050,
});

const handler = (stage: Stage, topic: TopicDescriptor) =>
  stage.inputs.find((i) => i.topic.name === topic.name)!.handle as (
    v: unknown,
    c: StageContext,
  ) => Promise<StageOutput[]>;

function scored(extra: Partial<Scored>): Scored {
  return {
    eventId: "e1",
    domain: "FRAUD",
    subjectId: "t1",
    key: "cust-1",
    occurredAt: 1_700_000_000_000,
    score: 0.1,
    model: { name: "fraud-lr", version: "1.0.0", provider: "cpu" },
    features: {},
    ruleHits: [],
    timings: { inference_ms: 1.5 },
    contributions: {},
    screen: null,
    ...extra,
  };
}

describe("scoring stage", () => {
  it("emits exactly one verdict keyed like the input, with model, score, reasons and timings", async () => {
    const stage = createScoringStage();
    const out = await handler(stage, TOPICS.transactionScored)(scored({ score: 0.1 }), ctx("cust-1"));
    expect(out).toHaveLength(1);
    expect(out[0]!.topic).toBe(TOPICS.fraudVerdicts);
    expect(out[0]!.key).toBe("cust-1");
    const v = out[0]!.value as FraudVerdict;
    expect(v).toMatchObject({
      eventId: "e1",
      transactionId: "t1",
      customerId: "cust-1",
      decision: "APPROVE",
      score: 0.1,
      reasons: ["score:0.1<review:0.5"],
      model: { name: "fraud-lr", version: "1.0.0", provider: "cpu" },
      occurredAt: 1_700_000_000_000,
      decidedAt: 1_700_000_000_050,
    });
    expect(v.timings).toMatchObject({ inference_ms: 1.5, scoring_input_age_ms: 50, event_age_ms: 50 });
    expect(v.timings.scoring_ms).toBeGreaterThanOrEqual(0);
  });

  it("the uncertain band yields a REVIEW verdict AND a review request", async () => {
    const stage = createScoringStage();
    const out = await handler(stage, TOPICS.postScored)(
      scored({ domain: "MODERATION", subjectId: "post-1", key: "author-1", score: 0.7 }),
      ctx("author-1"),
    );
    expect(out.map((o) => o.topic.name)).toEqual([
      TOPICS.moderationVerdicts.name,
      TOPICS.reviewRequests.name,
    ]);
    expect((out[0]!.value as ModerationVerdict).decision).toBe("REVIEW");
    expect(out[1]!.key).toBe("author-1");
    expect(out[1]!.value as ReviewRequest).toEqual({
      eventId: "e1",
      domain: "MODERATION",
      subjectId: "post-1",
      key: "author-1",
      score: 0.7,
      reasons: ["score:0.7>=review:0.5<block:0.85"],
      model: { name: "fraud-lr", version: "1.0.0", provider: "cpu" },
      requestedAt: 1_700_000_000_050,
    });
  });

  it("uses the scoring model version's thresholds and reference from the registry", async () => {
    const registry = new ModelRegistry({ root: await tempModels() });
    const stage = createScoringStage({ catalog: registryCatalog(registry) });
    // fraud-lr fixtures: review 0.5, decline 0.8 (policy defaults are the same: change the policy)
    const custom = createScoringStage({
      catalog: registryCatalog(registry),
      policy: { fraud: { thresholds: { review: 0.1, decline: 0.2 } } },
    });
    const s = scored({ score: 0.85, features: { TX_AMOUNT: 300 } });
    const a = (await handler(stage, TOPICS.transactionScored)(s, ctx("c")))[0]!.value as FraudVerdict;
    const b = (await handler(custom, TOPICS.transactionScored)({ ...s, score: 0.3 }, ctx("c")))[0]!
      .value as FraudVerdict;
    expect(a.decision).toBe("DECLINE");
    expect(a.reasons).toEqual(["score:0.85>=decline:0.8", "feature:TX_AMOUNT:+6.2sd"]);
    expect(b.decision).toBe("APPROVE"); // the model's 0.5 review threshold, not the policy's 0.1
    const unknown = (
      await handler(custom, TOPICS.transactionScored)(
        { ...s, score: 0.3, model: { name: "gone", version: "9.9.9", provider: "cpu" } },
        ctx("c"),
      )
    )[0]!.value as FraudVerdict;
    expect(unknown.decision).toBe("DECLINE"); // not in the registry: the policy's thresholds
  });

  it("a replaced LivePolicy decides the next record (a reloaded configuration file)", async () => {
    const live = new LivePolicy({ fraud: { useModelThresholds: false } });
    const stage = createScoringStage({ policy: live });
    const decide = async (score: number) =>
      (
        (await handler(stage, TOPICS.transactionScored)(scored({ score }), ctx("cust-1")))[0]!
          .value as FraudVerdict
      ).decision;
    expect(await decide(0.6)).toBe("REVIEW"); // defaults: review 0.5, decline 0.8
    live.replace({
      version: "2",
      fraud: { useModelThresholds: false, thresholds: { review: 0.3, decline: 0.55 } },
    });
    expect(await decide(0.6)).toBe("DECLINE");
    expect(stage.policy.version).toBe("2");
  });
});

describe("the cascade, fused: rules → model → policy → review", () => {
  const stops: Stage[] = [];
  afterEach(async () => {
    for (const s of stops.splice(0)) await s.stop?.();
  });

  it("one verdict per event; rule-decided events never reach the model", async () => {
    const policy = parseScoringPolicy({});
    const runtime = new FakeRuntime({
      score: (row) => (row.values.length ? Math.min(0.99, (row.values[0] ?? 0) / 1000) : 0.1),
    });
    const root = await tempModels({ parity: false });
    const inference = createInferenceStage({
      features: { fraud: FIXTURE_FRAUD_FEATURES, moderation: ["length"] },
      runtime,
      preCheck: createRuleGate(policy),
      settings: {
        providers: "cpu",
        models: {
          fraud: { name: "fraud-lr", shadow: [] },
          moderation: { name: "moderation-lr", shadow: [] },
        },
        registry: { root, watch: false },
        // Counted below: the rows the model scored for the events the rules left to it, without the
        // occlusion rows that explain flagged scores (the inference tests cover those).
        explain: { contributions: false },
      },
    });
    const pipeline = fuse([inference, createScoringStage({ policy })]);
    await pipeline.start?.();
    stops.push(pipeline);
    const runsAfterLoad = runtime.runs.length;

    const txIn = handler(pipeline, TOPICS.transactionFeatures);
    const postIn = handler(pipeline, TOPICS.postFeatures);
    const tx = (i: number, amount: number) => {
      const t = transaction(i, `c${i}`, amount);
      t.features.TERMINAL_ID_RISK_7DAY_WINDOW = 0;
      t.features.TERMINAL_ID_RISK_30DAY_WINDOW = 0;
      return t;
    };
    const [capped, tiny, low, mid, high, blocked, fine] = await Promise.all([
      txIn(tx(1, 20_000), ctx("c1")), // rule: decline
      txIn(tx(2, 3), ctx("c2")), // rule: approve (80 tx in 30 days, clean terminal)
      txIn(tx(3, 100), ctx("c3")), // model 0.1 → approve
      txIn(tx(4, 650), ctx("c4")), // model 0.65 → review
      txIn(tx(5, 950), ctx("c5")), // model 0.95 → decline
      postIn({ ...post(6, "bad words"), blocklistHits: ["slur"] }, ctx("a6")), // rule: block
      postIn(post(7, "hello"), ctx("a7")), // model 0.1 → allow
    ]);
    const decisionOf = (outs: StageOutput[]) => {
      const verdicts = outs.filter((o) => o.topic.role === "result");
      expect(verdicts).toHaveLength(1); // exactly one verdict per input event
      return (verdicts[0]!.value as FraudVerdict).decision;
    };
    expect([capped, tiny, low, mid, high, blocked, fine].map((o) => decisionOf(o!))).toEqual([
      "DECLINE",
      "APPROVE",
      "APPROVE",
      "REVIEW",
      "DECLINE",
      "BLOCK",
      "ALLOW",
    ]);
    expect((capped![0]!.value as FraudVerdict).model).toEqual({
      name: "fraud-rules",
      version: "1",
      provider: "rules",
    });
    expect((capped![0]!.value as FraudVerdict).score).toBeNull();
    expect(mid!.map((o) => o.topic.name)).toEqual([TOPICS.fraudVerdicts.name, TOPICS.reviewRequests.name]);
    // the model scored exactly the 4 events the rules left to it (3 fraud rows + 1 post)
    const rows = runtime.runs.slice(runsAfterLoad).reduce((n, r) => n + r.batchSize, 0);
    expect(rows).toBe(4);
  });
});
