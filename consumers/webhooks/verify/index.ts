export {
  type HeadersLike,
  type VerificationErrorCode,
  type VerifiedWebhook,
  type VerifyOptions,
  verifyWebhook,
  WebhookVerificationError,
} from "./verify.ts";
