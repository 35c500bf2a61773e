import os from 'node:os';
import {
  parseImagingKeys,
  parseImagingPresets,
  sourcePolicyEnvShape,
} from '@monorepo/image-processor/contract';
import type { ImagingKey, ImagingPresets } from '@monorepo/image-processor/contract';
import { loadServiceConfig } from '@monorepo/storage';
import { REDIS_ENV_VARS, redisConfigFromEnv } from '@monorepo/redis-connection';
import type { RedisConfig } from '@monorepo/redis-connection';
import type { StorageConfig } from '@monorepo/storage';
import { z } from 'zod';

const int = (min: number) => z.coerce.number().int().min(min);
const parsed = <T>(parse: (raw: string) => T) =>
  z.string().transform((raw, ctx): T => {
    try {
      return parse(raw);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  });

const schema = z.object({
  // Redis is read by redisConfigFromEnv: REDIS_URL, or REDIS_SENTINELS + REDIS_SENTINEL_NAME, or REDIS_CLUSTER_NODES.
  IMAGING_PORT: int(0).max(65535).default(3002),
  // nginx reaches it on loopback; compose opens it to the compose network.
  IMAGING_HOST: z.string().min(1).default('127.0.0.1'),
  // Each team's signing pairs (team:keyhex:salthex,…): its first signs what the API mints, all verify.
  IMAGING_KEYS: parsed<ImagingKey[]>(parseImagingKeys).pipe(
    z
      .array(z.any())
      .min(1, { error: 'is required (team:keyhex:salthex,…; make imaging-key prints one)' }),
  ),
  IMAGING_PRESETS: parsed<ImagingPresets>(parseImagingPresets).default({}),
  // The path nginx serves transforms under (the service also answers without it).
  IMAGING_PATH_PREFIX: z
    .string()
    .regex(/^(\/[A-Za-z0-9_-]+)*$/)
    .default('/img'),
  // Renders at once per process (default twice the cores, as imgproxy: a render waiting on its source leaves the
  // core to another), and how many more may wait for a slot (past that: 503 E_OVERLOADED).
  IMAGING_CONCURRENCY: int(1).default(2 * os.availableParallelism()),
  IMAGING_QUEUE_MAX: int(0).default(64),
  // How long a render may wait for a slot, and a request for another process's render of the same URL.
  IMAGING_QUEUE_TIMEOUT_MS: int(100).default(10_000),
  IMAGING_WAIT_TIMEOUT_MS: int(100).default(45_000),
  // Renders (not cache hits) per team per window, shared by every process through Redis.
  IMAGING_TEAM_RENDER_RATE: int(1).default(600),
  IMAGING_TEAM_RENDER_WINDOW_S: int(1).default(60),
  IMAGING_MAX_OUTPUT_PIXELS: int(1).default(25_000_000),
  IMAGING_TIMEOUT_S: int(1).default(30),
  // A render that failed for good (corrupt source, too many pixels) is answered from Redis this long.
  IMAGING_FAILURE_TTL_S: int(0).default(60),
  // Remote http(s) sources (SSRF-checked like jobs' sourceUrl); off: storage keys only.
  IMAGING_ALLOW_REMOTE: z
    .enum(['true', 'false', '1', '0'])
    .default('false')
    .transform((value) => value === 'true' || value === '1'),
  // Local storage behind nginx: cache hits are answered with X-Accel-Redirect to this internal path
  // (nginx serves derived/ itself); empty: the service streams them (S3, or without nginx).
  IMAGING_ACCEL_REDIRECT: z
    .string()
    .regex(/^(\/[A-Za-z0-9_-]+)*\/?$/)
    .default(''),
  ...sourcePolicyEnvShape,
  IMAGE_MAX_SOURCE_BYTES: int(1).default(50 * 1024 * 1024),
  IMAGE_MAX_PIXELS: int(1).default(50_000_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** The imaging service's settings, from the environment. */
export type ImagingConfig = z.infer<typeof schema> & { storage: StorageConfig; redis: RedisConfig };

/** Environment variables the imaging service reads (besides the storage ones). */
export const IMAGING_ENV_VARS = [...Object.keys(schema.shape), ...REDIS_ENV_VARS];

/**
 * Reads and validates the imaging service's environment. Keys are never echoed.
 *
 * @throws {ConfigError} listing every bad or missing variable; {RedisConfigError} for the Redis ones.
 */
export function loadImagingConfig(env: NodeJS.ProcessEnv = process.env): ImagingConfig {
  return { ...loadServiceConfig('imaging', schema, env), redis: redisConfigFromEnv(env) };
}
