import { pipeline } from 'node:stream';
import type { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { PutObjectCommandInput } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl as presign } from '@aws-sdk/s3-request-presigner';
import {
  ConfigError,
  InvalidKeyError,
  MAX_KEY_BYTES,
  StorageError,
  bodyToBuffer,
  defaultVisibility,
  bodyToReadable,
  encodeKeyForUrl,
  isStreamBody,
  joinPublicUrl,
  md5HexToBase64,
  rangeHeader,
  streamToBuffer,
} from '@monorepo/storage-core';
import type {
  Body,
  ByteRange,
  DriverPage,
  DriverWrite,
  ObjectInfo,
  ProvisionOptions,
  SignedUrlOptions,
  StorageCapabilities,
  StorageDriver,
  StorageOperation,
  UploadOptions,
  UploadPost,
  UploadPostOptions,
  Visibility,
} from '@monorepo/storage-core';
import { DirectObjectClient } from './direct-object-client.js';
import { lengthGuard } from './length-guard.js';
import { BodyStreamError, etagOf, uploadStream } from './multipart-upload.js';
import { withOperationTimeout } from './operation-timeout.js';
import { readFully } from './read-fully.js';
import { deleteUnder } from './s3-batch-delete.js';
import {
  abortIncompleteUploads,
  ensureBucket,
  setCorsOrigins,
  setPublicRead,
} from './s3-bucket.js';
import type { S3Place } from './s3-place.js';
import { bucketUrl, buildS3Client } from './s3-client-factory.js';
import type { S3ClientLike } from './s3-client-like.js';
import { mapS3Error } from './s3-errors.js';
import { headInfo, headObject, listEvery, listFullPage } from './s3-listing.js';
import { VISIBILITY_TAG, readVisibility, writeVisibility } from './s3-visibility.js';
import type { S3StorageConfig } from './s3-storage-config.js';

const BACKEND = 's3';
const MiB = 1024 * 1024;

const CAPABILITIES: StorageCapabilities = Object.freeze({
  signedUrls: true,
  directUploads: true,
  publicReadPolicy: true,
  atomicOverwrite: true,
  keyPrefixConflicts: false,
  maxSegmentBytes: undefined,
});

/** The S3 backend's I/O, behind `Disk` (see `S3StorageAdapter`). */
export class S3StorageDriver implements StorageDriver {
  readonly backend = BACKEND;
  readonly capabilities = CAPABILITIES;
  /** The client requests go through (the injected one, if any). */
  readonly client: S3ClientLike;
  readonly #config: S3StorageConfig;
  readonly #place: S3Place;
  readonly #partSize: number;
  readonly #singlePutMax: number;
  readonly #queueSize: number;
  #signer: S3Client | undefined;

