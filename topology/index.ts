export { type ApplyOptions, type ApplyReport, applyTopology, type Drift, topicConfig } from "./apply.ts";
export { allTopics, TOPIC_PREFIX, TOPICS, type TopicId, topicByName } from "./topics.ts";
export type { TopicDescriptor, TopicRole } from "./types.ts";
