export { ConfluentRegistry } from "./registry.ts";
export type { CompatibilityLevel, RegistryOptions, SchemaRegistryPort } from "./types.ts";
