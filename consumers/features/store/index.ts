export { createMemoryFeatureStore, MemoryFeatureStore } from "./memory-store.ts";
export {
  DAY_MS,
  type RedisStoreOptions,
  type RedisStoreOptionsInput,
  resolveRedisStoreOptions,
  resolveStoreOptions,
  STORE_DEFAULTS,
  type StoreOptionsInput,
} from "./options.ts";
export { createRedisFeatureStore, RedisFeatureStore, type RedisFeatureStoreDeps } from "./redis-store.ts";
export type {
  CustomerWindow,
  FeatureStore,
  FeatureStoreOptions,
  LabelFact,
  LabelResult,
  TerminalWindow,
  TransactionFact,
  TransactionSnapshot,
  WindowQuery,
} from "./types.ts";
