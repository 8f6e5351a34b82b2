import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { kafkaPom } from "./fetch.ts";
import { REPO_ROOT } from "./options.ts";
import { APICURIO, coordinateString, IMAGES, KAFKA, KAFKA_LOGGING } from "./versions.ts";

describe("pinned versions", () => {
  it("docker-compose.yml runs the same images as versions.ts", () => {
    const compose = readFileSync(join(REPO_ROOT, "docker-compose.yml"), "utf8");
    for (const image of Object.values(IMAGES)) expect(compose).toContain(`image: ${image}\n`);
  });

  it("the registry artifact is the tar.gz classifier Maven's dependency:copy expects", () => {
    expect(coordinateString(APICURIO)).toBe("io.apicurio:apicurio-registry-app:3.3.3:tar.gz:all");
  });

  it("the generated pom depends on Kafka and a logging binding", () => {
    const pom = kafkaPom([KAFKA, ...KAFKA_LOGGING]);
    expect(pom).toContain("<artifactId>kafka_2.13</artifactId><version>3.9.1</version>");
    expect(pom).toContain("<artifactId>slf4j-reload4j</artifactId>");
  });
});
