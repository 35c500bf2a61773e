import { ImageProcessor, configureSharp } from '@monorepo/image-processor';
import { imageJobOptions, limitsPrefix } from '@monorepo/image-queue';
import {
  PrometheusMonitoring,
  createLogger,
  currentTraceparent,
  startTracing,
  traceStorageOperations,
} from '@monorepo/observability';
import { StorageFactory } from '@monorepo/storage';
import { UploadIntents, UsageLedger, UserJobs } from '@monorepo/tenant-limits';
import { EventOutbox, WebhookEndpoints, webhookPrefix } from '@monorepo/webhooks';
import { RedisConnections, describeRedis } from '@monorepo/redis-connection';
import { Queue } from 'bullmq';
import { Gauge } from 'prom-client';
import { createHealthApp, listen } from './health-server.js';
import { createImageWorker } from './image-worker.js';
import { createWebhookWorker } from './webhook-worker.js';
import { startJanitor } from './janitor.js';
import { loadWorkerConfig } from './worker-config.js';

const logger = createLogger('worker');

async function main(): Promise<void> {
  const config = loadWorkerConfig();
  logger.level = config.LOG_LEVEL;
  const sharpSettings = configureSharp();
  // OpenTelemetry from the standard OTEL_* variables; off (and never loaded) when no endpoint is set.
  const tracing = await startTracing('worker');
  const monitoring = new PrometheusMonitoring({ prefix: 'worker_' });
  const storage = StorageFactory.createAdapter(config.storage, {
    monitoring: traceStorageOperations(monitoring),
  });
  const processor = new ImageProcessor(storage, monitoring, {
    allowPrivateNetworks: config.IMAGE_ALLOW_PRIVATE_NETWORKS,
    allowedHosts: config.IMAGE_ALLOWED_HOSTS,
    allowedPorts: config.IMAGE_ALLOWED_PORTS,
    maxSourceBytes: config.IMAGE_MAX_SOURCE_BYTES,
    maxInputPixels: config.IMAGE_MAX_PIXELS,
    presets: config.IMAGE_PRESETS,
    maxVideoBytes: config.IMAGE_MAX_VIDEO_BYTES,
    maxVideoSeconds: config.IMAGE_MAX_VIDEO_SECONDS,
  });
  // One server, a Sentinel master or a Cluster (REDIS_URL | REDIS_SENTINELS | REDIS_CLUSTER_NODES). BullMQ's
  // commands wait through an outage or a failover (no retry cap), as its workers require.
  const redis = new RedisConnections(config.redis);
  const connection = redis.client({ maxRetriesPerRequest: null, enableOfflineQueue: true });
  connection.on('error', (error) => logger.warn({ err: error }, 'queue connection error'));
  const prefix = redis.bullPrefix;
  // A queue handle for depth metrics and removals (jobs are added by the API).
  const queue = new Queue(config.IMAGE_QUEUE_NAME, {
    connection,
    prefix,
    defaultJobOptions: imageJobOptions(),
  });
  const limitsRedis = redis.client({ maxRetriesPerRequest: 3 });
  limitsRedis.on('error', (error) => logger.warn({ err: error }, 'limits connection error'));
  const limits = limitsPrefix(config.IMAGE_QUEUE_NAME);
  const userJobs = new UserJobs(limitsRedis, {
    prefix: limits,
    keepFinished: config.IMAGE_KEEP_FINISHED_PER_USER,
  });
  const webhookQueue = new Queue(config.WEBHOOK_QUEUE_NAME, { connection, prefix });
  // Recording an event waits through a Redis outage (like BullMQ's own commands) rather than fail a finished job,
  // which would then run again.
  const outboxRedis = redis.client({ maxRetriesPerRequest: null });
  outboxRedis.on('error', (error) => logger.warn({ err: error }, 'outbox connection error'));
  const events = new EventOutbox(
    webhookQueue,
    new WebhookEndpoints(outboxRedis, webhookPrefix(config.WEBHOOK_QUEUE_NAME)),
    {
      graceMs: config.WEBHOOK_OUTBOX_GRACE_MS,
      retentionS: config.WEBHOOK_RETENTION_S,
      traceparent: currentTraceparent,
    },
  );
  const teamDeliveries = new UserJobs(limitsRedis, {
    prefix: webhookPrefix(config.WEBHOOK_QUEUE_NAME),
    maxPending: config.WEBHOOK_MAX_PENDING,
  });
  const webhookWorker = createWebhookWorker({
    connection,
    prefix,
    settings: config,
    queue: webhookQueue,
    imageQueue: queue,
    redis: limitsRedis,
    teamJobs: teamDeliveries,
    storage,
    monitoring,
    logger,
  });
  const worker = createImageWorker({
    connection,
    prefix,
    queueName: config.IMAGE_QUEUE_NAME,
    concurrency: config.WORKER_CONCURRENCY,
    lockDurationMs: config.WORKER_LOCK_DURATION_MS,
    stalledIntervalMs: config.WORKER_STALLED_INTERVAL_MS,
    processor,
    monitoring,
    logger,
    userJobs,
    queue,
    jobTimeoutMs: config.IMAGE_JOB_TIMEOUT_MS,
    events,
  });
  // Reconciles and expires only: quotas are the API's to enforce.
  const ledger = new UsageLedger(limitsRedis, { prefix: limits });
  const janitor = await startJanitor({
    connection,
    prefix,
    queueName: config.IMAGE_QUEUE_NAME,
    everyMs: config.WORKER_JANITOR_INTERVAL_MS,
    staleAfterMs: config.WORKER_JANITOR_STALE_MS,
    storage,
    ledger,
    intents: new UploadIntents(ledger),
    userJobs,
    imageQueue: queue,
    monitoring,
    logger,
    derived: { redis: limitsRedis, maxBytes: config.IMAGING_CACHE_MAX_BYTES },
    webhooks: { queue: webhookQueue, teamJobs: teamDeliveries },
  });
  const depth = new Gauge({
    name: 'worker_queue_jobs',
    help: 'Jobs in the image queue by state',
    labelNames: ['state'],
    registers: [monitoring.registry],
  });
  const app = createHealthApp(
    {
      redis: async () => ((await worker.client) as unknown as { ping(): Promise<string> }).ping(),
      storage: () => storage.checkHealth(),
    },
    monitoring,
    async () => {
      const counts = await queue.getJobCounts(
        'waiting',
        'active',
        'delayed',
        'completed',
        'failed',
        'prioritized',
      );
      for (const [state, count] of Object.entries(counts)) depth.set({ state }, count);
    },
    (check, error) => logger.warn({ check, err: error }, 'not ready'),
  );
  const { server, port } = await listen(app, config.WORKER_HTTP_PORT, config.WORKER_HTTP_HOST);
  worker.run().catch((error: unknown) => logger.error({ err: error }, 'worker stopped running'));
  webhookWorker
    .run()
    .catch((error: unknown) => logger.error({ err: error }, 'webhook worker stopped running'));
  logger.info(
    {
      queue: config.IMAGE_QUEUE_NAME,
      concurrency: config.WORKER_CONCURRENCY,
      httpPort: port,
      storage: config.storage.type,
      redis: describeRedis(config.redis),
      sharp: sharpSettings,
    },
    'worker started',
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(
      { signal, timeoutMs: config.WORKER_SHUTDOWN_TIMEOUT_MS },
      'shutting down: finishing active jobs',
    );
    const timer = setTimeout(() => {
      // Jobs still running keep their lock until it expires; another worker then picks them up as stalled.
      logger.warn('shutdown timeout: releasing active jobs');
      // A forced close cannot cut short the close already waiting for those jobs (BullMQ hands back that same
      // promise), so the process ends after a short grace whatever it is doing.
      const forced = Promise.all([worker.close(true), webhookWorker.close(true)]);
      void Promise.race([forced, new Promise((resolve) => setTimeout(resolve, 1000))]).finally(
        () => {
          logger.info('worker stopped');
          process.exit(0);
        },
      );
    }, config.WORKER_SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    try {
      await Promise.all([worker.close(), webhookWorker.close()]);
      await janitor.close();
      await webhookQueue.close();
      await queue.close();
      await redis.close();
      await tracing.shutdown();
    } finally {
      server.close();
      clearTimeout(timer);
      logger.info('worker stopped');
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  logger.fatal({ err: error }, 'worker failed to start');
  process.exit(1);
});
