/**
 * The Prometheus alerting rules (infra/compose/alerts.yml) read metrics Verdict exports, and Prometheus
 * in docker compose loads them. No Prometheus here to run `promtool check rules`: the rules are
 * checked by reading, against the metric names defined in the code.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { REPO_ROOT } from "../local/options.ts";

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels: { severity: string };
  annotations: { summary: string; description: string };
}

const read = (path: string) => readFileSync(join(REPO_ROOT, path), "utf8");

/** Every `name: "verdict_…"` a prom-client metric is defined with, in the code that exports them. */
function definedMetrics(): Set<string> {
  const names = new Set<string>();
  for (const dir of ["observability", "consumers"]) {
    for (const entry of readdirSync(join(REPO_ROOT, dir), { recursive: true, encoding: "utf8" })) {
      if (!entry.endsWith(".ts") || entry.endsWith(".test.ts")) continue;
      for (const m of read(join(dir, entry)).matchAll(/name: "(verdict_[a-z_]+)"/g)) names.add(m[1]!);
    }
  }
  return names;
}

describe("alerting rules", () => {
  const rules = (parse(read("infra/compose/alerts.yml")) as { groups: { rules: Rule[] }[] }).groups.flatMap(
    (g) => g.rules,
  );

  it("each read metrics Verdict defines, and says how severe it is and what to do", () => {
    const defined = definedMetrics();
    expect(defined.size).toBeGreaterThan(30); // the scan found the definitions
    expect(rules.length).toBeGreaterThanOrEqual(8);
    for (const rule of rules) {
      const used = [...rule.expr.matchAll(/\bverdict_[a-z_]+/g)].map((m) =>
        m[0].replace(/_(bucket|count|sum)$/, ""),
      );
      expect(used.length, rule.alert).toBeGreaterThan(0);
      for (const metric of used) expect(defined, `${rule.alert}: ${metric}`).toContain(metric);
      expect(rule.alert).toMatch(/^Verdict[A-Z]\w+$/);
      expect(["critical", "warning"], rule.alert).toContain(rule.labels.severity);
      expect(rule.annotations.summary, rule.alert).toBeTruthy();
      expect(rule.annotations.description.length, rule.alert).toBeGreaterThan(40);
    }
    expect(new Set(rules.map((r) => r.alert)).size).toBe(rules.length);
  });

  it("name in their text only labels an aggregated expression keeps", () => {
    for (const rule of rules.filter((r) => /\bby \(/.test(r.expr))) {
      const kept = new Set([...rule.expr.matchAll(/\bby \(([^)]*)\)/g)].flatMap((m) => m[1]!.split(/,\s*/)));
      const text = `${rule.annotations.summary} ${rule.annotations.description}`;
      for (const m of text.matchAll(/\$labels\.(\w+)/g))
        expect(kept, `${rule.alert}: ${m[1]}`).toContain(m[1]);
    }
  });

  it("are loaded by Prometheus in docker compose", () => {
    const prometheus = parse(read("infra/compose/prometheus.yml")) as { rule_files: string[] };
    expect(prometheus.rule_files).toContain("/etc/prometheus/alerts.yml");
    const compose = parse(read("docker-compose.yml"), { merge: true }) as {
      services: Record<string, { volumes: string[] }>;
    };
    expect(compose.services.prometheus!.volumes).toContain(
      "./infra/compose/alerts.yml:/etc/prometheus/alerts.yml:ro",
    );
  });
});
