export { ERROR_CODES, type ErrorCode } from "./codes.ts";
export {
  errorCode,
  errorMessage,
  isProgrammingError,
  isRetriable,
  UnrecoverableError,
  VerdictError,
  type VerdictErrorOptions,
} from "./errors.ts";
