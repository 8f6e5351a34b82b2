/**
 * What the drift monitor plugs into: model.json references through the model registry, the
 * inference stage's outputs through the stage probe, and the drift-alerts topic through the
 * producer SDK (schema-checked before send, keyed by model).
 */
import type { ModelRegistry } from "../../consumers/inference/index.ts";
import type { VerdictProducer } from "../../producers/sdk/index.ts";
import type { PostFeatures, Scored, TransactionFeatures } from "../../schemas/generated/types.ts";
import { TOPICS } from "../../topology/index.ts";
import type { StageObserver } from "../metrics/stage-probe.ts";
import type {
  AlertSink,
  DriftMonitor,
  ModelReference,
  ReferenceDistribution,
  ReferenceSource,
} from "./monitor.ts";

export function registryReferences(registry: ModelRegistry): ReferenceSource {
  return async (name, version) => {
    const { manifest } = await registry.load(name, version);
    const ref = manifest.reference;
    if (!ref) return undefined;
    const features: Record<string, ReferenceDistribution> = {};
    for (const [feature, d] of Object.entries(ref.features ?? {})) {
      if (d.edges && d.proportions)
        features[feature] = { edges: d.edges, proportions: d.proportions, count: d.count ?? 0 };
    }
    const s = ref.score;
    const reference: ModelReference = { domain: manifest.domain, features };
    if (ref.spanMs !== undefined) reference.spanMs = ref.spanMs;
    if (s?.edges && s.proportions)
      reference.score = { edges: s.edges, proportions: s.proportions, count: s.count ?? 0 };
    return reference;
  };
}

export function topicAlertSink(producer: VerdictProducer): AlertSink {
  return async (alert) => {
    await producer.publish(TOPICS.driftAlerts, alert, {
      correlationId: `drift:${alert.model}:${alert.feature}`,
    });
  };
}

const SCORED = new Set([TOPICS.transactionScored.name, TOPICS.postScored.name, TOPICS.shadowScored.name]);

/** Probe observer: every Scored the inference stage emits goes into the monitor with its input. */
export function driftObserver(monitor: DriftMonitor): StageObserver {
  return (o) => {
    if (o.stage !== "inference" || o.error !== undefined) return;
    for (const out of o.outputs) {
      if (SCORED.has(out.topic.name)) {
        monitor.observeScored(o.input as TransactionFeatures | PostFeatures, out.value as Scored);
      }
    }
  };
}
