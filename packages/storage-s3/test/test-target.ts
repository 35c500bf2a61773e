import { randomUUID } from 'node:crypto';
import {
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import { s3ConfigFor, s3TestTarget } from '@monorepo/dev-servers';
import type { S3TestServer } from '@monorepo/dev-servers';
import { afterAll, beforeAll } from 'vitest';
import { S3StorageAdapter } from '../src/s3-storage-adapter.js';
import type { S3ClientLike } from '../src/s3-client-like.js';
import type { S3StorageConfig } from '../src/s3-storage-config.js';

/** The two ways puts and gets reach an S3-compatible server, each run through the same suites. */
export const S3_REQUEST_PATHS = [
  ['direct requests', true],
  ['SDK requests', false],
] as const;

/** What a test file left under `prefix` on the server: objects and unfinished multipart uploads. */
export async function leftovers(
  server: S3TestServer,
  prefix: string,
): Promise<{ objects: number; uploads: string[] }> {
  const { client } = new S3StorageAdapter(s3ConfigFor(server));
  const objects = await client.send(
    new ListObjectsV2Command({ Bucket: server.bucket, Prefix: prefix, MaxKeys: 1000 }),
  );
  const uploads = await client.send(
    new ListMultipartUploadsCommand({ Bucket: server.bucket, Prefix: prefix }),
  );
  return {
    objects: objects.KeyCount ?? 0,
    uploads: ((uploads.Uploads ?? []) as Array<{ Key: string }>).map((u) => u.Key),
  };
}

/** What a writer killed mid-upload leaves on S3: a multipart upload that was started and never finished. */
export async function leaveMultipart(
  client: S3ClientLike,
  bucket: string,
  key: string,
): Promise<void> {
  await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
}

/** Deletes every object and aborts every multipart upload under `prefix`. */
export async function removeAll(server: S3TestServer, prefix: string): Promise<void> {
  await new S3StorageAdapter(s3ConfigFor(server)).deletePrefix(prefix);
  await new S3StorageAdapter(s3ConfigFor(server, { prefix })).sweepIncomplete({ olderThanMs: 0 });
}

/**
 * The S3 server for this test file: `S3_ENDPOINT` (e.g. MinIO) when set, otherwise a fresh radosgw (or the
 * s3rver stand-in where Ceph is not installed). Each adapter gets its own key prefix so tests never see each
 * other's objects, even in a shared bucket; everything under the file's prefix is removed afterwards, so a
 * long-lived server is left as it was found.
 */
export function useS3Target(): {
  server: () => S3TestServer;
  runPrefix: string;
  config: (extra?: Partial<S3StorageConfig['s3']>) => S3StorageConfig;
  adapter: (extra?: Partial<S3StorageConfig['s3']>) => S3StorageAdapter;
} {
  let server: S3TestServer;
  const runPrefix = `test-${randomUUID()}/`;
  beforeAll(async () => {
    server = await s3TestTarget();
  });
  afterAll(async () => {
    if (server) await removeAll(server, runPrefix).catch(() => {});
    await server?.stop();
  });
  const config = (extra: Partial<S3StorageConfig['s3']> = {}): S3StorageConfig =>
    s3ConfigFor(server, { prefix: `${runPrefix}${randomUUID()}/`, ...extra });
  return {
    server: () => server,
    runPrefix,
    config,
    adapter: (extra) => new S3StorageAdapter(config(extra)),
  };
}
