// npm run build: compiles the runtime code (tsconfig.build.json) to dist/, so production runs plain
// `node dist/bin/verdict.js` without a TypeScript loader. dist/ holds code only; the Avro schemas,
// the dashboard page, the blocklist and the model registry are read from the package (lib/paths).
// Plain JavaScript on purpose: it runs before anything is compiled.
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
// node infra/build/build.mjs [outDir] [--project tsconfig.bench.json]  (the benchmarks build with
// their own code included, bench/lib/compiled.ts).
const argv = process.argv.slice(2);
const projectAt = argv.indexOf("--project");
const project = projectAt >= 0 ? argv.splice(projectAt, 2)[1] : "tsconfig.build.json";
const config = JSON.parse(readFileSync(join(root, project), "utf8"));
config.compilerOptions ??= {};
config.compilerOptions.outDir ??= "dist";
// An output folder other than dist/ (the tests build into .verdict/) must stay inside the package:
// the compiled code finds its assets and node_modules by walking up from where it lies.
const outDir = resolve(root, argv[0] ?? config.compilerOptions.outDir);
if (relative(root, outDir).startsWith("..") || relative(root, outDir) === "") {
  process.stderr.write(
    `build: ${outDir} is not a folder inside the package (${root}); build into e.g. dist/\n`,
  );
  process.exit(2);
}
// The output folder is emptied first: only ever one this script made (it leaves a marker file).
const MARKER = ".verdict-build";
if (existsSync(outDir) && !existsSync(join(outDir, MARKER))) {
  process.stderr.write(`build: ${outDir} exists and was not made by this build; not emptying it\n`);
  process.exit(2);
}
/** Entry points: their `#!/usr/bin/env -S npx tsx` line becomes a plain node one. */
const ENTRY_POINTS = ["bin/verdict.js", "infra/local/cli.js"];

rmSync(outDir, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
execFileSync(process.execPath, [tsc, "-p", join(root, project), "--outDir", outDir], {
  stdio: "inherit",
});

// tsc emits a .mjs only when no .d.mts beside it describes it (infra/patches/kafkajs.mjs has one).
let copied = 0;
for (const dir of config.include) {
  for (const file of walk(join(root, dir))) {
    if (!file.endsWith(".mjs")) continue;
    const target = join(outDir, relative(root, file));
    if (!existsSync(target)) {
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(file, target);
      copied++;
    }
  }
}

writeFileSync(join(outDir, MARKER), "made by infra/build/build.mjs: emptied and rebuilt by the next build\n");
for (const entry of ENTRY_POINTS) {
  const file = join(outDir, entry);
  writeFileSync(file, readFileSync(file, "utf8").replace(/^#!.*\n/, "#!/usr/bin/env node\n"));
  chmodSync(file, 0o755);
}
process.stdout.write(
  `built ${relative(root, outDir) || "."}/ (${copied} .mjs copied): node ${join(relative(root, outDir), "bin/verdict.js")} --help\n`,
);

function* walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else yield path;
  }
}
