/**
 * Liveness and readiness. Live: no runner crashed for good (a crashed consumer makes the process
 * exit anyway; this is for the window before). Ready: every runner of the process reported that it
 * joined its consumer group, and every dependency check (Kafka, registry, Redis) answered within its
 * timeout. Dependency results are cached briefly so a busy prober cannot hammer the brokers.
 */
import type { GroupState } from "../metrics/runner-listener.ts";

export interface DependencyCheck {
  name: string;
  check(): Promise<void>;
}

export interface Readiness {
  ready: boolean;
  /** "ok" or why not, per runner group and per dependency. */
  checks: Record<string, string>;
}

export interface Health {
  live(): { live: boolean; crashed: string[] };
  ready(): Promise<Readiness>;
}

export function createHealth(deps: {
  /** Runner stages that must be joined (their groups are read from `groups`). */
  expected: () => readonly string[];
  groups: () => readonly GroupState[];
  dependencies: readonly DependencyCheck[];
  timeoutMs?: number;
  cacheMs?: number;
  now?: () => number;
}): Health {
  const timeoutMs = deps.timeoutMs ?? 2000;
  const cacheMs = deps.cacheMs ?? 2000;
  const now = deps.now ?? Date.now;
  let cached: { at: number; results: Record<string, string> } | undefined;
  let pending: Promise<Record<string, string>> | undefined;

  async function runChecks(): Promise<Record<string, string>> {
    const entries = await Promise.all(
      deps.dependencies.map(async (d): Promise<[string, string]> => {
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            d.check(),
            new Promise((_, reject) => {
              timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
            }),
          ]);
          return [d.name, "ok"];
        } catch (err) {
          return [d.name, (err as Error).message || String(err)];
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    return Object.fromEntries(entries);
  }

  async function dependencies(): Promise<Record<string, string>> {
    if (cached && now() - cached.at < cacheMs) return cached.results;
    pending ??= runChecks().finally(() => {
      pending = undefined;
    });
    const results = await pending;
    cached = { at: now(), results };
    return results;
  }

  return {
    live() {
      const crashed = deps
        .groups()
        .filter((g) => g.state === "crashed")
        .map((g) => g.stage);
      return { live: crashed.length === 0, crashed };
    },
    async ready() {
      const checks: Record<string, string> = {};
      const groups = new Map(deps.groups().map((g) => [g.stage, g]));
      for (const stage of deps.expected()) {
        const g = groups.get(stage);
        checks[`group:${stage}`] = g?.state === "joined" ? "ok" : g ? g.state : "not joined yet";
      }
      Object.assign(checks, await dependencies());
      return { ready: Object.values(checks).every((v) => v === "ok"), checks };
    },
  };
}
