import { DeleteObjectsCommand } from '@aws-sdk/client-s3';
import { StorageError } from '@monorepo/storage-core';
import type { S3Place } from './s3-place.js';
import { mapS3Error } from './s3-errors.js';
import { listEvery } from './s3-listing.js';

const DELETE_BATCH = 1000;

/**
 * Deletes every object under `prefix` in `DeleteObjects` batches of 1000, retrying the keys a batch could not
 * delete. Returns the count; throws an `EIO` naming (up to 20 of) the keys left over.
 */
export async function deleteUnder(place: S3Place, prefix: string): Promise<number> {
  let deleted = 0;
  const failed: string[] = [];
  let batch: string[] = [];
  const flush = async () => {
    const result = await deleteBatch(place, batch);
    deleted += result.deleted;
    failed.push(...result.failed);
    batch = [];
  };
  for await (const item of listEvery(place, prefix)) {
    batch.push(item.key);
    if (batch.length === DELETE_BATCH) await flush();
  }
  if (batch.length) await flush();
  if (failed.length) {
    throw new StorageError(
      'EIO',
      `deletePrefix ${JSON.stringify(prefix)} deleted ${deleted} objects but could not delete ${failed.length}: ${failed
        .slice(0, 20)
        .map((k) => JSON.stringify(k))
        .join(', ')}${failed.length > 20 ? ', ...' : ''}`,
      { key: prefix, operation: 'deletePrefix', backend: 's3' },
    );
  }
  return deleted;
}

async function deleteBatch(
  { client, bucket, prefix }: S3Place,
  keys: string[],
): Promise<{ deleted: number; failed: string[] }> {
  let pending = keys;
  for (let attempt = 1; ; attempt++) {
    let errors: string[];
    try {
      const result = await client.send(
        new DeleteObjectsCommand({
          Bucket: bucket,
          Delete: { Objects: pending.map((key) => ({ Key: prefix + key })), Quiet: true },
        }),
      );
      errors = ((result.Errors ?? []) as Array<{ Key?: string }>).map((e) =>
        String(e.Key).slice(prefix.length),
      );
    } catch (error) {
      const mapped = mapS3Error(error, 'deletePrefix', pending[0] ?? '', bucket);
      if (!(mapped instanceof StorageError) || mapped.code !== 'EUNAVAILABLE' || attempt >= 3)
        throw mapped;
      errors = pending;
    }
    if (errors.length === 0 || attempt >= 3) {
      return { deleted: keys.length - errors.length, failed: errors };
    }
    pending = errors;
    await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
  }
}
