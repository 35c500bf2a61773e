import { DelayedError } from 'bullmq';
import type { Job, Queue } from 'bullmq';
import type { UserJobs } from '@monorepo/tenant-limits';
import type { FactCheck, PendingEvent } from './webhook-events.js';
import type { WebhookDeliveries, DeliveryOutcome } from './webhook-deliveries.js';
import { signingSecrets } from './webhook-endpoints.js';
import type { WebhookEndpoints } from './webhook-endpoints.js';
import { DELIVER_JOB, EVENT_JOB, deliveryJobId, deliveryJobOptions } from './webhook-queue.js';
import type { DeliveryJobData } from './webhook-queue.js';
import { signWebhook } from './webhook-signature.js';
import type { TeamSlots } from './team-slots.js';

/** Sends one signed message to a target (the SSRF-safe POST of the image sources, in the worker). */
export type WebhookPost = (
  url: string,
  body: string,
  headers: Record<string, string>,
) => Promise<{ status: number }>;

/** Counters and log lines of deliveries (the worker's Prometheus `Monitoring` and pino logger fit). */
export interface WebhookObserver {
  increment(name: string, labels?: Record<string, string>, value?: number): void;
  log(level: 'info' | 'warn', fields: Record<string, unknown>, message: string): void;
}

/** What {@link webhookProcessor} needs. */
export interface WebhookProcessorDeps {
  queue: Queue;
  endpoints: WebhookEndpoints;
  deliveries: WebhookDeliveries;
  /** Pending deliveries per team (cap and fair priorities). */
  teamJobs: UserJobs;
  /** Deliveries per team attempted at once. */
  inFlight: TeamSlots;
  /** Whether an event's change holds (see `EventOutbox`). */
  checkFact: (event: PendingEvent) => Promise<FactCheck>;
  post: WebhookPost;
  schedule: readonly number[];
  retentionS: number;
  /** How long one attempt may take (the lease of its team slot). */
  attemptTimeoutMs: number;
  observer: WebhookObserver;
  /** How soon a pending change, or a team at its cap, is looked at again (default 1 s). */
  recheckMs?: number;
}

const USER_AGENT = 'monorepo-webhooks/1';

/** The webhook queue's processor: `event` jobs are checked and fanned out, `deliver` jobs are attempted. */
export function webhookProcessor(deps: WebhookProcessorDeps) {
  const recheckMs = deps.recheckMs ?? 1000;

  const later = async (job: Job, token: string | undefined): Promise<never> => {
    await job.moveToDelayed(Date.now() + recheckMs, token);
    throw new DelayedError();
  };

  async function fanOut(job: Job<PendingEvent>, token?: string): Promise<unknown> {
    const event = job.data;
    const fact = await deps.checkFact(event);
    if (fact.state === 'pending' && Date.now() < event.voidAt) return later(job, token);
    if (fact.state !== 'holds') {
      const why = fact.state === 'void' ? fact.why : 'the change did not happen within its grace';
      deps.observer.increment('webhook_events_total', { outcome: 'void' });
      deps.observer.log('info', { eventId: event.id, type: event.type, why }, 'webhook event void');
      return { outcome: 'void', why };
    }
    await deps.deliveries.keepMessage(
      event.id,
      JSON.stringify({ type: event.type, timestamp: new Date().toISOString(), data: fact.data }),
    );
    let sent = 0;
    for (const endpoint of await deps.endpoints.subscribers(event.team, event.type)) {
      const jobId = deliveryJobId(event.id, endpoint.id);
      if (await deps.queue.getJob(jobId)) continue; // added by an earlier run of this fan-out
      const priority = await deps.teamJobs.admit(event.team, jobId);
      // The team has its maximum of deliveries pending: the event waits in the outbox.
      if (priority === undefined) return later(job, token);
      const data: DeliveryJobData = {
        eventId: event.id,
        type: event.type,
        team: event.team,
        endpointId: endpoint.id,
        ...(event.traceparent ? { traceparent: event.traceparent } : {}),
      };
      await deps.queue.add(DELIVER_JOB, data, {
        ...deliveryJobOptions(deps.schedule, deps.retentionS, priority),
        jobId,
      });
      sent += 1;
    }
    deps.observer.increment('webhook_events_total', { outcome: 'sent' });
    return { outcome: 'sent', endpoints: sent };
  }

  async function deliver(job: Job<DeliveryJobData>, token?: string): Promise<unknown> {
    const { eventId, team, endpointId, type } = job.data;
    const attempt = job.attemptsMade + 1;
    const last = attempt >= (job.opts.attempts ?? 1);
    const record = (
      outcome: DeliveryOutcome,
      ms: number,
      answer: { status?: number; error?: string },
    ) =>
      deps.deliveries.record(team, endpointId, {
        eventId,
        type,
        attempt,
        redelivery: Boolean(job.data.redelivery),
        at: new Date().toISOString(),
        ...answer,
        ms,
        outcome,
      });
    const endpoint = await deps.endpoints.get(team, endpointId);
    const body = await deps.deliveries.message(eventId);
    if (!endpoint || !body) {
      deps.observer.increment('webhook_deliveries_total', { outcome: 'skipped' });
      return { outcome: 'skipped', why: endpoint ? 'message expired' : 'endpoint deleted' };
    }
    const holder = job.id!;
    if (!(await deps.inFlight.take(team, holder, deps.attemptTimeoutMs + 5_000)))
      return later(job, token);
    const started = performance.now();
    let answer: { status?: number; error?: string };
    try {
      const timestamp = Math.floor(Date.now() / 1000);
      const { status } = await deps.post(endpoint.url, body, {
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
        'webhook-id': eventId,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signWebhook(signingSecrets(endpoint), eventId, timestamp, body),
      });
      answer = { status };
    } catch (error) {
      answer = { error: (error as Error)?.message ?? String(error) };
    } finally {
      await deps.inFlight.release(team, holder).catch(() => undefined);
    }
    const ms = Math.round(performance.now() - started);
    const ok = answer.status !== undefined && answer.status >= 200 && answer.status < 300;
    const outcome: DeliveryOutcome = ok ? 'delivered' : last ? 'dead' : 'retrying';
    await record(outcome, ms, answer);
    deps.observer.increment('webhook_attempts_total', { outcome });
    deps.observer.log(
      ok ? 'info' : 'warn',
      { eventId, endpointId, team, attempt, ms, ...answer, outcome },
      'webhook attempt',
    );
    if (!ok)
      throw new Error(
        answer.status !== undefined ? `receiver answered HTTP ${answer.status}` : answer.error,
      );
    return { outcome: 'delivered', status: answer.status };
  }

  return async (job: Job, token?: string): Promise<unknown> => {
    if (job.name === EVENT_JOB) return fanOut(job as Job<PendingEvent>, token);
    if (job.name === DELIVER_JOB) return deliver(job as Job<DeliveryJobData>, token);
    throw new Error(`unknown webhook job ${job.name}`);
  };
}
