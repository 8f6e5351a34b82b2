/**
 * Drift monitor: per model version, a sliding window per reference feature and for the score;
 * every `intervalMs` each window with enough records is compared with model.json's reference (PSI).
 * Windows span the same stretch of event time as the reference when model.json says how long that
 * is (`reference.spanMs`: the fraud models' week, so night and weekend features compare like with
 * like), else the last N records; options can impose either kind (window.ts).
 * Crossing the alert threshold publishes a FIRING DriftAlert on monitoring.drift-alerts.v1 (again
 * after `repeatAfterMs` while it stays high); falling below the resolve threshold publishes RESOLVED.
 * Every PSI is also a gauge. Fed by the inference stage's probe (observeScored), so it sees exactly
 * the rows the model scored, in split and fused mode alike; shadow versions get their own windows.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { errorMessage } from "../../lib/errors/index.ts";
import type { Logger } from "../../lib/log/index.ts";
import type { DriftAlert, PostFeatures, Scored, TransactionFeatures } from "../../schemas/generated/types.ts";
import type { PipelineMetrics } from "../metrics/pipeline-metrics.ts";
import { DEFAULT_WINDOW_SIZE, type DriftOptions } from "./options.ts";
import { psi } from "./psi.ts";
import { BinnedWindow, type DriftWindow, EventTimeWindow } from "./window.ts";

/** One reference distribution of model.json (`reference.features.<name>` or `reference.score`). */
export interface ReferenceDistribution {
  edges: number[];
  proportions: number[];
  count: number;
}

export interface ModelReference {
  domain: string;
  features: Record<string, ReferenceDistribution>;
  score?: ReferenceDistribution;
  /** The stretch of event time the reference sample covers (ms), when model.json says. */
  spanMs?: number;
}

/** Where references come from (the model registry's model.json); undefined = no reference. */
export type ReferenceSource = (name: string, version: string) => Promise<ModelReference | undefined>;

/** Where alerts go (the drift-alerts topic); must not throw for the monitor's sake, but may. */
export type AlertSink = (alert: DriftAlert) => Promise<void>;

interface FeatureState {
  window: DriftWindow;
  reference: ReferenceDistribution;
  psi?: number;
  firing: boolean;
  lastPublished: number;
}

interface Tracker {
  model: string;
  version: string;
  domain: string;
  features: Map<string, FeatureState>;
}

export interface DriftReading {
  model: string;
  version: string;
  feature: string;
  psi: number | null;
  samples: number;
  /** "2000 records" or "7d of event time". */
  window: string;
  /** Whether the window holds enough (records, and for a time window its whole span) to be compared. */
  ready: boolean;
  firing: boolean;
}

export interface DriftMonitor {
  /** Feeds one scored row: the inference input and its Scored output (primary or shadow). */
  observeScored(input: TransactionFeatures | PostFeatures, scored: Scored): void;
  /** Feeds values directly (tests, other callers): feature name → value, the score, the event time (ms; default now). */
  observe(model: string, version: string, values: Record<string, number>, score: number, at?: number): void;
  /** Compares every window now; resolves when alerts are published. */
  evaluate(): Promise<void>;
  readings(): DriftReading[];
  start(): void;
  stop(): Promise<void>;
}

/** Values of the reference's text features, computed as training does (len(), str.split()). */
export function textStatistics(text: string): Record<string, number> {
  const trimmed = text.trim();
  return { textLength: [...text].length, tokenCount: trimmed ? trimmed.split(/\s+/).length : 0 };
}

