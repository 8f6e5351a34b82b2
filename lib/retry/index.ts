export { type BackoffName, backoffDelay, eventually, type RetryOptions, retry, sleep } from "./retry.ts";
