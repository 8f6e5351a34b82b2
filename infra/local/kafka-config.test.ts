import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { newClusterId, scramArgs } from "./kafka.ts";
import {
  COMPOSE_SERVER_PROPERTIES,
  composeServerProperties,
  localKafkaConfig,
  serverProperties,
} from "./kafka-config.ts";
import { REPO_ROOT } from "./options.ts";

function parse(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const i = line.indexOf("=");
    map.set(line.slice(0, i), line.slice(i + 1));
  }
  return map;
}

const local = parse(
  serverProperties(
    localKafkaConfig("127.0.0.1", { kafka: 9092, kafkaController: 9093, kafkaSasl: 9094 }, "/d"),
  ),
);

describe("server.properties", () => {
  it("declares a combined KRaft node with the three local listeners", () => {
    expect(local.get("process.roles")).toBe("broker,controller");
    expect(local.get("controller.quorum.voters")).toBe("1@127.0.0.1:9093");
    expect(local.get("listeners")).toBe(
      "PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093,SASL_PLAINTEXT://127.0.0.1:9094",
    );
    // The controller listener is never advertised to clients.
    expect(local.get("advertised.listeners")).toBe(
      "PLAINTEXT://127.0.0.1:9092,SASL_PLAINTEXT://127.0.0.1:9094",
    );
    expect(local.get("inter.broker.listener.name")).toBe("PLAINTEXT");
    expect(local.get("listener.security.protocol.map")).toContain("SASL_PLAINTEXT:SASL_PLAINTEXT");
    expect(local.get("log.dirs")).toBe("/d");
  });

  it("enables SCRAM-SHA-256 and -512 with the ScramLoginModule on the SASL listener", () => {
    const jaas = "org.apache.kafka.common.security.scram.ScramLoginModule required;";
    expect(local.get("listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config")).toBe(jaas);
    expect(local.get("listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config")).toBe(jaas);
    expect(local.get("listener.name.sasl_plaintext.sasl.enabled.mechanisms")).toBe(
      "SCRAM-SHA-256,SCRAM-SHA-512",
    );
  });

  it("uses single-node replication settings and no topic auto-creation", () => {
    for (const key of [
      "offsets.topic.replication.factor",
      "transaction.state.log.replication.factor",
      "transaction.state.log.min.isr",
      "default.replication.factor",
    ]) {
      expect(local.get(key), key).toBe("1");
    }
    expect(local.get("group.initial.rebalance.delay.ms")).toBe("0");
    expect(local.get("num.partitions")).toBe("3");
    expect(local.get("auto.create.topics.enable")).toBe("false");
  });

  it("formats with one SCRAM credential per mechanism", () => {
    expect(scramArgs()).toEqual([
      "--add-scram",
      "SCRAM-SHA-256=[name=verdict,password=verdict-secret]",
      "--add-scram",
      "SCRAM-SHA-512=[name=verdict,password=verdict-secret]",
    ]);
  });

  it(`${COMPOSE_SERVER_PROPERTIES} is up to date (regenerate: npx tsx infra/local/cli.ts compose-config)`, () => {
    expect(readFileSync(join(REPO_ROOT, COMPOSE_SERVER_PROPERTIES), "utf8")).toBe(composeServerProperties());
  });

  it("compose: containers use the DOCKER listener, the host the published ports", () => {
    const compose = parse(composeServerProperties());
    expect(compose.get("advertised.listeners")).toBe(
      "PLAINTEXT://127.0.0.1:9092,SASL_PLAINTEXT://127.0.0.1:9094,DOCKER://kafka:19092",
    );
    expect(compose.get("inter.broker.listener.name")).toBe("DOCKER");
  });
});

describe("newClusterId", () => {
  it("is 22 base64url characters and never starts with '-' (the storage tool would read an option)", () => {
    // first draw: bytes whose base64url starts with "-" (0xf8 → "-"), then a normal one
    const draws = [Buffer.alloc(16, 0xf8), Buffer.alloc(16, 0x01)];
    const id = newClusterId(() => draws.shift()!);
    expect(Buffer.alloc(16, 0xf8).toString("base64url").startsWith("-")).toBe(true);
    expect(id).toBe(Buffer.alloc(16, 0x01).toString("base64url"));
    expect(draws).toEqual([]);
    for (let i = 0; i < 200; i++) expect(newClusterId()).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  });
});
