import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { SchemaCatalog } from "../catalog/index.ts";
import { generateTypes } from "./generate.ts";

describe("codegen", () => {
  it("generated types are up to date with schemas/avro and carry the do-not-edit header", () => {
    const here = dirname(fileURLToPath(import.meta.url));
    const current = readFileSync(join(here, "..", "generated", "types.ts"), "utf8");
    expect(current.startsWith("// DO NOT EDIT")).toBe(true);
    expect(current).toBe(generateTypes(new SchemaCatalog()));
  });

  it("every schema bundles into a self-contained Avro schema", () => {
    const catalog = new SchemaCatalog();
    for (const name of catalog.names()) expect(() => catalog.type(name)).not.toThrow();
  });
});
