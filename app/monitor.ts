/**
 * Watches what the pipeline publishes (verdicts, review requests, dead letters) and keeps live
 * numbers: decisions, throughput, event age at verdict (verdict broker time − origin-timestamp).
 * Read-only: a throwaway consumer group that never commits. Feeds the terminal display.
 */
import { randomUUID } from "node:crypto";
import type { Consumer, Kafka } from "kafkajs";
import { headerString, ORIGIN_TIMESTAMP } from "../lib/trace/index.ts";
import type { AvroCodec } from "../schemas/codec/index.ts";
import type { FraudVerdict, ModerationVerdict } from "../schemas/generated/types.ts";
import { allTopics, TOPICS } from "../topology/index.ts";

export interface RecentVerdict {
  domain: "fraud" | "moderation";
  key: string;
  decision: string;
  score: number | null;
  reasons: string[];
  model: string;
  ageMs: number;
}

export interface MonitorSnapshot {
  verdicts: number;
  decisions: Record<string, number>;
  reviewRequests: number;
  deadLetters: Record<string, number>;
  /** Verdicts per second over the last window. */
  rate: number;
  latency: { p50: number; p95: number; p99: number; max: number; samples: number };
  providers: Record<string, number>;
  /** The latest verdicts, newest first. */
  recent: RecentVerdict[];
  /** The latest verdicts that did not approve or allow (review, decline, block), newest first. */
  flagged: RecentVerdict[];
}

/** Decisions that let the event through: every other one is "flagged" in the display. */
const CLEARED = new Set(["APPROVE", "ALLOW"]);
/** Entries per latest list. */
export const LATEST = 5;

function remember(list: RecentVerdict[], item: RecentVerdict): void {
  list.unshift(item);
  if (list.length > LATEST) list.length = LATEST;
}

export function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

export class PipelineMonitor {
  private consumer: Consumer | undefined;
  private readonly decisions: Record<string, number> = {};
  private readonly deadLetters: Record<string, number> = {};
  private readonly providers: Record<string, number> = {};
  private verdicts = 0;
  private reviewRequests = 0;
  /** (arrival ms, age ms) of recent verdicts, for rate and percentiles over `windowMs`. */
  private window: { at: number; age: number }[] = [];
  private recent: RecentVerdict[] = [];
  private flagged: RecentVerdict[] = [];

  constructor(
    private readonly kafka: Kafka,
    private readonly codec: AvroCodec,
    private readonly windowMs = 10_000,
  ) {}

  async start(): Promise<void> {
    const dlqs = allTopics().filter((t) => t.role === "dead-letter");
    const topics = [
      TOPICS.fraudVerdicts.name,
      TOPICS.moderationVerdicts.name,
      TOPICS.reviewRequests.name,
      ...dlqs.map((t) => t.name),
    ];
    this.consumer = this.kafka.consumer({ groupId: `verdict.monitor.${randomUUID()}`, maxWaitTimeInMs: 200 });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics, fromBeginning: false });
    await this.consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, message }) => {
        const now = Date.now();
        if (topic === TOPICS.reviewRequests.name) {
          this.reviewRequests++;
          return;
        }
        if (topic !== TOPICS.fraudVerdicts.name && topic !== TOPICS.moderationVerdicts.name) {
          this.deadLetters[topic] = (this.deadLetters[topic] ?? 0) + 1;
          return;
        }
        const fraud = topic === TOPICS.fraudVerdicts.name;
        const { value } = fraud
          ? await this.codec.decode(TOPICS.fraudVerdicts, message.value)
          : await this.codec.decode(TOPICS.moderationVerdicts, message.value);
        const origin = Number(headerString(message.headers, ORIGIN_TIMESTAMP) ?? message.timestamp);
        this.observe(
          fraud ? "fraud" : "moderation",
          message.key?.toString() ?? "",
          value as FraudVerdict | ModerationVerdict,
          Math.max(0, Number(message.timestamp) - origin),
          now,
        );
      },
    });
  }

  /** Counts one verdict (as consumed from a result topic) into the numbers and the latest lists. */
  observe(
    domain: RecentVerdict["domain"],
    key: string,
    verdict: Pick<FraudVerdict | ModerationVerdict, "decision" | "score" | "reasons" | "model">,
    ageMs: number,
    now = Date.now(),
  ): void {
    this.verdicts++;
    const label = `${domain}.${verdict.decision}`;
    this.decisions[label] = (this.decisions[label] ?? 0) + 1;
    this.providers[verdict.model.provider] = (this.providers[verdict.model.provider] ?? 0) + 1;
    this.window.push({ at: now, age: ageMs });
    const item: RecentVerdict = {
      domain,
      key,
      decision: verdict.decision,
      score: verdict.score,
      reasons: verdict.reasons,
      model: `${verdict.model.name}@${verdict.model.version}`,
      ageMs,
    };
    remember(this.recent, item);
    // Most verdicts approve: the flagged ones (review, decline, block) are what a person watching
    // wants to see, with their reasons, so they get a list of their own.
    if (!CLEARED.has(verdict.decision)) remember(this.flagged, item);
  }

  snapshot(): MonitorSnapshot {
    const cutoff = Date.now() - this.windowMs;
    this.window = this.window.filter((w) => w.at >= cutoff);
    const ages = this.window.map((w) => w.age).sort((a, b) => a - b);
    return {
      verdicts: this.verdicts,
      decisions: { ...this.decisions },
      reviewRequests: this.reviewRequests,
      deadLetters: { ...this.deadLetters },
      rate: this.window.length / (this.windowMs / 1000),
      latency: {
        p50: percentile(ages, 0.5),
        p95: percentile(ages, 0.95),
        p99: percentile(ages, 0.99),
        max: ages[ages.length - 1] ?? 0,
        samples: ages.length,
      },
      providers: { ...this.providers },
      recent: [...this.recent],
      flagged: [...this.flagged],
    };
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}
