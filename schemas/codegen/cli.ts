/** `npm run codegen` writes schemas/generated/types.ts; `--check` fails when it is out of date. */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { SchemaCatalog } from "../catalog/index.ts";
import { generateTypes } from "./generate.ts";

const target = join(dirname(fileURLToPath(import.meta.url)), "..", "generated", "types.ts");
const next = generateTypes(new SchemaCatalog());
if (process.argv.includes("--check")) {
  let current = "";
  try {
    current = readFileSync(target, "utf8");
  } catch {
    // missing file counts as out of date
  }
  if (current !== next) {
    console.error(
      "schemas/generated/types.ts is out of date with schemas/avro: run `npm run codegen` and commit.",
    );
    process.exit(1);
  }
  console.log("codegen: schemas/generated/types.ts is up to date");
} else {
  writeFileSync(target, next);
  console.log(`codegen: wrote ${target}`);
}
