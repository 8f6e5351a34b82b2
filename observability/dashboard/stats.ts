/**
 * The dashboard's numbers: a once-a-second sample of this process's own Prometheus metrics (so the
 * page and /metrics never disagree), kept as a short history the page draws as time series. Rates
 * are deltas between samples; latency percentiles are read from the end-to-end histogram's buckets
 * over the last `windowS` seconds, interpolated the way PromQL's histogram_quantile does.
 */
import type { Counter, Gauge, Histogram } from "prom-client";
import type { PipelineMetrics } from "../metrics/pipeline-metrics.ts";

export interface StatsSample {
  t: number;
  /** Records per second into each logical stage. */
  throughput: Record<string, number>;
  /** Verdicts per second by "<domain>.<decision>". */
  decisions: Record<string, number>;
  /** End-to-end event age at verdict over the window, ms (null: no verdict in the window). */
  latency: { p50: number | null; p95: number | null; p99: number | null };
  /** Dead letters so far (cumulative). */
  deadLetters: number;
  /** Sum of committed-offset lag over the partitions watched. */
  lag: number;
}

export interface StatsSources {
  metrics: PipelineMetrics;
  /** Extra panels computed at request time (lag per partition, drift readings, webhooks, models...). */
  extra?: () => Promise<Record<string, unknown>> | Record<string, unknown>;
}

type Values = { value: number; labels: Record<string, string | number | undefined>; metricName?: string }[];

async function values(metric: Counter<string> | Gauge<string> | Histogram<string>): Promise<Values> {
  return (await metric.get()).values as Values;
}

function sumBy(vals: Values, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of vals) {
    const k = String(v.labels[label] ?? "");
    out[k] = (out[k] ?? 0) + v.value;
  }
  return out;
}

/** Cumulative bucket counts (all label sets summed), by upper bound. */
function buckets(vals: Values): Map<number, number> {
  const out = new Map<number, number>();
  for (const v of vals) {
    if (!v.metricName?.endsWith("_bucket")) continue;
    const le = v.labels.le === "+Inf" ? Number.POSITIVE_INFINITY : Number(v.labels.le);
    out.set(le, (out.get(le) ?? 0) + v.value);
  }
  return out;
}

/** histogram_quantile over cumulative bucket deltas; null without observations. */
export function quantileFromBuckets(delta: Map<number, number>, q: number): number | null {
  const bounds = [...delta.keys()].sort((a, b) => a - b);
  const total = delta.get(Number.POSITIVE_INFINITY) ?? (bounds.length ? delta.get(bounds.at(-1)!)! : 0);
  if (!total) return null;
  const rank = q * total;
  let prevBound = 0;
  let prevCount = 0;
  for (const b of bounds) {
    const c = delta.get(b)!;
    if (c >= rank) {
      if (!Number.isFinite(b)) return prevBound; // beyond the last finite bucket: its lower bound
      const inBucket = c - prevCount;
      return inBucket > 0 ? prevBound + ((b - prevBound) * (rank - prevCount)) / inBucket : b;
    }
    prevBound = b;
    prevCount = c;
  }
  return prevBound;
}

interface Raw {
  t: number;
  stageIn: Record<string, number>;
  decisions: Record<string, number>;
  ageBuckets: Map<number, number>;
  deadLetters: number;
  lag: number;
}

export interface StatsCollector {
  start(): void;
  /** Takes a sample now (the timer does this every intervalMs). */
  sample(): Promise<void>;
  history(): StatsSample[];
  /** What /api/stats returns. */
  snapshot(): Promise<Record<string, unknown>>;
  stop(): void;
}

export function createStatsCollector(
  sources: StatsSources,
  options: { intervalMs?: number; historySize?: number; windowS?: number; now?: () => number } = {},
): StatsCollector {
  const intervalMs = options.intervalMs ?? 1000;
  const historySize = options.historySize ?? 300;
  const windowS = options.windowS ?? 10;
  const now = options.now ?? Date.now;
  const m = sources.metrics;
  const raws: Raw[] = [];
  const samples: StatsSample[] = [];
  let timer: NodeJS.Timeout | undefined;
  const started = now();

  async function read(): Promise<Raw> {
    const decisions: Record<string, number> = {};
    for (const v of await values(m.decisions)) {
      const k = `${v.labels.domain}.${v.labels.decision}`;
      decisions[k] = (decisions[k] ?? 0) + v.value;
    }
    const dlq = await values(m.deadLetters);
    const lag = await values(m.lag);
    return {
      t: now(),
      stageIn: sumBy(await values(m.stageIn), "stage"),
      decisions,
      ageBuckets: buckets(await values(m.eventAge)),
      deadLetters: dlq.reduce((s, v) => s + v.value, 0),
      lag: lag.reduce((s, v) => s + v.value, 0),
    };
  }

  function rates(a: Record<string, number>, b: Record<string, number>, seconds: number) {
    const out: Record<string, number> = {};
    for (const k of Object.keys(b)) out[k] = Math.max(0, (b[k]! - (a[k] ?? 0)) / seconds);
    return out;
  }

  async function sample(): Promise<void> {
    const cur = await read();
    const prev = raws.at(-1);
    raws.push(cur);
    if (raws.length > historySize + 1) raws.shift();
    if (!prev) return;
    const seconds = Math.max(0.001, (cur.t - prev.t) / 1000);
    // Latency window: the newest raw at least windowS old (or the oldest one kept).
    const old = raws.find((r) => cur.t - r.t <= windowS * 1000) ?? raws[0]!;
    const delta = new Map<number, number>();
    for (const [le, c] of cur.ageBuckets)
      delta.set(le, c - (old === cur ? 0 : (old.ageBuckets.get(le) ?? 0)));
    const q = (x: number) => {
      const v = quantileFromBuckets(delta, x);
      return v === null ? null : Math.round(v * 1000 * 100) / 100;
    };
    samples.push({
      t: cur.t,
      throughput: rates(prev.stageIn, cur.stageIn, seconds),
      decisions: rates(prev.decisions, cur.decisions, seconds),
      latency: { p50: q(0.5), p95: q(0.95), p99: q(0.99) },
      deadLetters: cur.deadLetters,
      lag: cur.lag,
    });
    if (samples.length > historySize) samples.shift();
  }

  return {
    start() {
      if (timer) return;
      void sample();
      timer = setInterval(() => void sample().catch(() => {}), intervalMs);
      timer.unref();
    },
    sample,
    history: () => [...samples],
    async snapshot() {
      const last = raws.at(-1);
      const dlq = await values(m.deadLetters);
      return {
        now: now(),
        uptimeS: Math.round((now() - started) / 1000),
        intervalMs,
        series: samples,
        totals: {
          stagesIn: sumBy(await values(m.stageIn), "stage"),
          stagesOut: sumBy(await values(m.stageOut), "stage"),
          stageErrors: sumBy(await values(m.stageErrors), "stage"),
          decisions: last?.decisions ?? {},
          deadLetters: dlq.map((v) => ({ ...v.labels, count: v.value })),
        },
        ...(sources.extra ? await sources.extra() : {}),
      };
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
  };
}
