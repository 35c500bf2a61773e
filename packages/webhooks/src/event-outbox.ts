import { Job } from 'bullmq';
import type { Queue } from 'bullmq';
import { eventId } from './webhook-events.js';
import type { PendingEvent, WebhookEventType } from './webhook-events.js';
import type { WebhookEndpoints } from './webhook-endpoints.js';
import { EVENT_JOB } from './webhook-queue.js';

/**
 * The transactional outbox of webhook events. A producer records an event **before** the change it reports
 * (with a deterministic id where the change has a natural one), makes the change, then releases the event. A
 * recorded event is a delayed job in the webhook queue: released, it runs at once; never released (the producer
 * crashed in between, or the change failed), it runs when its grace ends. Either way the worker first checks
 * that the change holds — the object exists and is readable, the job's result is stored — and only then sends
 * it; a change that never happened is dropped. So no crash between a change and its event loses the event, and
 * no event reports a change that is not there.
 */
export class EventOutbox {
  constructor(
    private readonly queue: Queue,
    private readonly endpoints: WebhookEndpoints,
    private readonly options: {
      graceMs: number;
      retentionS: number;
      /** The W3C trace context of the caller, carried to the deliveries (e.g. OpenTelemetry's active span). */
      traceparent?: () => string | undefined;
    },
  ) {}

  /**
   * Records an event of `team` about `subject`; `natural` names the change (same change, same message). Returns
   * its id, or undefined when no endpoint of the team wants this type (nothing is recorded).
   */
  async record(
    type: WebhookEventType,
    team: string,
    subject: Record<string, string>,
    natural?: string,
  ): Promise<string | undefined> {
    if ((await this.endpoints.subscribers(team, type)).length === 0) return undefined;
    const now = Date.now();
    const traceparent = this.options.traceparent?.();
    const event: PendingEvent = {
      id: eventId(type, team, natural),
      type,
      team,
      subject,
      recordedAt: now,
      voidAt: now + this.options.graceMs,
      ...(traceparent ? { traceparent } : {}),
    };
    await this.queue.add(EVENT_JOB, event, {
      jobId: event.id,
      delay: this.options.graceMs,
      // Retried when the check itself fails (storage or Redis briefly down).
      attempts: 8,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: { age: this.options.retentionS },
      removeOnFail: { age: this.options.retentionS },
    });
    return event.id;
  }

  /** The change of a recorded event is durable: check it and send now rather than at the end of its grace. */
  async release(id: string | undefined): Promise<void> {
    if (!id) return;
    const job = await Job.fromId(this.queue, id);
    // Not delayed any more: it ran already (a recorded event with the same id), or is running.
    await job?.promote().catch(() => undefined);
  }
}