  constructor(config: S3StorageConfig, client?: S3ClientLike) {
    const problems: string[] = [];
    if (!config?.s3?.bucket) problems.push('s3.bucket is required');
    if (!config?.s3?.region) problems.push('s3.region is required');
    if (Boolean(config?.s3?.accessKeyId) !== Boolean(config?.s3?.secretAccessKey)) {
      problems.push('s3.accessKeyId and s3.secretAccessKey must be given together');
    }
    const partSize = config?.s3?.partSize ?? 5 * MiB;
    if (partSize < 5 * MiB) problems.push('s3.partSize must be at least 5 MiB');
    const prefix = config?.s3?.prefix ?? '';
    const timeout = config?.s3?.operationTimeoutMs ?? 60_000;
    if (!Number.isInteger(timeout) || timeout < 1)
      problems.push('s3.operationTimeoutMs must be a positive integer');
    if (prefix !== '' && !prefix.endsWith('/')) problems.push('s3.prefix must end with "/"');
    if (problems.length)
      throw new ConfigError(`Invalid S3 storage config: ${problems.join('; ')}`, problems, {
        backend: BACKEND,
      });
    this.#config = config;
    this.#partSize = partSize;
    this.#singlePutMax = Math.max(partSize, config.s3.multipartThreshold ?? 16 * MiB);
    this.#queueSize = config.s3.queueSize ?? 4;
    this.client = client ?? buildS3Client(config);
    // Our own client sends puts and gets direct to an S3-compatible endpoint; an injected one (a test double)
    // sees every command.
    const direct =
      client || !config.s3.endpoint || config.s3.directRequests === false
        ? this.client
        : new DirectObjectClient(this.client as S3Client, config.s3.bucket, (encodedKey) =>
            bucketUrl(config, encodedKey),
          );
    this.#place = {
      client: withOperationTimeout(direct, timeout),
      bucket: config.s3.bucket,
      prefix,
    };
  }

  /** S3 limits the whole key, prefix included, to 1024 bytes: keys under a prefix have that much less room. */
  checkKey(key: string, operation: StorageOperation, prefix: boolean): void {
    const room = MAX_KEY_BYTES - Buffer.byteLength(this.#place.prefix);
    if (!prefix && Buffer.byteLength(key) > room)
      throw new InvalidKeyError(
        `Key ${JSON.stringify(key)} is longer than the ${room} bytes S3 leaves under the prefix ${JSON.stringify(this.#place.prefix)} (${MAX_KEY_BYTES} bytes in all)`,
        { key, operation, backend: BACKEND },
      );
  }

  async upload(
    key: string,
    body: Body,
    contentType: string,
    options: UploadOptions & { visibility: Visibility },
  ): Promise<DriverWrite> {
    const params: PutObjectCommandInput = {
      Bucket: this.#place.bucket,
      Key: this.#full(key),
      ContentType: contentType,
      CacheControl: options.cacheControl,
      Metadata: options.metadata,
      IfNoneMatch: options.ifNotExists ? '*' : undefined,
      // Visibility is an object tag, which the bucket policy set by `provision` reads.
      Tagging: `${VISIBILITY_TAG}=${options.visibility}`,
    };
    const { signal } = options;
    try {
      // Conditional writes are enforced by the server (If-None-Match); the
      // pre-check also covers stores that ignore the header.
      if (options.ifNotExists && (await headObject(this.#place, key, 'upload', signal))) {
        throw mapS3Error({ name: 'PreconditionFailed' }, 'upload', key, this.#place.bucket);
      }
      const bytes = bodyToBuffer(body);
      if (bytes && bytes.length <= this.#singlePutMax) {
        const put = await this.#place.client.send(
          new PutObjectCommand({
            ...params,
            Body: bytes,
            ContentLength: bytes.length,
            ContentMD5: options.contentMd5 && md5HexToBase64(options.contentMd5),
          }),
          { abortSignal: signal },
        );
        return { size: bytes.length, etag: etagOf(put) };
      }
      return await this.#multipart(key, params, body, options);
    } catch (error) {
      // A failing body is the caller's error, not the store's: pass it on as it is.
      if (error instanceof BodyStreamError) throw error.cause;
      throw mapS3Error(error, 'upload', key, this.#place.bucket);
    }
  }

  async download(key: string): Promise<Buffer> {
    const { body, length } = await this.#get(key, 'download');
    try {
      return length === undefined ? await streamToBuffer(body) : await readFully(body, length);
    } catch (error) {
      throw mapS3Error(error, 'download', key, this.#place.bucket);
    }
  }

  async downloadStream(key: string, range?: ByteRange): Promise<NodeJS.ReadableStream> {
    return (await this.#get(key, 'downloadStream', range)).body;
  }

  async exists(key: string): Promise<boolean> {
    return (await headObject(this.#place, key, 'exists')) !== undefined;
  }

  async delete(key: string): Promise<void> {
    try {
      await this.#place.client.send(
        new DeleteObjectCommand({ Bucket: this.#place.bucket, Key: this.#full(key) }),
      );
    } catch (error) {
      const mapped = mapS3Error(error, 'delete', key, this.#place.bucket);
      if (mapped instanceof StorageError && mapped.code === 'ENOENT') return;
      throw mapped;
    }
  }

  publicUrl(key: string): string {
    if (this.#config.baseUrl) return joinPublicUrl(this.#config.baseUrl, key);
    return this.originUrl(key);
  }

  originUrl(key: string): string {
    return bucketUrl(this.#config, encodeKeyForUrl(this.#full(key)));
  }

  async stat(key: string): Promise<ObjectInfo> {
    const [head, visibility] = await Promise.all([
      headObject(this.#place, key, 'stat'),
      readVisibility(this.#place, key),
    ]);
    if (!head) throw mapS3Error({ name: 'NotFound' }, 'stat', key, this.#place.bucket);
    return { ...headInfo(key, head), visibility: visibility ?? defaultVisibility(key) };
  }

  setVisibility(key: string, visibility: Visibility): Promise<void> {
    return writeVisibility(this.#place, key, visibility);
  }

  list(
    prefix: string,
    options: { limit: number; after: string | undefined; metadata: boolean },
  ): Promise<DriverPage> {
    return listFullPage(this.#place, prefix, options);
  }

  listAll(prefix: string): AsyncIterable<ObjectInfo> {
    return listEvery(this.#place, prefix);
  }

  async copy(fromKey: string, toKey: string): Promise<void> {
    try {
      await this.#place.client.send(
        new CopyObjectCommand({
          Bucket: this.#place.bucket,
          Key: this.#full(toKey),
          CopySource: `${this.#place.bucket}/${encodeKeyForUrl(this.#full(fromKey))}`,
          MetadataDirective: 'COPY',
        }),
      );
    } catch (error) {
      throw mapS3Error(error, 'copy', fromKey, this.#place.bucket);
    }
  }

  async move(fromKey: string, toKey: string): Promise<void> {
    await this.copy(fromKey, toKey);
    await this.delete(fromKey);
  }

  deletePrefix(prefix: string): Promise<number> {
    return deleteUnder(this.#place, prefix);
  }

  async signedUrl(key: string, options: SignedUrlOptions & { expiresIn: number }): Promise<string> {
    const input = { Bucket: this.#place.bucket, Key: this.#full(key) };
    const command =
      options.method === 'PUT'
        ? new PutObjectCommand(
            options.contentType ? { ...input, ContentType: options.contentType } : input,
          )
        : new GetObjectCommand(input);
    // Sign Content-Type when given, so the uploader must send exactly that type.
    const signableHeaders =
      options.method === 'PUT' && options.contentType ? new Set(['content-type']) : undefined;
    return presign(this.#signingClient(), command, {
      expiresIn: options.expiresIn,
      signableHeaders,
    });
  }

  async uploadPost(
    key: string,
    options: UploadPostOptions & { expiresIn: number },
  ): Promise<UploadPost> {
    // The store checks the policy: this key, exactly this type, exactly this many bytes.
    const { url, fields } = await createPresignedPost(this.#signingClient(), {
      Bucket: this.#place.bucket,
      Key: this.#full(key),
      Conditions: [
        ['eq', '$Content-Type', options.contentType],
        ['content-length-range', options.size, options.size],
      ],
      Fields: { 'Content-Type': options.contentType },
      Expires: options.expiresIn,
    });
    return { url, fields, expiresAt: new Date(Date.now() + options.expiresIn * 1000) };
  }

  async checkHealth(): Promise<void> {
    const { client, bucket, prefix } = this.#place;
    try {
      await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, MaxKeys: 1 }));
    } catch (error) {
      throw mapS3Error(error, 'checkHealth', prefix, bucket);
    }
  }

  sweepIncomplete(olderThanMs: number | undefined): Promise<number> {
    return abortIncompleteUploads(this.#place, olderThanMs ?? 60 * 60 * 1000);
  }

  async provision(options: ProvisionOptions): Promise<{ created: boolean }> {
    const created = await ensureBucket(this.#place);
    if (options.publicRead !== undefined) await setPublicRead(this.#place, options.publicRead);
    if (options.corsOrigins !== undefined) await setCorsOrigins(this.#place, options.corsOrigins);
    return { created };
  }

  #signingClient(): S3Client {
    if (this.client instanceof S3Client) return this.client;
    this.#signer ??= buildS3Client(this.#config);
    return this.#signer;
  }

  #full(key: string): string {
    return this.#place.prefix + key;
  }

  async #multipart(
    key: string,
    params: PutObjectCommandInput,
    body: Body,
    options: UploadOptions,
  ): Promise<DriverWrite> {
    let source: Readable = bodyToReadable(body);
    if (options.contentLength !== undefined && isStreamBody(body))
      source = pipeline(source, lengthGuard(options.contentLength, key), () => {}) as Readable;
    try {
      return await uploadStream(this.#place.client, params, source, {
        // S3 allows 10,000 parts: grow the parts for very large declared lengths.
        partSize: Math.max(this.#partSize, Math.ceil((options.contentLength ?? 0) / 10_000)),
        queueSize: this.#queueSize,
        ...(options.contentLength !== undefined ? { expectedLength: options.contentLength } : {}),
        singlePutMax: this.#singlePutMax,
        signal: options.signal,
      });
    } finally {
      source.destroy();
    }
  }

  async #get(
    key: string,
    operation: StorageOperation,
    range?: ByteRange,
  ): Promise<{ body: NodeJS.ReadableStream; length: number | undefined }> {
    try {
      const result = await this.#place.client.send(
        new GetObjectCommand({
          Bucket: this.#place.bucket,
          Key: this.#full(key),
          Range: range ? rangeHeader(range) : undefined,
        }),
      );
      return {
        body: result.Body as NodeJS.ReadableStream,
        length: typeof result.ContentLength === 'number' ? result.ContentLength : undefined,
      };
    } catch (error) {
      throw mapS3Error(error, operation, key, this.#place.bucket);
    }
  }
}
