/**
 * What a provider needs from the host, checked before ONNX Runtime is asked for a session.
 *
 * WebGPU on Linux runs on Dawn's Vulkan backend, which dlopen()s the Vulkan loader (libvulkan.so.1).
 * Without it, the first WebGPU session prints Dawn's own "Warning: Couldn't load Vulkan … at
 * operator() (…/BackendVk.cpp:368)" to the process's stderr (native code: no log level reaches it),
 * then fails with "No supported adapters". Looking for the loader first gives the same fallback with
 * a reason that says what to install, and keeps the raw line out of the logs.
 *
 * The search follows the dynamic linker's order for a bare soname: LD_LIBRARY_PATH, the linker
 * cache (/etc/ld.so.cache, which names every library it indexes), the default directories, plus
 * onnxruntime-node's own binary folder. A host where the loader sits elsewhere can turn the check off
 * (inference setting `webgpuPrecheck: false`, env VERDICT_WEBGPU_PRECHECK=0).
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const VULKAN_LOADER = "libvulkan.so.1";
const DEFAULT_DIRS = [
  "/lib",
  "/usr/lib",
  "/lib64",
  "/usr/lib64",
  "/lib/x86_64-linux-gnu",
  "/usr/lib/x86_64-linux-gnu",
  "/lib/aarch64-linux-gnu",
  "/usr/lib/aarch64-linux-gnu",
];

export interface HostProbe {
  platform: NodeJS.Platform;
  env: Record<string, string | undefined>;
  exists(path: string): boolean;
  /** The linker cache's bytes, or undefined when there is none. */
  linkerCache(): Buffer | undefined;
  /** Folders holding onnxruntime-node's native binding. */
  runtimeDirs(): string[];
}

export const realHost: HostProbe = {
  platform: process.platform,
  env: process.env,
  exists: existsSync,
  linkerCache: () => {
    try {
      return readFileSync("/etc/ld.so.cache");
    } catch {
      return undefined;
    }
  },
  runtimeDirs: () => {
    try {
      const root = dirname(createRequire(import.meta.url).resolve("onnxruntime-node/package.json"));
      return [join(root, "bin", "napi-v6", "linux", process.arch === "arm64" ? "arm64" : "x64")];
    } catch {
      return [];
    }
  },
};

/** Where the Vulkan loader is, or undefined when this host has none the linker would find. */
export function findVulkanLoader(host: HostProbe = realHost): string | undefined {
  const dirs = [
    ...(host.env.LD_LIBRARY_PATH ?? "").split(":").filter(Boolean),
    ...DEFAULT_DIRS,
    ...host.runtimeDirs(),
  ];
  for (const dir of dirs) {
    const path = join(dir, VULKAN_LOADER);
    if (host.exists(path)) return path;
  }
  const cache = host.linkerCache();
  if (cache?.includes(VULKAN_LOADER)) return `${VULKAN_LOADER} (in the linker cache)`;
  return undefined;
}

/**
 * Throws an Error saying what is missing when `provider` cannot work on this host for a reason known
 * up front; returns when ONNX Runtime should be asked (which may still refuse: no GPU, no driver).
 */
export function checkProviderPrerequisites(provider: string, host: HostProbe = realHost): void {
  if (provider !== "webgpu" || host.platform !== "linux") return;
  if (findVulkanLoader(host)) return;
  throw new Error(
    `WebGPU on Linux needs the Vulkan loader (${VULKAN_LOADER}), which is not installed: install it (Debian/Ubuntu: libvulkan1) with a Vulkan GPU driver, or set VERDICT_WEBGPU_PRECHECK=0 if it is somewhere the linker finds that this check does not look`,
  );
}
