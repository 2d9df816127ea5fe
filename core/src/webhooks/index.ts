export { checkPublicTarget, checkWebhookUrl, isPrivateAddress } from "./check-url.ts";
export {
  backoffDelay,
  defaultWorkerOptions,
  deliverDue,
  startWebhookWorker,
  type WebhookWorker,
  type WebhookWorkerOptions,
} from "./deliver-webhooks.ts";
export * from "./manage-webhooks.ts";
export { postEvent } from "./post-event.ts";
export { DEFAULT_WEBHOOK_RETENTION_DAYS, pruneWebhookHistory, startWebhookPruner } from "./prune-webhooks.ts";
export { sequenceEvents } from "./sequence-events.ts";
export { newWebhookSecret, signEvent } from "./sign-event.ts";
