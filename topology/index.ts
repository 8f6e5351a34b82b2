export { type ApplyOptions, type ApplyReport, applyTopology, type Drift, topicConfig } from "./apply.ts";
export { allTopics, TOPICS, type TopicId, topicByName } from "./topics.ts";
export type { TopicDescriptor, TopicRole } from "./types.ts";
