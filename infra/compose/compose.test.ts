/**
 * docker-compose.yml cannot run here (no Docker engine), so it is kept correct by reading: parsed
 * and checked for what `docker compose up` relies on. When the compose CLI exists, its own
 * validator (`docker compose config -q`, which needs no engine) runs too.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { REPO_ROOT } from "../local/options.ts";

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  healthcheck?: { test: unknown };
  depends_on?: Record<string, { condition: string }>;
  ports?: string[];
}

const file = join(REPO_ROOT, "docker-compose.yml");
const compose = parse(readFileSync(file, "utf8"), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;

function composeCli(): boolean {
  try {
    execFileSync("docker", ["compose", "version"], { stdio: "ignore", timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

describe("docker-compose.yml", () => {
  it("runs the stack (Kafka, registry, Redis) with healthchecks and pinned images", () => {
    for (const name of ["kafka", "registry", "redis"]) {
      const s = services[name];
      expect(s, name).toBeDefined();
      expect(s!.image, name).toMatch(/:[0-9][\w.-]*$/); // a version tag, never :latest
      expect(s!.healthcheck?.test, `${name} healthcheck`).toBeDefined();
    }
  });

  it("starts app services only after their dependencies are healthy or done", () => {
    for (const [name, s] of Object.entries(services)) {
      for (const [dep, cond] of Object.entries(s.depends_on ?? {})) {
        expect(services[dep], `${name} depends on unknown ${dep}`).toBeDefined();
        expect(["service_healthy", "service_completed_successfully"]).toContain(cond.condition);
        if (cond.condition === "service_healthy")
          expect(services[dep]!.healthcheck, `${dep} has no healthcheck`).toBeDefined();
      }
    }
  });

  it("app services run real verdict CLI commands", async () => {
    const { buildProgram } = await import("../../cli/program.ts");
    const { createCliContext } = await import("../../cli/context.ts");
    const program = buildProgram(createCliContext());
    const known = new Set(program.commands.map((c) => c.name()));
    for (const [name, s] of Object.entries(services)) {
      if (!s.build) continue;
      const cli = s.command?.indexOf("dist/bin/verdict.js") ?? -1;
      expect(cli, `${name} runs the compiled dist/bin/verdict.js`).toBeGreaterThan(0);
      expect(known, `${name}: verdict ${s.command![cli + 1]}`).toContain(s.command![cli + 1]);
    }
  }, 30_000); // imports the whole CLI (onnxruntime, KafkaJS…): seconds on a cold transform cache

  it("publishes ports on loopback only", () => {
    for (const [name, s] of Object.entries(services)) {
      for (const port of s.ports ?? []) expect(port, name).toMatch(/^127\.0\.0\.1:/);
    }
  });

  it.skipIf(!composeCli())("passes `docker compose config -q`", () => {
    execFileSync("docker", ["compose", "-f", file, "config", "-q"], {
      cwd: REPO_ROOT,
      stdio: "pipe",
      timeout: 30_000,
    });
  });
});
