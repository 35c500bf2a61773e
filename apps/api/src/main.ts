import 'reflect-metadata';
import type { Server } from 'node:http';
import {
  PrometheusMonitoring,
  createLogger,
  startTracing,
  traceStorageOperations,
} from '@monorepo/observability';
import { StorageFactory } from '@monorepo/storage';
import { RedisConnections, describeRedis } from '@monorepo/redis-connection';
import { loadApiConfig } from './api-config.js';
import { createApp } from './create-app.js';
import { DurableQueue } from './images/durable-queue.js';
import { JobWaiters } from './images/job-waiters.js';
import { createApiLimits } from './limits/api-limits.js';
import { createApiWebhooks } from './webhooks/api-webhooks.js';
import { registerTeamMetrics } from './usage/team-metrics.js';

const logger = createLogger('api');

async function main(): Promise<void> {
  const config = loadApiConfig();
  logger.level = config.LOG_LEVEL;
  // OpenTelemetry from the standard OTEL_* variables; off (and never loaded) when no endpoint is set.
  const tracing = await startTracing('api');
  const monitoring = new PrometheusMonitoring({ prefix: 'api_' });
  const storage = StorageFactory.createAdapter(config.storage, {
    monitoring: traceStorageOperations(monitoring),
  });
  // One server, a Sentinel master or a Cluster (REDIS_URL | REDIS_SENTINELS | REDIS_CLUSTER_NODES).
  const redis = new RedisConnections(config.redis);
  // Producers fail fast while Redis is down or failing over (answered as 503) instead of queueing commands in
  // memory; a job is acknowledged only once it reached a replica (under Sentinel).
  const queue = new DurableQueue(config.IMAGE_QUEUE_NAME, redis, {
    connection: redis.client({ enableOfflineQueue: false, maxRetriesPerRequest: 1 }),
    prefix: redis.bullPrefix,
  });
  queue.on('error', (error) => logger.warn({ err: error }, 'queue connection error'));
  // Limits fail fast too: while Redis is down, limited routes answer 503 rather than wait or skip the checks.
  const limitsRedis = redis.client({ enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  limitsRedis.on('error', (error) => logger.warn({ err: error }, 'limits connection error'));
  const limits = createApiLimits(limitsRedis, config);
  // Usage counters of the key layout before per-user hash tags are carried over once (the janitor does it too).
  limitsRedis.once('ready', () => {
    limits.usage
      .migrateLegacy()
      .then(
        (users) => users && logger.info({ users }, 'usage counters migrated to the new key layout'),
      )
      .catch((error: unknown) => logger.warn({ err: error }, 'usage migration failed'));
  });
  const waiters = new JobWaiters(
    config.IMAGE_QUEUE_NAME,
    { connection: redis.client({ maxRetriesPerRequest: null }), prefix: redis.bullPrefix },
    { max: config.API_MAX_JOB_WAITERS, maxPerUser: config.API_MAX_JOB_WAITERS_PER_KEY },
    logger,
  );
  const webhooks = createApiWebhooks(limitsRedis, config, redis);
  webhooks.queue.on('error', (error) =>
    logger.warn({ err: error }, 'webhook queue connection error'),
  );
  registerTeamMetrics(monitoring.registry, { config, limits, webhooks });
  const app = await createApp({
    config,
    storage,
    queue,
    logger,
    monitoring,
    limits,
    waiters,
    webhooks,
  });
  const server = app.getHttpServer() as Server;
  // A slow or stalled client cannot hold a connection: the whole request, and its headers, are bounded.
  server.requestTimeout = config.API_REQUEST_TIMEOUT_MS;
  server.headersTimeout = config.API_HEADERS_TIMEOUT_MS;
  // nginx keeps idle upstream connections up to its `keepalive_timeout` (60 s in the upstream block): the API must
  // keep them longer, or it may close one just as nginx sends a request on it, which nginx answers with 502 and
  // does not retry for a POST.
  server.keepAliveTimeout = 65_000;
  await app.listen(config.API_PORT, config.API_HOST);
  logger.info(
    {
      port: config.API_PORT,
      storage: config.storage.type,
      queue: config.IMAGE_QUEUE_NAME,
      keys: config.keys.size,
      redis: describeRedis(config.redis),
    },
    'api started',
  );
  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'api shutting down');
    await app.close();
    await queue.close();
    await waiters.close();
    await webhooks.close();
    await tracing.shutdown();
    await redis.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  logger.fatal({ err: error }, 'api failed to start');
  process.exit(1);
});
