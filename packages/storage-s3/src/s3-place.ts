import type { S3ClientLike } from './s3-client-like.js';

/** A bucket and the key prefix an adapter works under. */
export interface S3Place {
  client: S3ClientLike;
  bucket: string;
  prefix: string;
}
