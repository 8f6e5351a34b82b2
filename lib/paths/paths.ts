/**
 * Where the package's own files are, whether the code runs from the TypeScript sources (tsx) or
 * from the compiled `dist/` (`npm run build`). `dist/` holds code only: read-only assets (the Avro
 * schemas, the dashboard page, the blocklist) and the model registry (which `models activate`
 * writes to) stay where they are in the package, and are found from its root.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { VerdictError } from "../errors/index.ts";

/** The nearest folder at or above `from` holding a package.json. */
export function findPackageRoot(from: string): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, "package.json"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new VerdictError(
        "VERDICT_ERR_CONFIG",
        `No package.json above ${from}: run Verdict from its package (a clone, or dist/ inside it).`,
      );
    }
    dir = parent;
  }
}

/** The package root: the repository in a clone, the image's /app in the Docker image. */
export const PACKAGE_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

/** A path inside the package, e.g. `packagePath("schemas", "avro")`. */
export function packagePath(...parts: string[]): string {
  return join(PACKAGE_ROOT, ...parts);
}
