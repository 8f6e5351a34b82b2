/**
 * Options of the local stack: read once from the environment (or passed in), validated with zod,
 * frozen. Every option is documented with its env var and default; README.md lists them too.
 */
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { z } from "zod";
import { deepFreeze } from "../../lib/config/index.ts";
import { VerdictError } from "../../lib/errors/index.ts";
import { PACKAGE_ROOT } from "../../lib/paths/index.ts";

const port = z.coerce.number().int().min(1).max(65535);

export const stackOptionsSchema = z
  .object({
    /** Repository root. Default: two folders above this file. */
    rootDir: z.string().min(1),
    /** Downloaded jars and the extracted registry. Env VERDICT_CACHE, default ~/.cache/verdict. */
    cacheDir: z.string().min(1),
    /** Configs, data, logs and PID files. Env VERDICT_STATE_DIR, default <repo>/.verdict/stack. */
    stateDir: z.string().min(1),
    /** Interface every service binds to. Loopback only: the stack is for this machine. */
    host: z.literal("127.0.0.1").default("127.0.0.1"),
    ports: z
      .object({
        /** Env VERDICT_KAFKA_PORT, default 9092 (PLAINTEXT). */
        kafka: port.default(9092),
        /** Env VERDICT_KAFKA_CONTROLLER_PORT, default 9093 (KRaft controller). */
        kafkaController: port.default(9093),
        /** Env VERDICT_KAFKA_SASL_PORT, default 9094 (SASL_PLAINTEXT, SCRAM). */
        kafkaSasl: port.default(9094),
        /** Env VERDICT_REGISTRY_PORT, default 8081 (Confluent-compatible API). */
        registry: port.default(8081),
        /** Env VERDICT_REGISTRY_MANAGEMENT_PORT, default 9081 (Quarkus /health). */
        registryManagement: port.default(9081),
        /** Env VERDICT_REDIS_PORT, default 6379. */
        redis: port.default(6379),
      })
      .strict()
      .refine((p) => new Set(Object.values(p)).size === Object.values(p).length, {
        message: "every stack port must be different",
      }),
    /** Max JVM heap of the broker. Env VERDICT_KAFKA_HEAP, default 512m. */
    kafkaHeap: z
      .string()
      .regex(/^\d+[mg]$/, "expected e.g. 512m or 1g")
      .default("512m"),
    /** Max JVM heap of the registry. Env VERDICT_REGISTRY_HEAP, default 384m. */
    registryHeap: z
      .string()
      .regex(/^\d+[mg]$/, "expected e.g. 384m or 1g")
      .default("384m"),
    /** How long `up` waits for each service to become healthy. Env VERDICT_STACK_TIMEOUT_MS, default 120000. */
    startTimeoutMs: z.coerce.number().int().positive().default(120_000),
  })
  .strict();

export type StackOptions = z.infer<typeof stackOptionsSchema>;
export type StackOptionsInput = Partial<Omit<z.input<typeof stackOptionsSchema>, "ports">> & {
  ports?: Partial<z.input<typeof stackOptionsSchema>["ports"]>;
};

const ENV_PORTS: Record<keyof StackOptions["ports"], string> = {
  kafka: "VERDICT_KAFKA_PORT",
  kafkaController: "VERDICT_KAFKA_CONTROLLER_PORT",
  kafkaSasl: "VERDICT_KAFKA_SASL_PORT",
  registry: "VERDICT_REGISTRY_PORT",
  registryManagement: "VERDICT_REGISTRY_MANAGEMENT_PORT",
  redis: "VERDICT_REDIS_PORT",
};

/** The env var a user sets to move a port; used in error messages. */
export function portEnvName(key: keyof StackOptions["ports"]): string {
  return ENV_PORTS[key];
}

export const REPO_ROOT = PACKAGE_ROOT;

export function resolveStackOptions(
  input: StackOptionsInput = {},
  env: NodeJS.ProcessEnv = process.env,
): Readonly<StackOptions> {
  const rootDir = input.rootDir ?? REPO_ROOT;
  const envPorts = Object.fromEntries(
    Object.entries(ENV_PORTS)
      .filter(([, name]) => env[name])
      .map(([key, name]) => [key, env[name]]),
  );
  const raw = {
    rootDir,
    cacheDir: resolve(input.cacheDir ?? (env.VERDICT_CACHE || join(homedir(), ".cache", "verdict"))),
    stateDir: resolve(input.stateDir ?? (env.VERDICT_STATE_DIR || join(rootDir, ".verdict", "stack"))),
    host: input.host,
    ports: { ...envPorts, ...input.ports },
    kafkaHeap: input.kafkaHeap ?? (env.VERDICT_KAFKA_HEAP || undefined),
    registryHeap: input.registryHeap ?? (env.VERDICT_REGISTRY_HEAP || undefined),
    startTimeoutMs: input.startTimeoutMs ?? (env.VERDICT_STACK_TIMEOUT_MS || undefined),
  };
  const parsed = stackOptionsSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const path = issue.path.join(".");
      const key = issue.path[1] as keyof StackOptions["ports"] | undefined;
      const envName = issue.path[0] === "ports" && key ? ` (env ${ENV_PORTS[key]})` : "";
      return `  - ${path || "(root)"}${envName}: ${issue.message}`;
    });
    throw new VerdictError("VERDICT_ERR_CONFIG", `Invalid local stack options:\n${lines.join("\n")}`);
  }
  return deepFreeze(parsed.data);
}
