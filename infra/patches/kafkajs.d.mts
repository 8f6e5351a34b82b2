/** [module id, [original source, replacement][]] per patched KafkaJS file. */
export const PATCHES: [string, [string, string][]][];
export function applyPatches(
  resolve?: (id: string) => string,
): { id: string; status: "absent" | "patched already" | "patched" | string }[];
export function patchStatus(
  resolve?: (id: string) => string,
): { id: string; status: "patched" | "unpatched" | "unknown version" | "absent" }[];
