export { ERROR_CODES, type ErrorCode } from "./codes.ts";
export {
  errorCode,
  errorMessage,
  isProgrammingError,
  isRetriable,
  settingPath,
  UnrecoverableError,
  VerdictError,
  type VerdictErrorOptions,
} from "./errors.ts";
