export {
  AvroCodec,
  type CodecTopic,
  type DecodedValue,
  isDecodeError,
  MAGIC_BYTE,
  subjectFor,
} from "./codec.ts";
export { assertValid, type FieldProblem, findProblems } from "./validate.ts";