export function createDriftMonitor(deps: {
  options: Readonly<DriftOptions>;
  references: ReferenceSource;
  publish: AlertSink;
  metrics?: PipelineMetrics;
  logger?: Logger;
  now?: () => number;
  source?: string;
}): DriftMonitor {
  const { options, metrics, logger } = deps;
  const now = deps.now ?? Date.now;
  const source = deps.source ?? `${hostname()}:${process.pid}`;
  const trackers = new Map<string, Tracker | null>();
  const loading = new Map<string, Promise<void>>();
  let timer: NodeJS.Timeout | undefined;
  let evaluating: Promise<void> | undefined;

  function load(model: string, version: string): void {
    const id = `${model}@${version}`;
    if (loading.has(id)) return;
    loading.set(
      id,
      deps
        .references(model, version)
        .then((ref) => {
          trackers.set(id, ref ? tracker(model, version, ref) : null);
          if (!ref)
            logger?.info({ model, version }, "no reference distributions in model.json: no drift check");
        })
        .catch((err) => {
          trackers.set(id, null);
          logger?.warn({ model, version, err: errorMessage(err) }, "drift reference not readable");
        }),
    );
  }

  /** The window kind for a model: options first, then the reference's own span, then counts. */
  function windowFor(ref: ModelReference): (edges: number[]) => DriftWindow {
    const spanMs =
      options.windowMs ??
      (options.windowSize === undefined && ref.spanMs && ref.spanMs > 0 ? ref.spanMs : undefined);
    if (spanMs !== undefined) return (edges) => new EventTimeWindow(edges, spanMs);
    const size = options.windowSize ?? DEFAULT_WINDOW_SIZE;
    return (edges) => new BinnedWindow(edges, size);
  }

  function tracker(model: string, version: string, ref: ModelReference): Tracker {
    const features = new Map<string, FeatureState>();
    const wanted = options.features ? new Set(options.features) : undefined;
    const makeWindow = windowFor(ref);
    const add = (name: string, d: ReferenceDistribution | undefined) => {
      if (!d || !Array.isArray(d.edges) || !Array.isArray(d.proportions)) return;
      if (d.proportions.length !== d.edges.length + 1) return;
      features.set(name, {
        window: makeWindow(d.edges),
        reference: d,
        firing: false,
        lastPublished: 0,
      });
    };
    for (const [name, d] of Object.entries(ref.features)) if (!wanted || wanted.has(name)) add(name, d);
    add("score", ref.score);
    const window = features.values().next().value?.window.describe;
    if (window)
      logger?.info(
        { model, version, window, features: features.size },
        "drift monitor watching this model version",
      );
    return { model, version, domain: ref.domain, features };
  }

  function samplesOf(t: Tracker): number {
    let n = 0;
    for (const s of t.features.values()) n = Math.max(n, s.window.samples);
    return n;
  }

  function observe(
    model: string,
    version: string,
    values: Record<string, number>,
    score: number,
    at: number = now(),
  ): void {
    const id = `${model}@${version}`;
    const t = trackers.get(id);
    if (t === undefined) {
      load(model, version); // rows before the reference is read are not counted
      return;
    }
    if (t === null) return;
    for (const [name, state] of t.features) {
      const v = name === "score" ? score : values[name];
      if (v !== undefined) state.window.observe(v, at);
    }
  }

  function observeScored(input: TransactionFeatures | PostFeatures, scored: Scored): void {
    if (scored.model.provider === "rules") return; // the cascade decided; no model ran
    const values: Record<string, number> =
      "normalizedText" in input
        ? { ...scored.features, ...textStatistics(input.normalizedText) }
        : scored.features;
    observe(scored.model.name, scored.model.version, values, scored.score, input.occurredAt);
  }

  async function evaluateNow(): Promise<void> {
    const alerts: DriftAlert[] = [];
    for (const t of trackers.values()) {
      if (!t) continue;
      metrics?.driftSamples.set({ model: t.model, version: t.version }, samplesOf(t));
      for (const [feature, s] of t.features) {
        if (!s.window.ready(options.minSamples)) continue;
        const actual = s.window.proportions();
        const value = psi(s.reference.proportions, actual);
        s.psi = value;
        const labels = { model: t.model, version: t.version, feature };
        metrics?.driftPsi.set(labels, value);
        const at = now();
        const alert = (status: "FIRING" | "RESOLVED", threshold: number): DriftAlert => ({
          eventId: randomUUID(),
          model: t.model,
          version: t.version,
          domain: t.domain,
          feature,
          status,
          statistic: "PSI",
          value,
          threshold,
          windowSize: s.window.samples,
          referenceCount: s.reference.count,
          edges: [...s.reference.edges],
          expected: [...s.reference.proportions],
          actual,
          detectedAt: at,
          source,
        });
        if (value >= options.alertThreshold) {
          if (!s.firing || at - s.lastPublished >= options.repeatAfterMs) {
            s.firing = true;
            s.lastPublished = at;
            alerts.push(alert("FIRING", options.alertThreshold));
          }
        } else if (s.firing && value < options.resolveThreshold) {
          s.firing = false;
          s.lastPublished = at;
          alerts.push(alert("RESOLVED", options.resolveThreshold));
        }
        metrics?.driftAlerting.set(labels, s.firing ? 1 : 0);
      }
    }
    for (const a of alerts) {
      metrics?.driftAlerts.inc({ model: a.model, version: a.version, feature: a.feature, status: a.status });
      logger?.[a.status === "FIRING" ? "warn" : "info"](
        { model: a.model, version: a.version, feature: a.feature, psi: a.value, threshold: a.threshold },
        a.status === "FIRING" ? "drift alert firing" : "drift alert resolved",
      );
      try {
        await deps.publish(a);
      } catch (err) {
        logger?.error({ err: errorMessage(err), feature: a.feature }, "drift alert not published");
      }
    }
  }

  function evaluate(): Promise<void> {
    evaluating ??= Promise.all(loading.values())
      .then(evaluateNow)
      .finally(() => {
        evaluating = undefined;
      });
    return evaluating;
  }

  return {
    observeScored,
    observe,
    evaluate,
    readings() {
      const out: DriftReading[] = [];
      for (const t of trackers.values()) {
        if (!t) continue;
        for (const [feature, s] of t.features) {
          out.push({
            model: t.model,
            version: t.version,
            feature,
            psi: s.psi ?? null,
            samples: s.window.samples,
            window: s.window.describe,
            ready: s.window.ready(options.minSamples),
            firing: s.firing,
          });
        }
      }
      return out;
    },
    start() {
      if (timer) return;
      timer = setInterval(() => void evaluate(), options.intervalMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await evaluating;
    },
  };
}
