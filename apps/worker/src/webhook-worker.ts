import { postSafely } from '@monorepo/image-processor';
import { withSpan } from '@monorepo/observability';
import type { PrometheusMonitoring } from '@monorepo/observability';
import { SpanKind } from '@opentelemetry/api';
import type { StorageAdapter } from '@monorepo/storage';
import type { UserJobs } from '@monorepo/tenant-limits';
import {
  TeamSlots,
  WebhookDeliveries,
  WebhookEndpoints,
  webhookBackoff,
  webhookPrefix,
  webhookProcessor,
  webhookTargetPolicy,
} from '@monorepo/webhooks';
import type { DeliveryJobData, WebhookEnv } from '@monorepo/webhooks';
import { Worker } from 'bullmq';
import type { ConnectionOptions, Job, Queue } from 'bullmq';
import type { RedisClient } from '@monorepo/redis-connection';
import type { Logger } from 'pino';
import { webhookFacts } from './webhook-facts.js';

/** What {@link createWebhookWorker} needs. */
export interface WebhookWorkerDeps {
  connection: ConnectionOptions;
  /** BullMQ's key prefix (`{bull}` on a Redis Cluster). */
  prefix?: string;
  settings: WebhookEnv & { WEBHOOK_CONCURRENCY: number; WEBHOOK_LOCK_MS: number };
  /** The webhook queue (deliveries are added to it) and the image queue (job events are read from it). */
  queue: Queue;
  imageQueue: Queue;
  redis: RedisClient;
  /** Each team's pending deliveries (`webhookPrefix`, `WEBHOOK_MAX_PENDING`), which the janitor also repairs. */
  teamJobs: UserJobs;
  storage: StorageAdapter;
  monitoring: PrometheusMonitoring;
  logger: Logger;
}

/**
 * The webhook queue's worker: checks recorded events and fans them out, then delivers each message to each
 * endpoint through the image sources' SSRF-safe client, retrying on the configured schedule. A worker killed
 * mid-delivery leaves the job's lock to expire; another worker then sends it again with the same `webhook-id`.
 */
export function createWebhookWorker(deps: WebhookWorkerDeps): Worker {
  const { settings, monitoring, logger } = deps;
  const prefix = webhookPrefix(settings.WEBHOOK_QUEUE_NAME);
  const policy = webhookTargetPolicy(settings);
  const processor = webhookProcessor({
    queue: deps.queue,
    endpoints: new WebhookEndpoints(deps.redis, prefix),
    deliveries: new WebhookDeliveries(deps.redis, prefix, settings.WEBHOOK_RETENTION_S),
    teamJobs: deps.teamJobs,
    inFlight: new TeamSlots(deps.redis, prefix, settings.WEBHOOK_MAX_IN_FLIGHT),
    checkFact: webhookFacts(deps.storage, deps.imageQueue),
    post: (url, body, headers) => postSafely(url, policy, body, headers),
    schedule: settings.WEBHOOK_RETRY_SCHEDULE,
    retentionS: settings.WEBHOOK_RETENTION_S,
    attemptTimeoutMs: settings.WEBHOOK_TIMEOUT_MS,
    observer: {
      increment: (name, labels, value) => monitoring.increment(name, labels, value),
      log: (level, fields, message) => logger[level](fields, message),
    },
  });
  // Each run is a consumer span in the trace of the change it reports (the traceparent the event carries).
  const traced = (job: Job, token?: string) =>
    withSpan(
      `webhook ${job.name}`,
      {
        kind: SpanKind.CONSUMER,
        ...((job.data as { traceparent?: string }).traceparent
          ? { parent: (job.data as { traceparent: string }).traceparent }
          : {}),
        attributes: { 'messaging.message.id': job.id ?? '', attempt: job.attemptsMade + 1 },
      },
      () => processor(job, token),
    );
  const worker = new Worker(settings.WEBHOOK_QUEUE_NAME, traced, {
    connection: deps.connection,
    ...(deps.prefix ? { prefix: deps.prefix } : {}),
    concurrency: settings.WEBHOOK_CONCURRENCY,
    lockDuration: settings.WEBHOOK_LOCK_MS,
    stalledInterval: settings.WEBHOOK_LOCK_MS,
    // A delivery interrupted by a dying worker is sent again, however often that happens within its schedule.
    maxStalledCount: settings.WEBHOOK_RETRY_SCHEDULE.length + 1,
    settings: { backoffStrategy: webhookBackoff(settings.WEBHOOK_RETRY_SCHEDULE) },
    autorun: false,
  });
  // A delivery in its final state (delivered, dead, skipped) leaves its team's pending count.
  const finished = (job: Job<DeliveryJobData> | undefined) => {
    if (job?.name !== 'deliver' || !job.id) return;
    void deps.teamJobs
      .finished(job.data.team, job.id)
      .catch((error: unknown) => logger.warn({ err: error }, 'webhook accounting failed'));
  };
  worker.on('completed', (job) => finished(job as Job<DeliveryJobData>));
  worker.on('failed', (job) => {
    if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) {
      if (job.name === 'deliver') monitoring.increment('webhook_dead_total');
      finished(job as Job<DeliveryJobData>);
    }
  });
  worker.on('error', (error) => logger.error({ err: error }, 'webhook worker error'));
  return worker;
}
