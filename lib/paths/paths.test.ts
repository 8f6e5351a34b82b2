import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findPackageRoot, PACKAGE_ROOT, packagePath } from "./paths.ts";

describe("package paths", () => {
  it("the package root is the folder with Verdict's package.json, from sources or dist/", () => {
    expect(JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")).name).toBe("verdict");
    expect(packagePath("schemas", "avro")).toBe(join(PACKAGE_ROOT, "schemas", "avro"));
    const pkg = mkdtempSync(join(tmpdir(), "verdict-paths-"));
    writeFileSync(join(pkg, "package.json"), "{}");
    const compiled = join(pkg, "dist", "lib", "paths");
    mkdirSync(compiled, { recursive: true });
    expect(findPackageRoot(compiled)).toBe(pkg);
  });

  it("no package.json above: an error saying where to run from", () => {
    expect(() => findPackageRoot("/")).toThrow(/No package\.json above \/: run Verdict from its package/);
  });
});
