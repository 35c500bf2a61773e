import { DEFAULT_IMAGE_QUEUE } from '@monorepo/image-queue';
import { ConfigError, loadStorageConfig } from '@monorepo/storage';
import type { StorageConfig } from '@monorepo/storage';
import { z } from 'zod';
import { parseApiKeys } from './auth/api-keys.js';
import type { ApiKeyring } from './auth/api-keys.js';

const int = (min: number) => z.coerce.number().int().min(min);

const schema = z.object({
  API_PORT: int(0).max(65535).default(3000),
  API_HOST: z.string().default('0.0.0.0'),
  API_KEYS: z.string().min(1, { error: 'is required (key1:userId1,key2:userId2)' }),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, { error: 'must be a redis:// or rediss:// URL' }),
  IMAGE_QUEUE_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .default(DEFAULT_IMAGE_QUEUE),
  IMAGE_JOB_ATTEMPTS: int(1).max(20).default(3),
  MAX_UPLOAD_BYTES: int(1).default(104_857_600),
  IMAGE_ALLOW_PRIVATE_NETWORKS: z
    .enum(['true', 'false', '1', '0'])
    .default('false')
    .transform((v) => v === 'true' || v === '1'),
  IMAGE_ALLOWED_HOSTS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((h) => h.trim())
        .filter(Boolean),
    ),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** The API's settings. */
export type ApiConfig = Omit<z.infer<typeof schema>, 'API_KEYS'> & {
  keys: ApiKeyring;
  storage: StorageConfig;
};

/** Environment variables the API reads (besides the storage ones). */
export const API_ENV_VARS = Object.keys(schema.shape);

/**
 * Reads and validates the API's environment. API keys are never echoed.
 *
 * @throws {ConfigError} listing every bad or missing variable.
 */
export function loadApiConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const issues: string[] = [];
  const parsed = schema.safeParse(
    Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')),
  );
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      issues.push(`${String(issue.path[0])}: ${issue.message}`);
  }
  let keys: ApiKeyring | undefined;
  if (parsed.success) {
    try {
      keys = parseApiKeys(parsed.data.API_KEYS);
    } catch (error) {
      issues.push(`API_KEYS: ${(error as Error).message}`);
    }
  }
  let storage: StorageConfig | undefined;
  try {
    storage = loadStorageConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    issues.push(...error.issues);
  }
  if (!parsed.success || !keys || !storage || issues.length) {
    throw new ConfigError(`Invalid API configuration: ${issues.join('; ')}`, issues);
  }
  const { API_KEYS: _keys, ...rest } = parsed.data;
  return { ...rest, keys, storage };
}
