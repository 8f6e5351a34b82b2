import { describe, expect, it } from "vitest";
import { parseJavaMajor } from "./java.ts";
import { resolveStackOptions } from "./options.ts";
import { redisConfig } from "./redis.ts";
import { registrySystemProperties } from "./registry.ts";

describe("resolveStackOptions", () => {
  it("defaults to the well-known ports and <repo>/.verdict/stack", () => {
    const o = resolveStackOptions({}, {});
    expect(o.ports).toEqual({
      kafka: 9092,
      kafkaController: 9093,
      kafkaSasl: 9094,
      registry: 8081,
      registryManagement: 9081,
      redis: 6379,
    });
    expect(o.stateDir).toBe(`${o.rootDir}/.verdict/stack`);
    expect(o.cacheDir).toMatch(/\.cache\/verdict$/);
    expect(Object.isFrozen(o.ports)).toBe(true);
  });

  it("reads overrides from the environment", () => {
    const o = resolveStackOptions(
      {},
      { VERDICT_KAFKA_PORT: "19092", VERDICT_CACHE: "/c", VERDICT_STATE_DIR: "/s" },
    );
    expect(o.ports.kafka).toBe(19092);
    expect(o.cacheDir).toBe("/c");
    expect(o.stateDir).toBe("/s");
  });

  it("names the env var of an invalid port", () => {
    expect(() => resolveStackOptions({}, { VERDICT_REDIS_PORT: "70000" })).toThrow(/VERDICT_REDIS_PORT/);
  });

  it("refuses two services on one port", () => {
    expect(() => resolveStackOptions({ ports: { registry: 9092 } }, {})).toThrow(/different/);
  });
});

describe("java -version parsing", () => {
  it.each([
    ['openjdk version "17.0.15" 2025-04-15', 17],
    ['openjdk version "25.0.3" 2026-04-21 LTS', 25],
    ['openjdk version "21" 2023-09-19', 21],
    ['java version "1.8.0_292"', 8],
    ["garbage", undefined],
  ])("%s -> %s", (text, major) => {
    expect(parseJavaMajor(text)).toBe(major);
  });
});

describe("service configs", () => {
  const o = resolveStackOptions({ stateDir: "/s" }, {});

  it("redis: loopback, no persistence, config path kept in the process title", () => {
    const conf = redisConfig("127.0.0.1", 6379, "/s/redis");
    expect(conf).toContain("bind 127.0.0.1\n");
    expect(conf).toContain('save ""\n');
    expect(conf).toContain("appendonly no\n");
    expect(conf).toContain("daemonize no\n");
    expect(conf).toContain("{config-file}");
  });

  it("registry: ports, file-backed H2 in the state dir, BACKWARD by default", () => {
    const p = registrySystemProperties(o);
    expect(p["quarkus.http.port"]).toBe("8081");
    expect(p["quarkus.http.host"]).toBe("127.0.0.1");
    expect(p["quarkus.management.port"]).toBe("9081");
    expect(p["apicurio.datasource.url"]).toBe("jdbc:h2:file:/s/registry/db/registry");
    expect(p["apicurio.rules.global.compatibility"]).toBe("BACKWARD");
    expect(p["verdict.stack.dir"]).toBe("/s");
  });
});
