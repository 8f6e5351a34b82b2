/**
 * Apicurio Registry 3.3 (Quarkus fast-jar from Maven Central), serving the Confluent-compatible
 * API at /apis/ccompat/v7. Storage is H2 in a file under the state dir: Kafka's data survives
 * `down`/`up`, so the schema ids its records carry must survive too.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { ensureApicurio } from "./fetch.ts";
import { httpOk } from "./health.ts";
import { findJava } from "./java.ts";
import type { StackOptions } from "./options.ts";
import type { ServiceSpec } from "./service.ts";
import { APICURIO, JAVA_MIN } from "./versions.ts";

export const CCOMPAT_PATH = "/apis/ccompat/v7";

export function registryLayout(stateDir: string) {
  const dir = join(stateDir, "registry");
  return {
    dir,
    dbDir: join(dir, "db"),
    outFile: join(dir, "registry.log"),
    pidFile: join(stateDir, "registry.pid"),
  };
}

/**
 * Quarkus/Apicurio properties as -D flags (names from application.properties inside the app jar).
 * Exported for the unit test; `stateDir` doubles as the cmdline marker.
 */
export function registrySystemProperties(opts: StackOptions): Record<string, string> {
  const layout = registryLayout(opts.stateDir);
  return {
    "verdict.stack.dir": opts.stateDir,
    "quarkus.http.host": opts.host,
    "quarkus.http.port": String(opts.ports.registry),
    // /health lives on Quarkus' management interface (default port 9000, often taken).
    "quarkus.management.host": opts.host,
    "quarkus.management.port": String(opts.ports.registryManagement),
    "apicurio.datasource.url": `jdbc:h2:file:${join(layout.dbDir, "registry")}`,
    // The default pool (20..100 connections) is sized for a server, not a laptop.
    "apicurio.datasource.jdbc.initial-size": "2",
    "apicurio.datasource.jdbc.min-size": "2",
    "apicurio.datasource.jdbc.max-size": "10",
    // Parity with Confluent Schema Registry, whose global default is BACKWARD.
    "apicurio.rules.global.compatibility": "BACKWARD",
    // Let tests and tools DELETE subjects/versions through the ccompat API.
    "apicurio.rest.deletion.artifact.enabled": "true",
    "apicurio.rest.deletion.artifact-version.enabled": "true",
    "apicurio.rest.deletion.group.enabled": "true",
    "quarkus.http.access-log.enabled": "false",
    "quarkus.log.console.format": "%d{yyyy-MM-dd HH:mm:ss} %p [%c{3.}] %m%n",
  };
}

export function registryService(opts: StackOptions): ServiceSpec {
  const layout = registryLayout(opts.stateDir);
  const base = `http://${opts.host}:${opts.ports.registry}`;
  const management = `http://${opts.host}:${opts.ports.registryManagement}`;
  return {
    name: "registry",
    endpoint: `${base}${CCOMPAT_PATH}`,
    ports: [
      { key: "registry", port: opts.ports.registry },
      { key: "registryManagement", port: opts.ports.registryManagement },
    ],
    pidFile: layout.pidFile,
    logFiles: [layout.outFile],
    markers: ["quarkus-run.jar", `-Dverdict.stack.dir=${opts.stateDir}`],
    stopGraceMs: 20_000,
    async prepare() {
      const [java, app] = await Promise.all([
        findJava(JAVA_MIN.registry, `Apicurio Registry ${APICURIO.version}`, process.env, opts.cacheDir),
        ensureApicurio(opts.cacheDir),
      ]);
      mkdirSync(layout.dbDir, { recursive: true });
      const props = Object.entries(registrySystemProperties(opts)).map(([k, v]) => `-D${k}=${v}`);
      return {
        command: java.bin,
        // C1 only and the serial GC: starts in ~3 s and stays small; the registry is rarely hot
        // (clients cache schemas by id).
        args: [
          "-Xms64m",
          `-Xmx${opts.registryHeap}`,
          "-XX:+UseSerialGC",
          "-XX:TieredStopAtLevel=1",
          ...props,
        ].concat(["-jar", join(app, "quarkus-run.jar")]),
        cwd: layout.dir,
        outFile: layout.outFile,
      };
    },
    async healthy(timeoutMs = 3000) {
      return (
        (await httpOk(`${base}${CCOMPAT_PATH}/subjects`, timeoutMs)) &&
        (await httpOk(`${management}/health/ready`, timeoutMs))
      );
    },
  };
}
