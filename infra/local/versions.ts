/**
 * Every version the local stack, docker-compose.yml and the testcontainers setup run, pinned in one
 * place. Bumping a version here changes the cache key, so the next `stack:up` fetches the new one.
 */

export interface MavenCoordinate {
  groupId: string;
  artifactId: string;
  version: string;
  type?: string;
  classifier?: string;
}

/** Apache Kafka broker (Scala 2.13 build). KafkaJS 2.2.4 speaks its protocol fully. */
export const KAFKA = { groupId: "org.apache.kafka", artifactId: "kafka_2.13", version: "3.9.1" } as const;

/**
 * Kafka 3.9 logs through slf4j-api 1.7.36 but ships no binding in its Maven POM; the binary
 * distribution uses slf4j-reload4j + reload4j, so we do the same (and pin reload4j past the
 * 1.2.19 that slf4j-reload4j pulls in transitively).
 */
export const KAFKA_LOGGING: readonly MavenCoordinate[] = [
  { groupId: "org.slf4j", artifactId: "slf4j-reload4j", version: "1.7.36" },
  { groupId: "ch.qos.reload4j", artifactId: "reload4j", version: "1.2.25" },
];

/** Apicurio Registry's Quarkus fast-jar, published as a tar.gz on Maven Central (3.3.0 was never published). */
export const APICURIO: Required<MavenCoordinate> = {
  groupId: "io.apicurio",
  artifactId: "apicurio-registry-app",
  version: "3.3.3",
  type: "tar.gz",
  classifier: "all",
};

/** Pinned so every machine runs the same goal implementation, not Maven's built-in default (2.8). */
export const MAVEN_DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1";

/**
 * Minimum Java feature release per service. Apicurio 3.3 is compiled for Java 21 (class file 65);
 * Kafka 3.9 runs on 17+.
 */
export const JAVA_MIN = { kafka: 17, registry: 21 } as const;

/** Container images for docker-compose.yml and testcontainers: the same versions as the local stack. */
export const IMAGES = {
  kafka: `apache/kafka:${KAFKA.version}`,
  registry: `apicurio/apicurio-registry:${APICURIO.version}`,
  redis: "redis:7.4-alpine",
} as const;

export function coordinateString(c: MavenCoordinate): string {
  return [c.groupId, c.artifactId, c.version, c.type, c.classifier].filter(Boolean).join(":");
}
