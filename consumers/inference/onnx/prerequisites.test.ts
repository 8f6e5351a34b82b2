import { describe, expect, it } from "vitest";
import { checkProviderPrerequisites, findVulkanLoader, type HostProbe } from "./prerequisites.ts";

function host(over: Partial<HostProbe> & { files?: string[]; cache?: string } = {}): HostProbe {
  const files = new Set(over.files ?? []);
  return {
    platform: over.platform ?? "linux",
    env: over.env ?? {},
    exists: (path) => files.has(path),
    linkerCache: () => (over.cache === undefined ? undefined : Buffer.from(over.cache)),
    runtimeDirs: () => ["/app/node_modules/onnxruntime-node/bin/napi-v6/linux/x64"],
  };
}

describe("provider prerequisites", () => {
  it("finds the Vulkan loader where the dynamic linker would: LD_LIBRARY_PATH, default dirs, linker cache", () => {
    expect(
      findVulkanLoader(
        host({ env: { LD_LIBRARY_PATH: "/opt/vk/lib:" }, files: ["/opt/vk/lib/libvulkan.so.1"] }),
      ),
    ).toBe("/opt/vk/lib/libvulkan.so.1");
    expect(findVulkanLoader(host({ files: ["/usr/lib/x86_64-linux-gnu/libvulkan.so.1"] }))).toBe(
      "/usr/lib/x86_64-linux-gnu/libvulkan.so.1",
    );
    expect(findVulkanLoader(host({ cache: "\u0000libm.so.6\u0000libvulkan.so.1\u0000" }))).toContain(
      "linker cache",
    );
    expect(findVulkanLoader(host({ files: ["/usr/lib/libvulkan.so"], cache: "libm.so.6" }))).toBeUndefined();
  });

  it("refuses webgpu on Linux without the loader, saying what to install; leaves other cases to ONNX Runtime", () => {
    expect(() => checkProviderPrerequisites("webgpu", host())).toThrow(
      /Vulkan loader \(libvulkan\.so\.1\), which is not installed: install it \(Debian\/Ubuntu: libvulkan1\)/,
    );
    expect(() =>
      checkProviderPrerequisites("webgpu", host({ files: ["/usr/lib/libvulkan.so.1"] })),
    ).not.toThrow();
    expect(() => checkProviderPrerequisites("webgpu", host({ platform: "win32" }))).not.toThrow();
    expect(() => checkProviderPrerequisites("cuda", host())).not.toThrow();
    expect(() => checkProviderPrerequisites("cpu", host())).not.toThrow();
  });
});
