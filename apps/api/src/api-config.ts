import { DEFAULT_IMAGE_QUEUE, sourcePolicyEnvShape } from '@monorepo/image-queue';
import { loadServiceConfig } from '@monorepo/storage';
import type { StorageConfig } from '@monorepo/storage';
import { z } from 'zod';
import { parseApiKeys } from './auth/api-keys.js';
import type { ApiKeyring } from './auth/api-keys.js';

const int = (min: number) => z.coerce.number().int().min(min);

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
  REDIS_URL: z.string().regex(/^rediss?:\/\//, { error: 'must be a redis:// or rediss:// URL' }),
  IMAGE_QUEUE_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .default(DEFAULT_IMAGE_QUEUE),
  IMAGE_JOB_ATTEMPTS: int(1).max(20).default(3),
  MAX_UPLOAD_BYTES: int(1).default(104_857_600),
  ...sourcePolicyEnvShape,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** The API's settings. */
export type ApiConfig = Omit<z.output<typeof schema>, 'API_KEYS'> & {
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
  const { API_KEYS: keys, ...rest } = loadServiceConfig('API', schema, env);
  return { ...rest, keys };
}
