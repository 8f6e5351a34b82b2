export { FILTER_FIELDS, parseFilter, subscribes, validateSubscription } from "./match.ts";
export { activeSecrets, createSecretBox, type SecretBox } from "./secret-box.ts";
export { createSubscriptionStore, type SubscriptionStore } from "./store.ts";
export { type ChangeListener, createSubscriptionView, loadEndpoints, type SubscriptionView } from "./view.ts";
