export {
  consumeN,
  kafkaForTests,
  type RawMessage,
  scramSasl,
  type TestTopicSpec,
  testStack,
  withTopics,
} from "./kafka.ts";
export { uniqueName } from "./names.ts";
