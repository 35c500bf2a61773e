import { describe, expect, it } from 'vitest';
import { serviceEnvFrom } from './start-env.js';

describe('make start environment', () => {
  it('passes the API limits through, with the IMAGE_* and WORKER_* settings', () => {
    const env = serviceEnvFrom({
      API_QUOTA_BYTES: '2000000',
      API_MAX_CONCURRENT_UPLOADS: '2',
      API_UPLOAD_INTENT_TTL_S: '60',
      API_PORT: '3100',
      API_KEYS: 'secret:user',
      API_HOST: '0.0.0.0',
      IMAGE_PRESETS: 'x',
      WORKER_CONCURRENCY: '1',
      LOG_LEVEL: 'warn',
      HOME: '/root',
      AWS_SECRET_ACCESS_KEY: 'never',
    });
    expect(env).toEqual({
      API_QUOTA_BYTES: '2000000',
      API_MAX_CONCURRENT_UPLOADS: '2',
      API_UPLOAD_INTENT_TTL_S: '60',
      IMAGE_PRESETS: 'x',
      WORKER_CONCURRENCY: '1',
      LOG_LEVEL: 'warn',
    });
  });
});
