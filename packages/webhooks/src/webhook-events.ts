import { createHash, randomUUID } from 'node:crypto';

/** The events a team can subscribe an endpoint to. */
export const WEBHOOK_EVENT_TYPES = [
  'upload.completed',
  'job.completed',
  'job.failed',
  'file.deleted',
  'file.visibility_changed',
] as const;

/** One of {@link WEBHOOK_EVENT_TYPES}. */
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/**
 * An event recorded in the outbox before the change it reports: what it is about (`subject`), and until when
 * that change may still be under way (`voidAt`); past it, an event whose change never happened is dropped.
 */
export interface PendingEvent {
  /** The message id (`webhook-id`), the same on every attempt and every redelivery. */
  id: string;
  type: WebhookEventType;
  team: string;
  subject: Record<string, string>;
  recordedAt: number;
  voidAt: number;
  /** The W3C trace context of whoever recorded it, carried to every delivery (one trace per change). */
  traceparent?: string;
}

/**
 * What the outbox found when it looked at an event's change: it `holds` (durable and readable, with the data to
 * send), is still `pending`, or is `void` (it did not happen, or was undone before it could be reported).
 */
export type FactCheck =
  | { state: 'holds'; data: Record<string, unknown> }
  | { state: 'pending' }
  | { state: 'void'; why: string };

/**
 * A message id derived from what the event is about, so recording the same fact twice (a retried request, a job
 * run again after a crash) yields one message; without `natural`, a fresh id.
 */
export function eventId(type: WebhookEventType, team: string, natural?: string): string {
  if (natural === undefined) return `msg_${randomUUID().replaceAll('-', '')}`;
  const digest = createHash('sha256').update(`${type}\n${team}\n${natural}`).digest('hex');
  return `msg_${digest.slice(0, 32)}`;
}
