import { describe, expect, it } from "vitest";
import { VerdictError } from "../errors/index.ts";
import { connectionsFromEnv, LOCAL_DEFAULTS } from "./index.ts";

describe("connectionsFromEnv", () => {
  it("defaults to the local stack", () => {
    const c = connectionsFromEnv({});
    expect(c.kafka.brokers).toEqual([LOCAL_DEFAULTS.brokers]);
    expect(c.registry.url).toBe(LOCAL_DEFAULTS.registry);
    expect(c.redis.url).toBe(LOCAL_DEFAULTS.redis);
    expect(Object.isFrozen(c.kafka)).toBe(true);
  });

  it("reads SASL and splits brokers", () => {
    const c = connectionsFromEnv({
      KAFKA_BROKERS: "a:9092, b:9093",
      KAFKA_SASL_MECHANISM: "SCRAM-SHA-512",
      KAFKA_SASL_USERNAME: "u",
      KAFKA_SASL_PASSWORD: "p",
      KAFKA_SSL: "true",
    });
    expect(c.kafka.brokers).toEqual(["a:9092", "b:9093"]);
    expect(c.kafka.sasl).toEqual({ mechanism: "scram-sha-512", username: "u", password: "p" });
    expect(c.kafka.ssl).toBe(true);
  });

  it.each([
    [{ KAFKA_BROKERS: "no-port" }, /KAFKA_BROKERS.*host:port/],
    [{ KAFKA_SASL_MECHANISM: "scram-sha-256", KAFKA_SASL_USERNAME: "u" }, /KAFKA_SASL_PASSWORD/],
    [
      { KAFKA_SASL_MECHANISM: "gssapi", KAFKA_SASL_USERNAME: "u", KAFKA_SASL_PASSWORD: "p" },
      /KAFKA_SASL_MECHANISM/,
    ],
    [{ SCHEMA_REGISTRY_URL: "not a url" }, /SCHEMA_REGISTRY_URL/],
    [{ SCHEMA_REGISTRY_USERNAME: "u" }, /must be set together/],
    [{ REDIS_URL: "http://x" }, /REDIS_URL/],
    [{ KAFKA_SSL: "maybe" }, /KAFKA_SSL=maybe is not a boolean/],
    [{ KAFKA_SSL_CA_FILE: "/nonexistent/ca.pem" }, /KAFKA_SSL_CA_FILE.*cannot be read/],
  ])("names the setting in the error: %o", (env, message) => {
    const fn = () => connectionsFromEnv(env);
    expect(fn).toThrow(VerdictError);
    expect(fn).toThrow(message);
  });

  it("never puts secrets into the error message", () => {
    try {
      connectionsFromEnv({
        KAFKA_BROKERS: "bad",
        KAFKA_SASL_MECHANISM: "plain",
        KAFKA_SASL_USERNAME: "u",
        KAFKA_SASL_PASSWORD: "hunter2",
      });
    } catch (err) {
      expect((err as Error).message).not.toContain("hunter2");
    }
  });
});
