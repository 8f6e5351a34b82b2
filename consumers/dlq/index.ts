export {
  type LetterAt,
  type LetterFilter,
  matches,
  type ReplayResult,
  readDeadLetters,
  replayDeadLetters,
} from "./dlq.ts";
export { readAll } from "./read-all.ts";
