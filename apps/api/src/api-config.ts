import { createHmac } from 'node:crypto';
import {
  parseImagingKeys,
  parseImagingPresets,
  presetEnvShape,
  sourcePolicyEnvShape,
} from '@monorepo/image-processor/contract';
import type { ImagingKey, ImagingPresets } from '@monorepo/image-processor/contract';
import { DEFAULT_IMAGE_QUEUE } from '@monorepo/image-queue';
import { ConfigError, loadServiceConfig, parseCdnSigningKeys } from '@monorepo/storage';
import { REDIS_ENV_VARS, redisConfigFromEnv } from '@monorepo/redis-connection';
import type { RedisConfig } from '@monorepo/redis-connection';
import type { CdnSigningKey, StorageConfig } from '@monorepo/storage';
import { parseQuotas, parseSize } from '@monorepo/tenant-limits';
import type { Quota } from '@monorepo/tenant-limits';
import { z } from 'zod';
import { webhookEnvShape } from '@monorepo/webhooks';
import { parseApiKeys } from './auth/api-keys.js';
import type { ApiKeyring } from './auth/api-keys.js';

const int = (min: number) => z.coerce.number().int().min(min);
const size = z.union([z.number(), z.string()]).transform((value, ctx) => {
  try {
    return typeof value === 'number' ? value : parseSize(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

const schema = z.object({
  API_PORT: int(0).max(65535).default(3000),
  API_HOST: z.string().default('0.0.0.0'),
  API_KEYS: z
    .string({ error: 'is required (key1:userId1,key2:userId2)' })
    .transform((raw, ctx): ApiKeyring => {
      try {
        return parseApiKeys(raw);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
  // Secrets of signed CDN URLs (id:secret,…): the first signs, every one verifies (nginx shares them).
  CDN_SIGNING_KEYS: z
    .string({ error: 'is required (id:secret,…; make cdn-key prints one)' })
    .transform((raw, ctx): CdnSigningKey[] => {
      try {
        return parseCdnSigningKeys(raw);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
  // Lifetime of the signed URLs the API hands out for private files, and the longest a caller may ask for.
  API_SIGNED_URL_TTL_S: int(1).default(900),
  API_SIGNED_URL_MAX_S: int(1).max(604_800).default(86_400),
  // Visibility of uploads and of job outputs when the request names none.
  API_UPLOAD_VISIBILITY: z.enum(['public', 'private']).default('private'),
  // Direct uploads (POST /v1/uploads): how long an intent stays open, and how many a user may have open.
  API_UPLOAD_INTENT_TTL_S: int(1).max(86_400).default(900),
  API_MAX_OPEN_UPLOADS: int(1).default(100),
  // Multipart (resumable) direct uploads: the largest announced size, and how long one stays open (keep it
  // below the worker's WORKER_JANITOR_STALE_MS, past which the store's unfinished uploads are aborted).
  API_MULTIPART_MAX_BYTES: int(1).default(5 * 1024 ** 3),
  API_MULTIPART_TTL_S: int(1).max(86_400).default(3_000),
  // Where clients reach this API (for the upload URLs it hands out); default: the CDN's origin + /api.
  API_PUBLIC_URL: z
    .union([z.literal(''), z.url({ protocol: /^https?$/ })])
    .optional()
    .transform((value) => value || undefined),
  IMAGE_DEFAULT_VISIBILITY: z.enum(['public', 'private']).default('public'),
  // The imaging service's signing pairs (team:keyhex:salthex,…; the same as its own): POST /v1/transform-urls
  // signs with the caller's first. Its presets (to check pr: options) and where clients reach it.
  IMAGING_KEYS: z
    .string()
    .default('')
    .transform((raw, ctx): ImagingKey[] => {
      try {
        return raw.trim() ? parseImagingKeys(raw) : [];
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
  IMAGING_PRESETS: z
    .string()
    .default('')
    .transform((raw, ctx): ImagingPresets => {
      try {
        return parseImagingPresets(raw);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
  IMAGING_PUBLIC_URL: z
    .union([z.literal(''), z.url({ protocol: /^https?$/ })])
    .optional()
    .transform((value) => value || undefined),
  // Redis is read by redisConfigFromEnv: REDIS_URL, or REDIS_SENTINELS + REDIS_SENTINEL_NAME, or REDIS_CLUSTER_NODES.
  IMAGE_QUEUE_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .default(DEFAULT_IMAGE_QUEUE),
  IMAGE_JOB_ATTEMPTS: int(1).max(20).default(3),
  MAX_UPLOAD_BYTES: int(1).default(104_857_600),
  // Per key (user): requests per window, shared by every API process through Redis.
  API_RATE_LIMIT: int(1).default(1200),
  API_RATE_LIMIT_WINDOW_S: int(1).default(60),
  // Uploads in flight per user, across every API process.
  API_MAX_CONCURRENT_UPLOADS: int(1).default(4),
  // Storage quota per user under uploads/<user>/; API_QUOTA_OVERRIDES: user=SIZE[/OBJECTS],…
  API_QUOTA_BYTES: size.default(10 * 1024 ** 3),
  API_QUOTA_OBJECTS: int(1).default(100_000),
  API_QUOTA_OVERRIDES: z.string().default(''),
  // Image jobs queued or running per user.
  API_MAX_PENDING_JOBS: int(1).default(500),
  // Requests held by GET /v1/images/{id}?wait=N at once, per process and per key; past that they answer at once.
  API_MAX_JOB_WAITERS: int(1).default(1000),
  API_MAX_JOB_WAITERS_PER_KEY: int(1).default(20),
  // Largest page of GET /v1/files (each item's stored type costs a request on S3).
  API_LIST_LIMIT_MAX: int(1).max(1000).default(100),
  // A request (an upload included) may take this long in all; its headers this long.
  API_REQUEST_TIMEOUT_MS: int(1000).default(10 * 60 * 1000),
  API_HEADERS_TIMEOUT_MS: int(1000).default(20_000),
  ...sourcePolicyEnvShape,
  ...presetEnvShape,
  ...webhookEnvShape,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** The API's settings. */
export type ApiConfig = Omit<z.output<typeof schema>, 'API_KEYS' | 'IMAGING_PUBLIC_URL'> & {
  /** Where clients reach the imaging service (default: the CDN's origin + `/img`). */
  IMAGING_PUBLIC_URL: string;
  keys: ApiKeyring;
  storage: StorageConfig;
  /** Where Redis is: one server, a Sentinel master or a Cluster. */
  redis: RedisConfig;
  /** The storage quota of a user (default and overrides). */
  quotaFor: (user: string) => Quota;
};

/** Environment variables the API reads (besides the storage ones). */
export const API_ENV_VARS = [...Object.keys(schema.shape), ...REDIS_ENV_VARS];

/**
 * Reads and validates the API's environment. API keys are never echoed.
 *
 * @throws {ConfigError} listing every bad or missing variable; {RedisConfigError} for the Redis ones.
 */
export function loadApiConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const { API_KEYS: keys, ...rest } = loadServiceConfig('API', schema, env);
  let quotaFor: ApiConfig['quotaFor'];
  try {
    quotaFor = parseQuotas(
      { bytes: rest.API_QUOTA_BYTES, objects: rest.API_QUOTA_OBJECTS },
      rest.API_QUOTA_OVERRIDES,
    );
  } catch (error) {
    throw new ConfigError(
      `Invalid API configuration: API_QUOTA_OVERRIDES: ${(error as Error).message}`,
      [`API_QUOTA_OVERRIDES: ${(error as Error).message}`],
    );
  }
  // Local storage receives the parts of multipart uploads through this API (PUT /v1/uploads/multipart/part):
  // its part URLs point there, signed with a secret derived from the first CDN signing key (every API process
  // has it; a CDN key rotation only voids part URLs not yet used, which clients sign again).
  const apiUrl = (
    rest.API_PUBLIC_URL ??
    `${rest.storage.baseUrl ? new URL(rest.storage.baseUrl).origin : 'http://localhost:8080'}/api`
  ).replace(/\/+$/, '');
  const storage: StorageConfig =
    rest.storage.type === 'local' && !rest.storage.multipartParts
      ? {
          ...rest.storage,
          multipartParts: {
            url: `${apiUrl}/v1/uploads/multipart/part`,
            secret: createHmac('sha256', rest.CDN_SIGNING_KEYS[0]!.secret)
              .update('local multipart part URLs')
              .digest('hex'),
          },
        }
      : rest.storage;
  const imagingUrl =
    rest.IMAGING_PUBLIC_URL ??
    `${rest.storage.baseUrl ? new URL(rest.storage.baseUrl).origin : 'http://localhost:8080'}/img`;
  return {
    ...rest,
    storage,
    IMAGING_PUBLIC_URL: imagingUrl,
    keys,
    quotaFor,
    redis: redisConfigFromEnv(env),
  };
}
