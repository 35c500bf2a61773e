import {
  EventOutbox,
  WebhookDeliveries,
  WebhookEndpoints,
  webhookPrefix,
} from '@monorepo/webhooks';
import { currentTraceparent } from '@monorepo/observability';
import { UserJobs } from '@monorepo/tenant-limits';
import type { RedisClient, RedisConnections } from '@monorepo/redis-connection';
import { Queue } from 'bullmq';
import type { ApiConfig } from '../api-config.js';

/** What the API does with webhooks: manage endpoints, record events in the outbox, read and redeliver attempts. */
export interface ApiWebhooks {
  endpoints: WebhookEndpoints;
  deliveries: WebhookDeliveries;
  outbox: EventOutbox;
  /** The webhook queue (redeliveries are added to it). */
  queue: Queue;
  /** Pending deliveries per team: a redelivery is admitted like any delivery. */
  teamJobs: UserJobs;
  close(): Promise<void>;
}

/** Builds the API's webhook parts on the limits' Redis connection and a queue handle of their own. */
export function createApiWebhooks(
  redis: RedisClient,
  config: ApiConfig,
  connections: RedisConnections,
): ApiWebhooks {
  const prefix = webhookPrefix(config.WEBHOOK_QUEUE_NAME);
  const queue = new Queue(config.WEBHOOK_QUEUE_NAME, {
    connection: connections.client({ enableOfflineQueue: false, maxRetriesPerRequest: 1 }),
    prefix: connections.bullPrefix,
  });
  const endpoints = new WebhookEndpoints(redis, prefix);
  return {
    endpoints,
    deliveries: new WebhookDeliveries(redis, prefix, config.WEBHOOK_RETENTION_S),
    outbox: new EventOutbox(queue, endpoints, {
      graceMs: config.WEBHOOK_OUTBOX_GRACE_MS,
      retentionS: config.WEBHOOK_RETENTION_S,
      traceparent: currentTraceparent,
    }),
    queue,
    teamJobs: new UserJobs(redis, { prefix, maxPending: config.WEBHOOK_MAX_PENDING }),
    close: () => queue.close(),
  };
}
