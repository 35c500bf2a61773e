import { ConfigError } from '@monorepo/storage-core';
import { z } from 'zod';
import type { StorageConfig } from './storage-config.js';

const url = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');
const text = z.string().trim().min(1, { error: 'must not be empty' });

const positiveInt = z.coerce
  .number({ error: 'must be a number' })
  .int({ error: 'must be a whole number' })
  .min(1, { error: 'must be at least 1' });
const folderList = z
  .string()
  .transform((raw) =>
    raw
      .split(',')
      .map((folder) => folder.trim().replace(/\/+$/, ''))
      .filter(Boolean),
  )
  .refine((folders) => folders.every((folder) => /^[A-Za-z0-9._-]+$/.test(folder)), {
    error: 'must be comma-separated top-level folder names',
  });

const millis = z.coerce
  .number({ error: 'must be a number' })
  .int({ error: 'must be a whole number' })
  .min(0, { error: 'must be at least 0' });

const layerSchema = z.object({
  STORAGE_TIMEOUT_MS: millis.optional(),
  STORAGE_IO_TIMEOUT_MS: millis.optional(),
  STORAGE_RETRY_ATTEMPTS: positiveInt.max(10, { error: 'must be at most 10' }).optional(),
});

const localSchema = layerSchema.extend({
  STORAGE_TYPE: z.literal('local'),
  STORAGE_BASE_URL: url,
  STORAGE_LOCAL_PATH: text,
  STORAGE_LOCAL_FOLDERS: folderList.optional(),
  STORAGE_LOCAL_REQUIRE_MOUNTS: flag.optional(),
});

const s3Schema = layerSchema.extend({
  STORAGE_TYPE: z.literal('s3'),
  STORAGE_BASE_URL: url.optional(),
  S3_ENDPOINT: url.optional(),
  S3_REGION: text.default('us-east-1'),
  S3_BUCKET: text,
  S3_ACCESS_KEY_ID: text.optional(),
  S3_SECRET_ACCESS_KEY: text.optional(),
  S3_FORCE_PATH_STYLE: flag.optional(),
  S3_MAX_ATTEMPTS: positiveInt.max(20, { error: 'must be at most 20' }).optional(),
  S3_OPERATION_TIMEOUT_MS: positiveInt.optional(),
  S3_DIRECT_REQUESTS: flag.optional(),
});

/** The environment variables this module reads. */
export const STORAGE_ENV_VARS = [
  'STORAGE_TYPE',
  'STORAGE_BASE_URL',
  'STORAGE_LOCAL_PATH',
  'STORAGE_LOCAL_FOLDERS',
  'STORAGE_LOCAL_REQUIRE_MOUNTS',
  'S3_ENDPOINT',
  'S3_REGION',
  'S3_BUCKET',
  'S3_ACCESS_KEY_ID',
  'S3_SECRET_ACCESS_KEY',
  'S3_FORCE_PATH_STYLE',
  'S3_MAX_ATTEMPTS',
  'S3_OPERATION_TIMEOUT_MS',
  'S3_DIRECT_REQUESTS',
  'STORAGE_TIMEOUT_MS',
  'STORAGE_IO_TIMEOUT_MS',
  'STORAGE_RETRY_ATTEMPTS',
] as const;

function pick(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of STORAGE_ENV_VARS) {
    const value = env[name];
    if (value !== undefined && value !== '') out[name] = value;
  }
  return out;
}

/**
 * Reads the storage configuration from environment variables:
 * `STORAGE_TYPE` (`local` | `s3`, default `local`), `STORAGE_BASE_URL`,
 * `STORAGE_LOCAL_PATH`, `STORAGE_LOCAL_FOLDERS` (only keys under these top-level folders, e.g.
 * `uploads,generated,processed`), `STORAGE_LOCAL_REQUIRE_MOUNTS` (each folder must be a mounted volume),
 * `S3_ENDPOINT`, `S3_REGION` (default `us-east-1`), `S3_BUCKET`, `S3_ACCESS_KEY_ID`,
 * `S3_SECRET_ACCESS_KEY`, `S3_FORCE_PATH_STYLE`, `S3_MAX_ATTEMPTS` (default 5),
 * `S3_OPERATION_TIMEOUT_MS` (default 60000: the most one S3 request, retries included, may take) and
 * `S3_DIRECT_REQUESTS` (default true: see `directRequests` in the S3 config); for both backends
 * `STORAGE_TIMEOUT_MS` (default 120000: the most one storage call may take, 0 off), `STORAGE_IO_TIMEOUT_MS`
 * (default 60000: the most a stream may stall, 0 off) and `STORAGE_RETRY_ATTEMPTS` (attempts of idempotent
 * calls failing with `EUNAVAILABLE`/`ETIMEDOUT`; default 3 for local, 1 for s3, whose SDK retries itself).
 *
 * @throws {ConfigError} listing every problem by variable name; values are never echoed.
 */
