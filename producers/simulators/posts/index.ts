/**
 * The post simulator: public surface. See ../README.md.
 *
 * Publishers: `streamPostEvents(options)` → AsyncGenerator of `{ kind: "post", event, truth }`.
 */
export { POST_DEFAULTS, type PostSimulatorInput, postOptionsSchema, resolvePostOptions } from "./options.ts";
export {
  authorIdOf,
  generatePosts,
  POST_STREAM,
  postIdOf,
  simulatePosts,
  streamPostEvents,
} from "./simulator.ts";
export { type PostStats, summarizePosts } from "./stats.ts";
export { composeText } from "./text.ts";
export {
  ABUSIVE_CATEGORIES,
  type AbusiveCategory,
  CLEAN_CATEGORIES,
  type CleanCategory,
  type PostCategory,
  type PostSimEvent,
  type PostSimulatorOptions,
  type PostStreamOptions,
  type PostTruth,
} from "./types.ts";
