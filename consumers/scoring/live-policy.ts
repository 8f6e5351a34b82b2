/**
 * The scoring policy a process runs with, replaceable while it runs: the rules pre-check (inference)
 * and the decisions (scoring) read `current` per record, so a reloaded configuration file takes
 * effect on the next record, with no restart and nothing in flight lost. Each stage reads it once
 * per record; a record on its way when the policy is replaced may meet the old rules in inference
 * and the new thresholds in scoring, as split stages reading one ConfigMap do while it changes.
 */
import { parseScoringPolicy, type ScoringPolicy, type ScoringPolicyInput } from "./options.ts";

export class LivePolicy {
  private value: Readonly<ScoringPolicy>;

  constructor(initial?: ScoringPolicyInput | ScoringPolicy) {
    this.value = parseScoringPolicy(initial);
  }

  get current(): Readonly<ScoringPolicy> {
    return this.value;
  }

  /** Validates `next` (throws VERDICT_ERR_CONFIG and keeps the current policy if invalid), then swaps it in. */
  replace(next: ScoringPolicyInput | ScoringPolicy | undefined): Readonly<ScoringPolicy> {
    this.value = parseScoringPolicy(next);
    return this.value;
  }
}

/** A LivePolicy as it is, or a fixed one from a policy or its input. */
export function livePolicy(policy?: LivePolicy | ScoringPolicyInput | ScoringPolicy): LivePolicy {
  return policy instanceof LivePolicy ? policy : new LivePolicy(policy);
}
