import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCorsCommand,
  DeleteBucketPolicyCommand,
  GetBucketCorsCommand,
  HeadBucketCommand,
  ListMultipartUploadsCommand,
  PutBucketCorsCommand,
  PutBucketPolicyCommand,
} from '@aws-sdk/client-s3';
import { StorageError } from '@monorepo/storage-core';
import type { S3Place } from './s3-place.js';
import { mapS3Error } from './s3-errors.js';
import { VISIBILITY_TAG } from './s3-visibility.js';

/** Creates the bucket when it does not exist. Returns `true` when it was created. */
export async function ensureBucket({ client, bucket }: S3Place): Promise<boolean> {
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
    return false;
  } catch (error) {
    const mapped = mapS3Error(error, 'provision', '', bucket);
    if (
      !(mapped instanceof StorageError) ||
      (mapped.code !== 'ENOENT' && mapped.code !== 'ECONFIG')
    )
      throw mapped;
  }
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    return true;
  } catch (error) {
    throw mapS3Error(error, 'provision', '', bucket);
  }
}

/**
 * With `enabled`, the bucket policy lets anyone read (`s3:GetObject`, never list) the objects under the adapter's
 * prefix that are tagged `visibility=public`, and nothing else: private and untagged objects need credentials or a
 * signature. Visibility changes take effect at once (a tag, no rewrite). `false` removes the policy.
 */
export async function setPublicRead(
  { client, bucket, prefix }: S3Place,
  enabled: boolean,
): Promise<void> {
  try {
    if (!enabled) {
      await client.send(new DeleteBucketPolicyCommand({ Bucket: bucket }));
      return;
    }
    const policy = {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'AnonymousReadOfPublicObjects',
          Effect: 'Allow',
          Principal: { AWS: ['*'] },
          Action: ['s3:GetObject'],
          Resource: [`arn:aws:s3:::${bucket}/${prefix}*`],
          Condition: { StringEquals: { [`s3:ExistingObjectTag/${VISIBILITY_TAG}`]: 'public' } },
        },
      ],
    };
    await client.send(
      new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify(policy) }),
    );
  } catch (error) {
    throw mapS3Error(error, 'provision', '', bucket);
  }
}

/** The origins the bucket's CORS configuration allows now (`[]` when it has none). */
export async function getCorsOrigins({ client, bucket }: S3Place): Promise<string[]> {
  try {
    const result = (await client.send(new GetBucketCorsCommand({ Bucket: bucket }))) as {
      CORSRules?: Array<{ AllowedOrigins?: string[] }>;
    };
    return [...new Set((result.CORSRules ?? []).flatMap((rule) => rule.AllowedOrigins ?? []))];
  } catch (error) {
    const e = error as { name?: string; Code?: string };
    if ((e.name ?? e.Code) === 'NoSuchCORSConfiguration') return [];
    throw mapS3Error(error, 'provision', '', bucket);
  }
}

/**
 * Lets pages from `origins` send direct uploads (presigned POST/PUT) to the bucket and read from it; `[]` removes
 * the CORS configuration.
 */
export async function setCorsOrigins(
  { client, bucket }: S3Place,
  origins: readonly string[],
): Promise<void> {
  try {
    if (origins.length === 0) {
      await client.send(new DeleteBucketCorsCommand({ Bucket: bucket }));
      return;
    }
    await client.send(
      new PutBucketCorsCommand({
        Bucket: bucket,
        CORSConfiguration: {
          CORSRules: [
            {
              AllowedOrigins: [...origins],
              AllowedMethods: ['GET', 'HEAD', 'PUT', 'POST'],
              AllowedHeaders: ['*'],
              ExposeHeaders: ['ETag'],
              MaxAgeSeconds: 3600,
            },
          ],
        },
      }),
    );
  } catch (error) {
    throw mapS3Error(error, 'provision', '', bucket);
  }
}

/**
 * Aborts the multipart uploads under the prefix that were started more than `olderThanMs` ago (`0`: all of
 * them, whatever the clocks say). Returns how many it aborted.
 */
export async function abortIncompleteUploads(
  { client, bucket, prefix }: S3Place,
  olderThanMs: number,
): Promise<number> {
  // 0 means every unfinished upload: the server's start time may be ahead of our clock.
  const cutoff = olderThanMs > 0 ? Date.now() - olderThanMs : Infinity;
  let removed = 0;
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  try {
    for (;;) {
      const page = await client.send(
        new ListMultipartUploadsCommand({
          Bucket: bucket,
          Prefix: prefix || undefined,
          KeyMarker: keyMarker,
          UploadIdMarker: uploadIdMarker,
        }),
      );
      const uploads = (page.Uploads ?? []) as Array<{
        Key?: string;
        UploadId?: string;
        Initiated?: Date;
      }>;
      for (const upload of uploads) {
        if (!upload.Key || !upload.UploadId) continue;
        if (upload.Initiated && upload.Initiated.getTime() > cutoff) continue;
        await client.send(
          new AbortMultipartUploadCommand({
            Bucket: bucket,
            Key: upload.Key,
            UploadId: upload.UploadId,
          }),
        );
        removed += 1;
      }
      if (!page.IsTruncated) return removed;
      keyMarker = page.NextKeyMarker as string | undefined;
      uploadIdMarker = page.NextUploadIdMarker as string | undefined;
      if (!keyMarker && !uploadIdMarker) return removed;
    }
  } catch (error) {
    throw mapS3Error(error, 'sweepIncomplete', prefix, bucket);
  }
}