export function loadStorageConfig(env: NodeJS.ProcessEnv = process.env): StorageConfig {
  const values = pick(env);
  const type = values.STORAGE_TYPE ?? 'local';
  if (type !== 'local' && type !== 's3') {
    throw new ConfigError('Invalid storage configuration: STORAGE_TYPE must be "local" or "s3"', [
      'STORAGE_TYPE: must be "local" or "s3"',
    ]);
  }
  const parsed = (type === 'local' ? localSchema : s3Schema).safeParse({
    ...values,
    STORAGE_TYPE: type,
  });
  const issues = parsed.success
    ? []
    : parsed.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? 'environment');
        const message =
          issue.code === 'invalid_type' && values[name] === undefined
            ? 'is required'
            : issue.message;
        return `${name}: ${message}`;
      });
  if (type === 's3' && Boolean(values.S3_ACCESS_KEY_ID) !== Boolean(values.S3_SECRET_ACCESS_KEY)) {
    const missing = values.S3_ACCESS_KEY_ID ? 'S3_SECRET_ACCESS_KEY' : 'S3_ACCESS_KEY_ID';
    issues.push(`${missing}: S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY must be set together`);
  }
  if (!parsed.success || issues.length > 0) {
    throw new ConfigError(
      `Invalid storage configuration (STORAGE_TYPE=${type}): ${issues.join('; ')}`,
      issues,
    );
  }
  const data = parsed.data!;
  const layers = {
    ...(data.STORAGE_TIMEOUT_MS !== undefined ? { timeoutMs: data.STORAGE_TIMEOUT_MS } : {}),
    ...(data.STORAGE_IO_TIMEOUT_MS !== undefined
      ? { ioTimeoutMs: data.STORAGE_IO_TIMEOUT_MS }
      : {}),
    ...(data.STORAGE_RETRY_ATTEMPTS !== undefined
      ? { retryAttempts: data.STORAGE_RETRY_ATTEMPTS }
      : {}),
  };
  const withLayers = Object.keys(layers).length > 0 ? { layers } : {};
  if (data.STORAGE_TYPE === 'local') {
    return {
      ...withLayers,
      type: 'local',
      baseUrl: data.STORAGE_BASE_URL,
      localBasePath: data.STORAGE_LOCAL_PATH,
      ...(data.STORAGE_LOCAL_FOLDERS?.length ? { folders: data.STORAGE_LOCAL_FOLDERS } : {}),
      ...(data.STORAGE_LOCAL_REQUIRE_MOUNTS !== undefined
        ? { requireMountedFolders: data.STORAGE_LOCAL_REQUIRE_MOUNTS }
        : {}),
    };
  }
  return {
    ...withLayers,
    type: 's3',
    ...(data.STORAGE_BASE_URL ? { baseUrl: data.STORAGE_BASE_URL } : {}),
    s3: {
      bucket: data.S3_BUCKET,
      region: data.S3_REGION,
      ...(data.S3_ENDPOINT ? { endpoint: data.S3_ENDPOINT } : {}),
      ...(data.S3_ACCESS_KEY_ID
        ? { accessKeyId: data.S3_ACCESS_KEY_ID, secretAccessKey: data.S3_SECRET_ACCESS_KEY }
        : {}),
      ...(data.S3_FORCE_PATH_STYLE !== undefined
        ? { forcePathStyle: data.S3_FORCE_PATH_STYLE }
        : {}),
      ...(data.S3_MAX_ATTEMPTS !== undefined ? { maxAttempts: data.S3_MAX_ATTEMPTS } : {}),
      ...(data.S3_OPERATION_TIMEOUT_MS !== undefined
        ? { operationTimeoutMs: data.S3_OPERATION_TIMEOUT_MS }
        : {}),
      ...(data.S3_DIRECT_REQUESTS !== undefined ? { directRequests: data.S3_DIRECT_REQUESTS } : {}),
    },
  };
}
