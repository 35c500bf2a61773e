import { GetObjectTaggingCommand, PutObjectTaggingCommand } from '@aws-sdk/client-s3';
import type { Visibility } from '@monorepo/storage-core';
import type { S3Place } from './s3-place.js';
import { mapS3Error } from './s3-errors.js';

/** The object tag that holds an object's visibility (`public` or `private`). */
export const VISIBILITY_TAG = 'visibility';

/** The visibility tag of an object, or `undefined` when it has none (or no such object: the caller checks). */
export async function readVisibility(
  { client, bucket, prefix }: S3Place,
  key: string,
): Promise<Visibility | undefined> {
  try {
    const result = await client.send(
      new GetObjectTaggingCommand({ Bucket: bucket, Key: prefix + key }),
    );
    const value = ((result.TagSet ?? []) as Array<{ Key?: string; Value?: string }>).find(
      (tag) => tag.Key === VISIBILITY_TAG,
    )?.Value;
    return value === 'public' || value === 'private' ? value : undefined;
  } catch (error) {
    const mapped = mapS3Error(error, 'stat', key, bucket);
    if ((mapped as { code?: string }).code === 'ENOENT') return undefined;
    throw mapped;
  }
}

/**
 * Sets the visibility tag; the bucket policy (`provision`) refuses anonymous reads of `private` objects and
 * allows them of `public` ones, at once and without rewriting the object.
 */
export async function writeVisibility(
  { client, bucket, prefix }: S3Place,
  key: string,
  visibility: Visibility,
): Promise<void> {
  try {
    await client.send(
      new PutObjectTaggingCommand({
        Bucket: bucket,
        Key: prefix + key,
        Tagging: { TagSet: [{ Key: VISIBILITY_TAG, Value: visibility }] },
      }),
    );
  } catch (error) {
    throw mapS3Error(error, 'setVisibility', key, bucket);
  }
}
