/**
 * The stack as containers (where a Docker engine is reachable): the same images and versions as
 * docker-compose.yml, on random host ports. Kafka must advertise the host's mapped ports, which
 * exist only once the container runs, so its entrypoint (infra/compose/kafka/start.sh) waits for
 * a file we copy in after start - the approach of testcontainers' own Kafka modules.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  GenericContainer,
  Network,
  type StartedNetwork,
  type StartedTestContainer,
  Wait,
} from "testcontainers";
import {
  containerKafkaConfig,
  IMAGES,
  kafkaHealthy,
  SCRAM_USER,
  serverProperties,
  waitUntil,
} from "../../infra/local/index.ts";
import { REPO_ROOT } from "../../infra/local/options.ts";
import { VerdictError } from "../../lib/errors/index.ts";
import type { ProvidedStack } from "./provided.ts";

const STARTUP_MS = 180_000;
const ADVERTISED_FILE = "/opt/verdict/advertised";

async function startKafka(
  network: StartedNetwork,
): Promise<{ container: StartedTestContainer; brokers: string[]; sasl: string[] }> {
  // advertised.listeners is overridden at start; the file's own value only has to parse.
  const config = serverProperties(
    containerKafkaConfig({ plaintext: "localhost:9092", sasl: "localhost:9094" }),
  );
  const container = await new GenericContainer(IMAGES.kafka)
    .withNetwork(network)
    // Inter-broker traffic (e.g. transaction markers to itself) goes to the DOCKER listener, kafka:19092.
    .withNetworkAliases("kafka")
    .withExposedPorts(9092, 9094)
    .withCopyContentToContainer([
      {
        content: readFileSync(join(REPO_ROOT, "infra/compose/kafka/start.sh"), "utf8"),
        target: "/opt/verdict/start.sh",
        mode: 0o755,
      },
      { content: config, target: "/opt/verdict/server.properties" },
    ])
    .withEnvironment({
      KAFKA_HEAP_OPTS: "-Xms256m -Xmx512m",
      VERDICT_WAIT_FOR_FILE: ADVERTISED_FILE,
      VERDICT_SCRAM_USERNAME: SCRAM_USER.username,
      VERDICT_SCRAM_PASSWORD: SCRAM_USER.password,
    })
    .withEntrypoint(["/bin/sh", "/opt/verdict/start.sh"])
    .withWaitStrategy(Wait.forLogMessage("verdict: waiting for"))
    .withStartupTimeout(STARTUP_MS)
    .start();
  const host = container.getHost();
  const plaintext = `${host}:${container.getMappedPort(9092)}`;
  const sasl = `${host}:${container.getMappedPort(9094)}`;
  await container.copyContentToContainer([
    {
      content: `PLAINTEXT://${plaintext},SASL_PLAINTEXT://${sasl},DOCKER://kafka:19092`,
      target: ADVERTISED_FILE,
    },
  ]);
  if (!(await waitUntil(() => kafkaHealthy([plaintext]), STARTUP_MS, { intervalMs: 500 }))) {
    await container.stop();
    throw new VerdictError(
      "VERDICT_ERR_STACK_UNHEALTHY",
      `Kafka container at ${plaintext} never became healthy`,
    );
  }
  return { container, brokers: [plaintext], sasl: [sasl] };
}

function startRegistry(network: StartedNetwork): Promise<StartedTestContainer> {
  return new GenericContainer(IMAGES.registry)
    .withNetwork(network)
    .withExposedPorts(8080)
    .withEnvironment({
      APICURIO_RULES_GLOBAL_COMPATIBILITY: "BACKWARD",
      APICURIO_REST_DELETION_ARTIFACT_ENABLED: "true",
      APICURIO_REST_DELETION_ARTIFACT_VERSION_ENABLED: "true",
      APICURIO_REST_DELETION_GROUP_ENABLED: "true",
      QUARKUS_HTTP_ACCESS_LOG_ENABLED: "false",
    })
    .withWaitStrategy(Wait.forHttp("/apis/ccompat/v7/subjects", 8080).forStatusCode(200))
    .withStartupTimeout(STARTUP_MS)
    .start();
}

function startRedis(network: StartedNetwork): Promise<StartedTestContainer> {
  return new GenericContainer(IMAGES.redis)
    .withNetwork(network)
    .withExposedPorts(6379)
    .withCommand(["redis-server", "--save", "", "--appendonly", "no"])
    .withWaitStrategy(Wait.forLogMessage("Ready to accept connections"))
    .withStartupTimeout(STARTUP_MS)
    .start();
}

export interface ContainerStack {
  stack: ProvidedStack;
  stop(): Promise<void>;
}

export async function startContainers(): Promise<ContainerStack> {
  const network = await new Network().start();
  const [kafka, registry, redis] = await Promise.allSettled([
    startKafka(network),
    startRegistry(network),
    startRedis(network),
  ]);
  const containers = [
    kafka.status === "fulfilled" ? kafka.value.container : undefined,
    registry.status === "fulfilled" ? registry.value : undefined,
    redis.status === "fulfilled" ? redis.value : undefined,
  ].filter((c): c is StartedTestContainer => c !== undefined);
  const stop = async () => {
    await Promise.allSettled(containers.map((c) => c.stop()));
    await network.stop().catch(() => undefined);
  };
  if (kafka.status === "rejected" || registry.status === "rejected" || redis.status === "rejected") {
    await stop();
    const failed = [kafka, registry, redis].find((r) => r.status === "rejected") as PromiseRejectedResult;
    throw failed.reason;
  }
  const reg = registry.value;
  const red = redis.value;
  return {
    stack: {
      source: "testcontainers",
      brokers: kafka.value.brokers,
      saslBrokers: kafka.value.sasl,
      registryUrl: `http://${reg.getHost()}:${reg.getMappedPort(8080)}/apis/ccompat/v7`,
      redisUrl: `redis://${red.getHost()}:${red.getMappedPort(6379)}`,
      scram: { ...SCRAM_USER, mechanism: "scram-sha-256" },
    },
    stop,
  };
}
