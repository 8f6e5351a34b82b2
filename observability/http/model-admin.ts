/**
 * Live model rollout for `verdict models shadow|canary`: the rollout (canary share, shadow versions)
 * lives in the running process's ModelRegistry, so the CLI asks the process over its observability
 * endpoint. Versions are validated by the registry (model.json, artifact hash) before anything
 * changes; the active version itself is the ACTIVE file (`verdict models activate`), which every
 * process polls.
 */
import { z } from "zod";
import { type InferenceStage, servingSlots } from "../../consumers/inference/index.ts";
import { VerdictError } from "../../lib/errors/index.ts";
import type { ModelAdmin } from "./server.ts";

const version = z.string().regex(/^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$/, "a semantic version like 1.2.0");

export const rolloutBodySchema = z
  .object({
    /** Candidate scoring `percent` % of keys; null removes the canary; absent keeps it. */
    canary: z
      .object({ version, percent: z.number().min(0).max(100) })
      .strict()
      .nullable()
      .optional(),
    /** Shadow versions (replaces the list); absent keeps it. */
    shadow: z.array(version).optional(),
  })
  .strict();

export type RolloutBody = z.infer<typeof rolloutBodySchema>;

export function createModelAdmin(inference: InferenceStage): ModelAdmin {
  const models = () =>
    Object.entries(inference.status()).map(([domain, slot]) => ({
      domain,
      ...slot,
      rollout: inference.registry.rollout(slot.name),
    }));
  /** Every model the process serves, a cascade's screen included: each can be shadowed or canaried. */
  const served = () =>
    servingSlots(inference.status()).map(({ domain, role, slot }) => ({
      domain,
      ...(role === "screen" ? { role } : {}),
      ...slot,
      rollout: inference.registry.rollout(slot.name),
    }));
  return {
    async status() {
      return models();
    },
    async setRollout(name, body) {
      const parsed = rolloutBodySchema.safeParse(body);
      if (!parsed.success) {
        const lines = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
        throw new VerdictError("VERDICT_ERR_CONFIG", `Invalid rollout: ${lines}`);
      }
      const serving = served();
      const target = serving.find((m) => m.name === name);
      if (!target) {
        throw new VerdictError(
          "VERDICT_ERR_CONFIG",
          `Model ${name} is not served by this process (serving: ${serving.map((m) => m.name).join(", ")})`,
        );
      }
      const active = target.active?.version;
      const asked = [
        ...(parsed.data.canary ? [parsed.data.canary.version] : []),
        ...(parsed.data.shadow ?? []),
      ];
      if (active !== undefined && asked.includes(active)) {
        throw new VerdictError(
          "VERDICT_ERR_CONFIG",
          `${name}@${active} is the active version: it scores every record already. Shadow or canary another version (verdict models list shows them)`,
        );
      }
      const current = inference.registry.rollout(name);
      const next = {
        shadow: parsed.data.shadow ?? current.shadow,
        ...(parsed.data.canary === null
          ? {}
          : parsed.data.canary
            ? { canary: parsed.data.canary }
            : current.canary
              ? { canary: current.canary }
              : {}),
      };
      await inference.registry.setRollout(name, next);
      await inference.settled();
      const entry = served().find((m) => m.name === name);
      // The registry checks model.json and the hash; the stage loads the version for real (inputs,
      // providers, a screen's cut-off). What it could not load is not routed: say so, and put the
      // rollout back rather than leave one the process does not follow.
      const routed = new Set(
        [entry?.active, entry?.canary, ...(entry?.shadows ?? [])].map((v) => v?.version),
      );
      const refused = [...(next.canary ? [next.canary.version] : []), ...next.shadow].filter(
        (v) => !routed.has(v),
      );
      if (refused.length > 0) {
        await inference.registry.setRollout(name, current);
        await inference.settled();
        throw new VerdictError(
          "VERDICT_ERR_MODEL_INVALID",
          `${refused
            .map((v) => `${name}@${v} was not loaded: ${entry?.failed[v] ?? "see the process log"}`)
            .join("; ")}. The rollout of ${name} is unchanged`,
        );
      }
      return entry;
    },
  };
}
