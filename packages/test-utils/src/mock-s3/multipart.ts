import { randomUUID } from 'node:crypto';
import { MIN_PART_SIZE, md5, parseTagging, readBody, s3Error } from './mock-s3-store.js';
import type { Input, MultipartUpload, StoredObject } from './mock-s3-store.js';

/** What the multipart part of the mock needs from the rest of it. */
export interface MockBucketStore {
  bucket(name: unknown): Map<string, StoredObject>;
  checkPrecondition(input: Input): void;
}

/** Multipart uploads of the mock: parts kept until completed (with S3's checks) or aborted. */
export class MockMultipartUploads {
  readonly uploads = new Map<string, MultipartUpload>();
  readonly #store: MockBucketStore;

  constructor(store: MockBucketStore) {
    this.#store = store;
  }

  async create(input: Input): Promise<Record<string, unknown>> {
    this.#store.bucket(input.Bucket);
    const uploadId = randomUUID();
    this.uploads.set(uploadId, {
      bucket: String(input.Bucket),
      key: String(input.Key),
      initiated: new Date(),
      params: {
        contentType: input.ContentType as string | undefined,
        cacheControl: input.CacheControl as string | undefined,
        metadata: { ...((input.Metadata as Record<string, string>) ?? {}) },
        tags: parseTagging(input.Tagging),
      },
      parts: new Map(),
    });
    return { Bucket: input.Bucket, Key: input.Key, UploadId: uploadId };
  }

  upload(input: Input): MultipartUpload {
    const upload = this.uploads.get(String(input.UploadId));
    if (!upload || upload.key !== input.Key) {
      throw s3Error({
        name: 'NoSuchUpload',
        status: 404,
        message: 'The specified upload does not exist.',
      });
    }
    return upload;
  }

  async uploadPart(input: Input): Promise<Record<string, unknown>> {
    const upload = this.upload(input);
    const body = await readBody(input.Body);
    const etag = `"${md5(body)}"`;
    upload.parts.set(Number(input.PartNumber), { body, etag });
    return { ETag: etag };
  }

  async complete(input: Input): Promise<Record<string, unknown>> {
    const upload = this.upload(input);
    const requested =
      (input.MultipartUpload as { Parts?: Array<{ PartNumber: number; ETag: string }> })?.Parts ??
      [];
    const bodies: Buffer[] = [];
    const digests: Buffer[] = [];
    for (const [index, part] of requested.entries()) {
      const stored = upload.parts.get(part.PartNumber);
      if (!stored || stored.etag !== part.ETag) throw s3Error({ name: 'InvalidPart', status: 400 });
      if (index > 0 && part.PartNumber <= requested[index - 1]!.PartNumber)
        throw s3Error({ name: 'InvalidPartOrder', status: 400 });
      if (index < requested.length - 1 && stored.body.length < MIN_PART_SIZE)
        throw s3Error({ name: 'EntityTooSmall', status: 400 });
      bodies.push(stored.body);
      digests.push(Buffer.from(stored.etag.slice(1, -1), 'hex'));
    }
    this.#store.checkPrecondition(input);
    const etag = `"${md5(Buffer.concat(digests))}-${requested.length}"`;
    this.#store.bucket(upload.bucket).set(upload.key, {
      ...upload.params,
      body: Buffer.concat(bodies),
      etag,
      lastModified: new Date(),
    });
    this.uploads.delete(String(input.UploadId));
    return {
      Bucket: upload.bucket,
      Key: upload.key,
      ETag: etag,
      Location: `http://mock-s3.local/${upload.bucket}/${upload.key}`,
    };
  }
}
