import { HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { HeadObjectCommandOutput } from '@aws-sdk/client-s3';
import { StorageError, contentTypeFromKey } from '@monorepo/storage-core';
import type { DriverPage, ObjectInfo, StorageOperation } from '@monorepo/storage-core';
import type { S3Place } from './s3-place.js';
import { mapS3Error } from './s3-errors.js';

const HEAD_CONCURRENCY = 16;

/** `HeadObject`, or `undefined` when the key does not exist. */
export async function headObject(
  { client, bucket, prefix }: S3Place,
  key: string,
  operation: StorageOperation,
  signal?: AbortSignal,
): Promise<HeadObjectCommandOutput | undefined> {
  try {
    return await client.send(new HeadObjectCommand({ Bucket: bucket, Key: prefix + key }), {
      abortSignal: signal,
    });
  } catch (error) {
    const mapped = mapS3Error(error, operation, key, bucket);
    if (mapped instanceof StorageError && mapped.code === 'ENOENT') return undefined;
    throw mapped;
  }
}

/**
 * The object metadata entry that keeps an upload's `lastModified` (milliseconds since the epoch): S3 sets
 * `LastModified` itself, so a kept modification time travels as `x-amz-meta-storage-mtime` and is read back
 * as `lastModified` (never shown as user metadata).
 */
export const MTIME_METADATA = 'storage-mtime';

/** The object metadata to store for `metadata` and a kept modification time. */
export function metadataWithMtime(
  metadata: Record<string, string> | undefined,
  lastModified: Date | undefined,
): Record<string, string> | undefined {
  if (!lastModified) return metadata;
  return { ...metadata, [MTIME_METADATA]: String(lastModified.getTime()) };
}

/** The {@link ObjectInfo} a `HeadObject` answer describes. */
export function headInfo(key: string, head: HeadObjectCommandOutput): ObjectInfo {
  const { [MTIME_METADATA]: mtime, ...metadata } = head.Metadata ?? {};
  const kept = mtime !== undefined && /^-?\d+$/.test(mtime) ? new Date(Number(mtime)) : undefined;
  const info: ObjectInfo = {
    key,
    size: Number(head.ContentLength ?? 0),
    contentType: head.ContentType ?? contentTypeFromKey(key),
    etag: head.ETag ?? '""',
    lastModified: kept ?? head.LastModified ?? new Date(0),
    metadata,
  };
  if (head.CacheControl) info.cacheControl = head.CacheControl;
  return info;
}

/** One `ListObjectsV2` answer: after `after`, or from a continuation `token` (which takes precedence). */
async function listPage(
  { client, bucket, prefix: root }: S3Place,
  prefix: string,
  limit: number,
  after: string | undefined,
  operation: StorageOperation,
  token?: string,
): Promise<{ items: ObjectInfo[]; truncated: boolean; token: string | undefined }> {
  try {
    const result = await client.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: root + prefix,
        MaxKeys: limit,
        ...(token
          ? { ContinuationToken: token }
          : { StartAfter: after === undefined ? undefined : root + after }),
      }),
    );
    const contents = (result.Contents ?? []) as Array<{
      Key: string;
      Size?: number;
      ETag?: string;
      LastModified?: Date;
    }>;
    const items = contents.map((object) => {
      const key = object.Key.slice(root.length);
      return {
        key,
        size: Number(object.Size ?? 0),
        contentType: contentTypeFromKey(key),
        etag: object.ETag ?? '""',
        lastModified: object.LastModified ?? new Date(0),
        metadata: {},
      };
    });
    return {
      items,
      truncated: result.IsTruncated === true,
      token: result.NextContinuationToken as string | undefined,
    };
  } catch (error) {
    throw mapS3Error(error, operation, prefix, bucket);
  }
}

/**
 * A full page of up to `limit` objects. S3 promises "up to MaxKeys" per answer (a sharded index, as on Ceph
 * RGW, answers short or even empty pages while truncated): the continuation token is followed until the
 * page is full or the listing ends. With `metadata`, each item is completed by a `HeadObject`.
 */
export async function listFullPage(
  place: S3Place,
  prefix: string,
  options: { limit: number; after: string | undefined; metadata: boolean },
): Promise<DriverPage> {
  const found: ObjectInfo[] = [];
  let token: string | undefined;
  let truncated: boolean;
  do {
    const page = await listPage(
      place,
      prefix,
      options.limit - found.length,
      options.after,
      'list',
      token,
    );
    found.push(...page.items);
    truncated = page.truncated;
    token = page.token;
  } while (truncated && token && found.length < options.limit);
  const items = options.metadata ? await withMetadata(place, found) : found;
  return { items, more: truncated };
}

/** Every object under `prefix`, page after page. */
export async function* listEvery(place: S3Place, prefix: string): AsyncIterable<ObjectInfo> {
  let token: string | undefined;
  for (;;) {
    const page = await listPage(place, prefix, 1000, undefined, 'listAll', token);
    yield* page.items;
    if (!page.truncated || !page.token) return;
    token = page.token;
  }
}

async function withMetadata(place: S3Place, items: ObjectInfo[]): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) {
      const item = items[i]!;
      const head = await headObject(place, item.key, 'list');
      // Deleted between the listing and the HEAD: keep the listed facts.
      out[i] = head ? headInfo(item.key, head) : item;
    }
  };
  await Promise.all(Array.from({ length: Math.min(HEAD_CONCURRENCY, items.length) }, worker));
  return out;
}
