import os from 'node:os';
import { presetEnvShape, sourcePolicyEnvShape } from '@monorepo/image-processor/contract';
import { DEFAULT_IMAGE_QUEUE } from '@monorepo/image-queue';
import { loadServiceConfig } from '@monorepo/storage';
import { REDIS_ENV_VARS, redisConfigFromEnv } from '@monorepo/redis-connection';
import type { RedisConfig } from '@monorepo/redis-connection';
import type { StorageConfig } from '@monorepo/storage';
import { parseSize } from '@monorepo/tenant-limits';
import { webhookEnvShape } from '@monorepo/webhooks';
import { z } from 'zod';

const int = (min: number) => z.coerce.number().int().min(min);

const schema = z.object({
  // Redis is read by redisConfigFromEnv: REDIS_URL, or REDIS_SENTINELS + REDIS_SENTINEL_NAME, or REDIS_CLUSTER_NODES.
  IMAGE_QUEUE_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .default(DEFAULT_IMAGE_QUEUE),
  WORKER_CONCURRENCY: int(1).default(os.availableParallelism()),
  WORKER_HTTP_PORT: int(0).max(65535).default(3001),
  // Health and metrics are for the local probe and the scraper: loopback unless a deployment opens them.
  WORKER_HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  WORKER_SHUTDOWN_TIMEOUT_MS: int(0).default(30_000),
  WORKER_LOCK_DURATION_MS: int(1000).default(30_000),
  WORKER_STALLED_INTERVAL_MS: int(1000).default(30_000),
  ...sourcePolicyEnvShape,
  IMAGE_MAX_SOURCE_BYTES: int(1).default(50 * 1024 * 1024),
  IMAGE_MAX_PIXELS: int(1).default(50_000_000),
  ...presetEnvShape,
  // Video sources (a poster frame makes the variants): spooled to a temp file; 0 bytes turns them off.
  IMAGE_MAX_VIDEO_BYTES: int(0).default(200 * 1024 * 1024),
  IMAGE_MAX_VIDEO_SECONDS: int(1).default(600),
  // A job's whole life (queue wait, retries and back-off included); past it, it fails for good.
  IMAGE_JOB_TIMEOUT_MS: int(1000).default(10 * 60 * 1000),
  // Finished jobs (results and failures) kept per user; older ones are removed.
  IMAGE_KEEP_FINISHED_PER_USER: int(1).default(1000),
  WORKER_JANITOR_INTERVAL_MS: int(1000).default(10 * 60 * 1000),
  // Leftovers of interrupted writes younger than this may belong to a write still running.
  WORKER_JANITOR_STALE_MS: int(0).default(60 * 60 * 1000),
  // The imaging service's shared cache (derived/): the janitor keeps it under this size, least recently used out.
  IMAGING_CACHE_MAX_BYTES: z
    .union([z.number(), z.string()])
    .default(10 * 1024 ** 3)
    .transform((value, ctx) => {
      try {
        return typeof value === 'number' ? value : parseSize(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
  ...webhookEnvShape,
  // Deliveries attempted at once by this worker; how long a dead worker's delivery waits before another sends it.
  WEBHOOK_CONCURRENCY: int(1).default(16),
  WEBHOOK_LOCK_MS: int(1000).default(30_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** The worker's settings, from the environment. */
export type WorkerConfig = z.infer<typeof schema> & { storage: StorageConfig; redis: RedisConfig };

/** Environment variables the worker reads (besides the storage ones). */
export const WORKER_ENV_VARS = [...Object.keys(schema.shape), ...REDIS_ENV_VARS];

/**
 * Reads and validates the worker's environment.
 *
 * @throws {ConfigError} listing every bad or missing variable; {RedisConfigError} for the Redis ones.
 */
export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  return { ...loadServiceConfig('worker', schema, env), redis: redisConfigFromEnv(env) };
}
