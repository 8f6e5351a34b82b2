/**
 * What the policy needs to know about the model version that scored a record: its thresholds (they
 * travel with the model, so a canary version brings its own) and its reference feature distribution
 * (for explanations). Read from the model registry; cached per version; a version not on this
 * host's disk falls back to the policy's thresholds.
 */
import { errorMessage } from "../../lib/errors/index.ts";
import type { Logger } from "../../lib/log/index.ts";
import { featureReference, type ModelRegistry, upperThreshold } from "../inference/index.ts";

export interface ModelInfo {
  thresholds?: { review: number; upper: number };
  /** Training mean and std per feature. */
  reference?: Readonly<Record<string, { mean: number; std: number }>>;
}

export interface ModelCatalog {
  describe(model: { name: string; version: string }): Promise<ModelInfo | undefined>;
}

export function registryCatalog(registry: ModelRegistry, logger?: Logger): ModelCatalog {
  const cache = new Map<string, Promise<ModelInfo | undefined>>();
  return {
    describe({ name, version }) {
      const id = `${name}@${version}`;
      let info = cache.get(id);
      if (!info) {
        info = registry.load(name, version).then(
          ({ manifest }) => ({
            thresholds: { review: manifest.thresholds.review, upper: upperThreshold(manifest) },
            reference: featureReference(manifest),
          }),
          (err) => {
            logger?.warn(
              { model: id, err: errorMessage(err) },
              "model not in the registry; policy thresholds apply",
            );
            return undefined;
          },
        );
        cache.set(id, info);
      }
      return info;
    },
  };
}
