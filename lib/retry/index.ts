export { type BackoffName, backoffDelay, type RetryOptions, retry, sleep } from "./retry.ts";
