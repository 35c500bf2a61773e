import { randomBytes } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { S3TestServer } from './s3-test-server-handle.js';

/**
 * The environment variable naming a radosgw shared by a whole test run (`make test` starts one with
 * `with-shared-rgw-cli.js`): JSON `{ endpoint, region, accessKeyId, secretAccessKey }`. Unset, every suite
 * starts its own radosgw.
 */
export const SHARED_RGW_ENV = 'TEST_SHARED_RGW';

/** Where the run's shared radosgw listens and the keys of its S3 user. */
export interface SharedRgw {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** The run's shared radosgw named by {@link SHARED_RGW_ENV}, if any. */
export function sharedRgw(env: NodeJS.ProcessEnv = process.env): SharedRgw | undefined {
  const value = env[SHARED_RGW_ENV];
  if (!value) return undefined;
  const parsed = JSON.parse(value) as Partial<SharedRgw>;
  if (!parsed.endpoint || !parsed.accessKeyId || !parsed.secretAccessKey)
    throw new Error(`${SHARED_RGW_ENV} must hold { endpoint, accessKeyId, secretAccessKey }`);
  return { region: 'us-east-1', ...parsed } as SharedRgw;
}

/** The value of {@link SHARED_RGW_ENV} for a started radosgw. */
export function sharedRgwValue(server: S3TestServer): string {
  const { endpoint, region, accessKeyId, secretAccessKey } = server;
  return JSON.stringify({ endpoint, region, accessKeyId, secretAccessKey });
}

function clientFor(shared: SharedRgw): S3Client {
  return new S3Client({
    endpoint: shared.endpoint,
    region: shared.region,
    forcePathStyle: true,
    credentials: { accessKeyId: shared.accessKeyId, secretAccessKey: shared.secretAccessKey },
  });
}

/** Deletes every object version and unfinished multipart upload in `bucket`, then the bucket. */
async function removeBucket(client: S3Client, bucket: string): Promise<void> {
  for (;;) {
    const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    for (const upload of uploads.Uploads ?? [])
      await client.send(
        new AbortMultipartUploadCommand({
          Bucket: bucket,
          Key: upload.Key!,
          UploadId: upload.UploadId!,
        }),
      );
    if (!uploads.IsTruncated) break;
  }
  for (;;) {
    const page = await client.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    const objects = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].map((v) => ({
      Key: v.Key!,
      VersionId: v.VersionId,
    }));
    if (objects.length > 0)
      await client.send(
        new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }),
      );
    if (!page.IsTruncated) break;
  }
  await client.send(new DeleteBucketCommand({ Bucket: bucket }));
}

/**
 * Fresh buckets of their own on the run's shared radosgw, for one suite: each requested name gets a random
 * suffix, so suites running at the same time never see each other's objects, policies or CORS rules.
 * `stop()` empties and deletes these buckets (the server stays up for the other suites).
 */
export async function bucketsOnSharedRgw(
  shared: SharedRgw,
  buckets: string[] = ['test-bucket'],
): Promise<S3TestServer> {
  const suffix = randomBytes(4).toString('hex');
  const names = buckets.map((name) => `${name.slice(0, 50)}-${suffix}`);
  const client = clientFor(shared);
  try {
    for (const name of names) await client.send(new CreateBucketCommand({ Bucket: name }));
  } finally {
    client.destroy();
  }
  return {
    ...shared,
    bucket: names[0]!,
    standIn: false,
    kind: 'rgw',
    stop: async () => {
      const cleaner = clientFor(shared);
      try {
        for (const name of names) await removeBucket(cleaner, name);
      } finally {
        cleaner.destroy();
      }
    },
  };
}
