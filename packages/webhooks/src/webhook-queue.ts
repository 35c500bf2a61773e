import type { JobsOptions } from 'bullmq';
import type { WebhookEventType } from './webhook-events.js';

/** The job that looks at a recorded event's change and, once it holds, fans it out to the team's endpoints. */
export const EVENT_JOB = 'event';
/** The job that delivers one message to one endpoint, retried on the configured schedule. */
export const DELIVER_JOB = 'deliver';
/** The backoff type of deliveries, computed by {@link webhookBackoff} from the configured schedule. */
export const WEBHOOK_BACKOFF = 'webhook-schedule';

/** One message to one endpoint. */
export interface DeliveryJobData {
  eventId: string;
  type: WebhookEventType;
  team: string;
  endpointId: string;
  redelivery?: boolean;
  /** The W3C trace context of the event's recorder. */
  traceparent?: string;
}

/** Redis key prefix of everything webhooks keep besides the queue itself. */
export function webhookPrefix(queueName: string): string {
  return `webhooks:${queueName}`;
}

/** The delivery job id: one per message and endpoint, so adding it twice (a fan-out run again) adds it once. */
export function deliveryJobId(eventId: string, endpointId: string, redelivery?: number): string {
  return `${eventId}.${endpointId}${redelivery === undefined ? '' : `.r${redelivery}`}`;
}

/** Options of a delivery: one first attempt and one retry per wait of the schedule, then it is dead. */
export function deliveryJobOptions(
  schedule: readonly number[],
  retentionS: number,
  priority?: number,
): JobsOptions {
  return {
    attempts: schedule.length + 1,
    backoff: { type: WEBHOOK_BACKOFF },
    ...(priority ? { priority } : {}),
    removeOnComplete: { age: retentionS },
    removeOnFail: { age: retentionS },
  };
}

/** The worker's backoff strategy: the schedule's wait before retry number `attemptsMade`. */
export function webhookBackoff(schedule: readonly number[]) {
  return (attemptsMade: number, type?: string): number => {
    if (type !== WEBHOOK_BACKOFF) return 1000 * 2 ** Math.max(0, attemptsMade - 1);
    return schedule[Math.min(Math.max(attemptsMade, 1), schedule.length) - 1]!;
  };
}
