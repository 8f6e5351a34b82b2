export {
  deriveHeaders,
  type EventHeaders,
  fromKafkaHeaders,
  HEADER,
  headerString,
  ORIGIN_TIMESTAMP,
  toKafkaHeaders,
} from "./headers.ts";
export { childOf, formatTraceparent, newTrace, parseTraceparent, type TraceContext } from "./traceparent.ts";
