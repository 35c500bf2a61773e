import './threadpool.js';
import os from 'node:os';
import { DERIVED_ACCESS_KEY, DERIVED_SOURCES_KEY, configureSharp } from '@monorepo/image-processor';
import {
  PrometheusMonitoring,
  createLogger,
  startTracing,
  traceStorageOperations,
} from '@monorepo/observability';
import { StorageFactory } from '@monorepo/storage';
import { RequestRateLimiter } from '@monorepo/tenant-limits';
import { RedisConnections, describeRedis } from '@monorepo/redis-connection';
import { loadImagingConfig } from './imaging-config.js';
import { ImagingMetrics } from './imaging-metrics.js';
import { createImagingApp, listen } from './imaging-server.js';
import { RenderLock } from './render-lock.js';
import { RenderService } from './render-service.js';
import { RenderSlots } from './render-slots.js';

const logger = createLogger('imaging');

async function main(): Promise<void> {
  const config = loadImagingConfig();
  logger.level = config.LOG_LEVEL;
  // One libvips thread per render: parallel renders use the cores (as the worker does).
  const sharpSettings = configureSharp();
  // OpenTelemetry from the standard OTEL_* variables; off (and never loaded) when no endpoint is set.
  await startTracing('imaging');
  const monitoring = new PrometheusMonitoring({ prefix: 'imaging_storage_' });
  const storage = StorageFactory.createAdapter(config.storage, {
    monitoring: traceStorageOperations(monitoring),
  });
  // Fail fast while Redis is down (answered as 503) rather than queue commands in memory.
  // One server, a Sentinel master or a Cluster (REDIS_URL | REDIS_SENTINELS | REDIS_CLUSTER_NODES).
  const connections = new RedisConnections(config.redis);
  const redis = connections.client({ enableOfflineQueue: true, maxRetriesPerRequest: 1 });
  const subscriber = connections.client({ maxRetriesPerRequest: null });
  for (const client of [redis, subscriber])
    client.on('error', (error) => logger.warn({ err: error }, 'redis connection error'));
  const slots = new RenderSlots(
    config.IMAGING_CONCURRENCY,
    config.IMAGING_QUEUE_MAX,
    config.IMAGING_QUEUE_TIMEOUT_MS,
  );
  const metrics = new ImagingMetrics(monitoring, () => ({
    active: slots.active,
    queued: slots.queued,
  }));
  const lock = new RenderLock(redis, subscriber, {
    lockTtlMs: (config.IMAGING_TIMEOUT_S * 2 + 30) * 1000,
    waitTimeoutMs: config.IMAGING_WAIT_TIMEOUT_MS,
    failureTtlMs: config.IMAGING_FAILURE_TTL_S * 1000,
  });
  const service = new RenderService({
    storage,
    keys: config.IMAGING_KEYS,
    presets: config.IMAGING_PRESETS,
    lock,
    slots,
    rate: new RequestRateLimiter(redis, {
      prefix: 'imaging',
      limit: config.IMAGING_TEAM_RENDER_RATE,
      windowSeconds: config.IMAGING_TEAM_RENDER_WINDOW_S,
    }),
    metrics,
    logger,
    touch: (key, source) => {
      // Two commands, not one MULTI: on a Redis Cluster the two keys live in different slots.
      redis.zadd(DERIVED_ACCESS_KEY, Date.now(), key).catch(() => {});
      if (source)
        redis.hset(DERIVED_SOURCES_KEY, key, `${source.key}\n${source.version}`).catch(() => {});
    },
    settings: {
      ...(config.storage.type === 's3' ? { bucket: config.storage.s3.bucket } : {}),
      allowRemote: config.IMAGING_ALLOW_REMOTE,
      policy: {
        allowPrivateNetworks: config.IMAGE_ALLOW_PRIVATE_NETWORKS,
        allowedHosts: config.IMAGE_ALLOWED_HOSTS,
        allowedPorts: config.IMAGE_ALLOWED_PORTS,
        maxBytes: config.IMAGE_MAX_SOURCE_BYTES,
        connectTimeoutMs: 5000,
        totalTimeoutMs: config.IMAGING_TIMEOUT_S * 1000,
        maxRedirects: 3,
      },
      maxSourceBytes: config.IMAGE_MAX_SOURCE_BYTES,
      maxPixels: config.IMAGE_MAX_PIXELS,
      maxOutputPixels: config.IMAGING_MAX_OUTPUT_PIXELS,
      timeoutSeconds: config.IMAGING_TIMEOUT_S,
      accelRedirect: config.IMAGING_ACCEL_REDIRECT,
    },
  });
  const app = createImagingApp({
    service,
    prefix: config.IMAGING_PATH_PREFIX,
    checks: { redis: () => redis.ping(), storage: () => storage.checkHealth() },
    monitoring,
    metrics,
    logger,
  });
  const { server, port } = await listen(app, config.IMAGING_PORT, config.IMAGING_HOST);
  logger.info(
    {
      port,
      storage: config.storage.type,
      redis: describeRedis(config.redis),
      teams: new Set(config.IMAGING_KEYS.map((k) => k.team)).size,
      concurrency: config.IMAGING_CONCURRENCY,
      queueMax: config.IMAGING_QUEUE_MAX,
      accelRedirect: config.IMAGING_ACCEL_REDIRECT || undefined,
      sharp: sharpSettings,
      cores: os.availableParallelism(),
    },
    'imaging started',
  );
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'imaging shutting down');
    server.close(() => {
      void lock.close().finally(() => {
        void connections.close().finally(() => process.exit(0));
      });
    });
    setTimeout(() => process.exit(0), 10_000).unref();
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  logger.fatal({ err: error }, 'imaging failed to start');
  process.exit(1);
});
