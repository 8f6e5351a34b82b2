export {
  deriveHeaders,
  type EventHeaders,
  fromKafkaHeaders,
  HEADER,
  ORIGIN_TIMESTAMP,
  headerString,
  toKafkaHeaders,
} from "./headers.ts";
export { childOf, formatTraceparent, newTrace, parseTraceparent, type TraceContext } from "./traceparent.ts";
