/**
 * Builds the app's real ports (Kafka, registry, codec, Redis) for the stack the global setup provides,
 * and topic descriptors cloned under unique names so tests never share topics or subjects.
 */
import { type AppDeps, createDeps } from "../../app/deps.ts";
import { validateConnections } from "../../lib/config/index.ts";
import { silentLogger } from "../../lib/log/index.ts";
import type { SchemaName } from "../../schemas/generated/types.ts";
import type { TopicDescriptor } from "../../topology/index.ts";
import { testStack, uniqueName } from "../helpers/index.ts";

export function testConnections() {
  const stack = testStack();
  return validateConnections({
    kafka: { brokers: stack.brokers, clientId: uniqueName("verdict-test") },
    registry: { url: stack.registryUrl },
    redis: { url: stack.redisUrl },
  });
}

export function testDeps(): AppDeps {
  return createDeps(testConnections(), silentLogger(), uniqueName("verdict-test"));
}

/** A copy of a declared topic with a unique name (and its DLQ renamed along, when given). */
export function uniqueTopic<S extends SchemaName>(
  base: TopicDescriptor<S>,
  overrides: Partial<TopicDescriptor<S>> = {},
): TopicDescriptor<S> {
  return { ...base, name: uniqueName(base.name), ...overrides };
}
