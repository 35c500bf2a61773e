export { EventOutbox } from './event-outbox.js';
export { TeamSlots } from './team-slots.js';
export { WebhookDeliveries } from './webhook-deliveries.js';
export type { DeliveryAttempt, DeliveryOutcome } from './webhook-deliveries.js';
export { WebhookEndpoints, publicEndpoint, signingSecrets } from './webhook-endpoints.js';
export type { EndpointSecret, WebhookEndpoint } from './webhook-endpoints.js';
export { WEBHOOK_EVENT_TYPES, eventId } from './webhook-events.js';
export type { FactCheck, PendingEvent, WebhookEventType } from './webhook-events.js';
export { webhookProcessor } from './webhook-processor.js';
export type { WebhookObserver, WebhookPost, WebhookProcessorDeps } from './webhook-processor.js';
export {
  DELIVER_JOB,
  EVENT_JOB,
  WEBHOOK_BACKOFF,
  deliveryJobId,
  deliveryJobOptions,
  webhookBackoff,
  webhookPrefix,
} from './webhook-queue.js';
export type { DeliveryJobData } from './webhook-queue.js';
export { parseRetrySchedule, webhookEnvShape, webhookTargetPolicy } from './webhook-settings.js';
export type { WebhookEnv } from './webhook-settings.js';
export { newWebhookSecret, signWebhook } from './webhook-signature.js';
