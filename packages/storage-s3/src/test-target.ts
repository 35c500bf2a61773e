import { randomUUID } from 'node:crypto';
import { s3ConfigFor, s3TestTarget } from '@monorepo/test-utils';
import type { S3TestServer } from '@monorepo/test-utils';
import { afterAll, beforeAll } from 'vitest';
import { S3StorageAdapter } from './s3-storage-adapter.js';
import type { S3StorageConfig } from './s3-storage-config.js';

/**
 * The S3 server for this test file: `S3_ENDPOINT` (e.g. MinIO) when set,
 * otherwise a fresh s3rver. Each adapter gets its own key prefix so tests
 * never see each other's objects, even in a shared bucket.
 */
export function useS3Target(): {
  server: () => S3TestServer;
  config: (extra?: Partial<S3StorageConfig['s3']>) => S3StorageConfig;
  adapter: (extra?: Partial<S3StorageConfig['s3']>) => S3StorageAdapter;
} {
  let server: S3TestServer;
  const runPrefix = `test-${randomUUID()}/`;
  beforeAll(async () => {
    server = await s3TestTarget();
  });
  afterAll(async () => {
    await server?.stop();
  });
  const config = (extra: Partial<S3StorageConfig['s3']> = {}): S3StorageConfig =>
    s3ConfigFor(server, { prefix: `${runPrefix}${randomUUID()}/`, ...extra });
  return { server: () => server, config, adapter: (extra) => new S3StorageAdapter(config(extra)) };
}
