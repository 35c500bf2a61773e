import { describeStorageAdapterContract } from '@monorepo/test-utils';
import { useS3Target } from './test-target.js';

// Runs against S3_ENDPOINT when set (e.g. `make test-s3 S3_ENDPOINT=http://localhost:9000`), else s3rver.
const target = useS3Target();

describeStorageAdapterContract(
  `s3 over HTTP (${process.env.S3_ENDPOINT ?? 's3rver'})`,
  () => {
    const adapter = target.adapter();
    return { adapter, cleanup: async () => void (await adapter.deletePrefix('').catch(() => 0)) };
  },
  // The s3rver stand-in overwrites files in place; real S3 and MinIO replace objects atomically.
  { signedUrls: 'http', atomicOverwrite: Boolean(process.env.S3_ENDPOINT) },
);
