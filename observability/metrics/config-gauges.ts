/**
 * The configuration file's reload state, like Prometheus's own `prometheus_config_last_reload_*`:
 * an alert on `verdict_config_last_reload_successful == 0` says an edit was refused and the stages
 * run an older configuration than the file's. Read at scrape time from the process's status.
 */
import { Gauge, type Registry } from "prom-client";

export interface ConfigStatus {
  /** The file followed; none when the process runs on defaults. */
  file?: string;
  /** The scoring policy's version now deciding. */
  policyVersion?: string;
  /** The last change of the file, applied or refused. */
  lastReload?: { successful: boolean; at: number };
  /** When a change was last applied (ms since the epoch). */
  lastSuccessAt?: number;
}

export function registerConfigGauges(registry: Registry, status: () => ConfigStatus): void {
  const registers = [registry];
  new Gauge({
    name: "verdict_config_last_reload_successful",
    help: "Whether the last change of the configuration file was applied (1) or refused (0); 1 before any change",
    registers,
    collect() {
      this.set(status().lastReload?.successful === false ? 0 : 1);
    },
  });
  new Gauge({
    name: "verdict_config_last_reload_success_timestamp_seconds",
    help: "When a change of the configuration file was last applied (0: none since start)",
    registers,
    collect() {
      this.set((status().lastSuccessAt ?? 0) / 1000);
    },
  });
  new Gauge({
    name: "verdict_scoring_policy_info",
    help: "1 for the scoring policy version deciding in this process (scoring.version of the configuration)",
    labelNames: ["version"] as const,
    registers,
    collect() {
      this.reset();
      const version = status().policyVersion;
      if (version !== undefined) this.set({ version }, 1);
    },
  });
}
