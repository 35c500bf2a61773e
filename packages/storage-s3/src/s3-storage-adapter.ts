import { pipeline } from 'node:stream';
import type { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketPolicyCommand,
  HeadBucketCommand,
  PutBucketPolicyCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { HeadObjectCommandOutput, PutObjectCommandInput } from '@aws-sdk/client-s3';
import { getSignedUrl as presign } from '@aws-sdk/s3-request-presigner';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import {
  ConfigError,
  StorageError,
  bodyToBuffer,
  bodyToReadable,
  contentTypeFromKey,
  decodeCursor,
  encodeCursor,
  encodeKeyForUrl,
  isStreamBody,
  joinPublicUrl,
  rangeHeader,
  resolveListLimit,
  streamToBuffer,
  validateDeletePrefix,
  validateKey,
  validatePrefix,
  validateRange,
  validateUploadOptions,
} from '@monorepo/storage-core';
import type {
  Body,
  ByteRange,
  ListOptions,
  ListPage,
  ObjectInfo,
  SignedUrlOptions,
  StorageAdapter,
  StorageOperation,
  UploadOptions,
} from '@monorepo/storage-core';
import { lengthGuard } from './length-guard.js';
import { BodyStreamError, uploadStream } from './multipart-upload.js';
import { withOperationTimeout } from './operation-timeout.js';
import type { S3ClientLike } from './s3-client-like.js';
import { mapS3Error } from './s3-errors.js';
import type { S3StorageConfig } from './s3-storage-config.js';

const BACKEND = 's3';

/** Reads a body of a known length into one buffer, copying each chunk once (no chunk list, no concat). */
function readFully(body: NodeJS.ReadableStream, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const out = Buffer.allocUnsafe(length);
    let filled = 0;
    body.on('data', (chunk: Buffer) => {
      if (filled + chunk.length > length) {
        (body as Readable).destroy(new Error(`S3 sent more than the ${length} bytes it announced`));
        return;
      }
      filled += chunk.copy(out, filled);
    });
    body.once('error', reject);
    body.once('end', () =>
      filled === length
        ? resolve(out)
        : reject(
            Object.assign(new Error(`S3 sent ${filled} of the ${length} bytes it announced`), {
              code: 'ECONNRESET',
            }),
          ),
    );
  });
}
const MiB = 1024 * 1024;
const DELETE_BATCH = 1000;
const HEAD_CONCURRENCY = 16;

/** Extra wiring for {@link S3StorageAdapter}. */
export interface S3StorageAdapterOptions {
  /** Use this client instead of building one from the config (tests, custom middleware, shared pools). */
  client?: S3ClientLike;
}

/**
 * Stores objects in an S3 bucket (AWS S3, MinIO, Wasabi, R2, ...).
 *
 * - Bodies up to `multipartThreshold` (16 MiB) go up in one retryable `PutObject`: in-memory ones, and
 *   streams with a declared `contentLength`; larger ones and streams of unknown length
 *   go multipart with parallel parts in a fixed pool of part buffers
 *   (memory is bounded by `(queueSize + 1) × partSize`), aborted on failure
 *   so no upload is left dangling.
 * - No ACL headers are ever sent, so buckets with ACLs disabled and R2 work.
 * - Requests retry with the SDK's standard strategy; connect and socket
 *   timeouts bound how long a dead endpoint can hold a call.
 */
export class S3StorageAdapter implements StorageAdapter {
  readonly backend = BACKEND;
  readonly #config: S3StorageConfig;
  readonly #raw: S3ClientLike;
  readonly #client: S3ClientLike;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #partSize: number;
  readonly #singlePutMax: number;
  readonly #queueSize: number;
  #signer: S3Client | undefined;

  constructor(config: S3StorageConfig, options: S3StorageAdapterOptions = {}) {
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
    this.#bucket = config.s3.bucket;
    this.#prefix = prefix;
    this.#partSize = partSize;
    this.#singlePutMax = Math.max(partSize, config.s3.multipartThreshold ?? 16 * MiB);
    this.#queueSize = config.s3.queueSize ?? 4;
    this.#raw = options.client ?? this.#buildClient();
    this.#client = withOperationTimeout(this.#raw, timeout);
  }

  /** The client requests go through (the injected one, if any). */
  get client(): S3ClientLike {
    return this.#raw;
  }

  async upload(
    key: string,
    body: Body,
    contentType: string,
    options: UploadOptions = {},
  ): Promise<string> {
    validateKey(key, 'upload', BACKEND);
    validateUploadOptions(key, contentType, options, BACKEND);
    const params: PutObjectCommandInput = {
      Bucket: this.#bucket,
      Key: this.#full(key),
      ContentType: contentType,
      CacheControl: options.cacheControl,
      Metadata: options.metadata,
      IfNoneMatch: options.ifNotExists ? '*' : undefined,
    };
    const { signal } = options;
    try {
      signal?.throwIfAborted();
      // Conditional writes are enforced by the server (If-None-Match); the
      // pre-check also covers stores that ignore the header.
      if (options.ifNotExists && (await this.#head(key, 'upload', signal))) {
        throw mapS3Error({ name: 'PreconditionFailed' }, 'upload', key, this.#bucket);
      }
      const bytes = bodyToBuffer(body);
      if (bytes && options.contentLength !== undefined && options.contentLength !== bytes.length) {
        throw new StorageError(
          'EINVAL',
          `Body of ${JSON.stringify(key)} does not match contentLength`,
          {
            key,
            operation: 'upload',
            backend: BACKEND,
          },
        );
      }
      if (bytes && bytes.length <= this.#singlePutMax) {
        await this.#client.send(
          new PutObjectCommand({ ...params, Body: bytes, ContentLength: bytes.length }),
          {
            abortSignal: signal,
          },
        );
      } else {
        await this.#multipart(key, params, body, options);
      }
      return this.getPublicUrl(key);
    } catch (error) {
      // A failing body is the caller's error, not the store's: pass it on as it is.
      if (error instanceof BodyStreamError) throw error.cause;
      throw mapS3Error(error, 'upload', key, this.#bucket);
    }
  }

  async download(key: string): Promise<Buffer> {
    validateKey(key, 'download', BACKEND);
    const { body, length } = await this.#get(key, 'download');
    try {
      return length === undefined ? await streamToBuffer(body) : await readFully(body, length);
    } catch (error) {
      throw mapS3Error(error, 'download', key, this.#bucket);
    }
  }

  async downloadStream(key: string, range?: ByteRange): Promise<NodeJS.ReadableStream> {
    validateKey(key, 'downloadStream', BACKEND);
    if (range) validateRange(range, { key, backend: BACKEND });
    return (await this.#get(key, 'downloadStream', range)).body;
  }

  async exists(key: string): Promise<boolean> {
    validateKey(key, 'exists', BACKEND);
    return (await this.#head(key, 'exists')) !== undefined;
  }

  async delete(key: string): Promise<void> {
    validateKey(key, 'delete', BACKEND);
    try {
      await this.#client.send(
        new DeleteObjectCommand({ Bucket: this.#bucket, Key: this.#full(key) }),
      );
    } catch (error) {
      const mapped = mapS3Error(error, 'delete', key, this.#bucket);
      if (mapped instanceof StorageError && mapped.code === 'ENOENT') return;
      throw mapped;
    }
  }

  getPublicUrl(key: string): string {
    validateKey(key, 'getPublicUrl', BACKEND);
    if (this.#config.baseUrl) return joinPublicUrl(this.#config.baseUrl, key);
    return this.getBucketUrl(key);
  }

  /**
   * URL of the object at the bucket itself (not the CDN of `baseUrl`): what an anonymous client reads when the
   * bucket policy allows it. Does no I/O.
   *
   * @throws {InvalidKeyError}
   */
  getBucketUrl(key: string): string {
    validateKey(key, 'getPublicUrl', BACKEND);
    const full = encodeKeyForUrl(this.#full(key));
    const { endpoint, region } = this.#config.s3;
    if (endpoint && this.#pathStyle())
      return `${endpoint.replace(/\/+$/, '')}/${encodeURIComponent(this.#bucket)}/${full}`;
    if (endpoint) {
      const url = new URL(endpoint);
      return `${url.protocol}//${this.#bucket}.${url.host}/${full}`;
    }
    return `https://${this.#bucket}.s3.${region}.amazonaws.com/${full}`;
  }

  async stat(key: string): Promise<ObjectInfo> {
    validateKey(key, 'stat', BACKEND);
    const head = await this.#head(key, 'stat');
    if (!head) throw mapS3Error({ name: 'NotFound' }, 'stat', key, this.#bucket);
    return this.#info(key, head);
  }

  async list(prefix = '', options: ListOptions = {}): Promise<ListPage> {
    validatePrefix(prefix, 'list', BACKEND);
    const limit = resolveListLimit(options.limit, BACKEND);
    const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
    // S3 promises "up to MaxKeys" per answer (a sharded index, as on Ceph RGW, answers short or even empty
    // pages while truncated): follow the continuation token until the page is full or the listing ends.
    const found: ObjectInfo[] = [];
    let token: string | undefined;
    let truncated: boolean;
    do {
      const page = await this.#listPage(prefix, limit - found.length, after, 'list', token);
      found.push(...page.items);
      truncated = page.truncated;
      token = page.token;
    } while (truncated && token && found.length < limit);
    const items = options.metadata ? await this.#withMetadata(found) : found;
    const last = items.at(-1);
    return truncated && last ? { items, cursor: encodeCursor(last.key) } : { items };
  }

  async *listAll(prefix = ''): AsyncIterable<ObjectInfo> {
    validatePrefix(prefix, 'listAll', BACKEND);
    let token: string | undefined;
    for (;;) {
      const page = await this.#listPage(prefix, 1000, undefined, 'listAll', token);
      yield* page.items;
      if (!page.truncated || !page.token) return;
      token = page.token;
    }
  }

  async copy(fromKey: string, toKey: string): Promise<void> {
    validateKey(fromKey, 'copy', BACKEND);
    validateKey(toKey, 'copy', BACKEND);
    try {
      await this.#client.send(
        new CopyObjectCommand({
          Bucket: this.#bucket,
          Key: this.#full(toKey),
          CopySource: `${this.#bucket}/${encodeKeyForUrl(this.#full(fromKey))}`,
          MetadataDirective: 'COPY',
        }),
      );
    } catch (error) {
      throw mapS3Error(error, 'copy', fromKey, this.#bucket);
    }
  }

  async move(fromKey: string, toKey: string): Promise<void> {
    validateKey(fromKey, 'move', BACKEND);
    validateKey(toKey, 'move', BACKEND);
    if (fromKey === toKey) {
      await this.stat(fromKey);
      return;
    }
    await this.copy(fromKey, toKey);
    await this.delete(fromKey);
  }

  async deletePrefix(prefix: string): Promise<number> {
    validateDeletePrefix(prefix, BACKEND);
    let deleted = 0;
    const failed: string[] = [];
    let batch: string[] = [];
    const flush = async () => {
      const result = await this.#deleteBatch(batch);
      deleted += result.deleted;
      failed.push(...result.failed);
      batch = [];
    };
    for await (const item of this.listAll(prefix)) {
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
        { key: prefix, operation: 'deletePrefix', backend: BACKEND },
      );
    }
    return deleted;
  }

  async getSignedUrl(key: string, options: SignedUrlOptions = {}): Promise<string> {
    validateKey(key, 'getSignedUrl', BACKEND);
    const expiresIn = options.expiresIn ?? 900;
    if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > 604800) {
      throw new ConfigError(
        'getSignedUrl: expiresIn must be an integer from 1 to 604800 seconds',
        ['expiresIn'],
        {
          key,
          operation: 'getSignedUrl',
          backend: BACKEND,
        },
      );
    }
    const input = { Bucket: this.#bucket, Key: this.#full(key) };
    const command =
      options.method === 'PUT'
        ? new PutObjectCommand(
            options.contentType ? { ...input, ContentType: options.contentType } : input,
          )
        : new GetObjectCommand(input);
    // Sign Content-Type when given, so the uploader must send exactly that type.
    const signableHeaders =
      options.method === 'PUT' && options.contentType ? new Set(['content-type']) : undefined;
    return presign(this.#signingClient(), command, { expiresIn, signableHeaders });
  }

  async checkHealth(): Promise<void> {
    try {
      await this.#client.send(
        new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: this.#prefix, MaxKeys: 1 }),
      );
    } catch (error) {
      throw mapS3Error(error, 'checkHealth', this.#prefix, this.#bucket);
    }
  }

  async sweepIncomplete(options: { olderThanMs?: number } = {}): Promise<number> {
    const olderThanMs = options.olderThanMs ?? 60 * 60 * 1000;
    // 0 means every unfinished upload: the server's start time may be ahead of our clock.
    const cutoff = olderThanMs > 0 ? Date.now() - olderThanMs : Infinity;
    let removed = 0;
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    try {
      for (;;) {
        const page = await this.#client.send(
          new ListMultipartUploadsCommand({
            Bucket: this.#bucket,
            Prefix: this.#prefix || undefined,
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
          await this.#client.send(
            new AbortMultipartUploadCommand({
              Bucket: this.#bucket,
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
      throw mapS3Error(error, 'sweepIncomplete', this.#prefix, this.#bucket);
    }
  }

  /**
   * Replaces the bucket policy with one that lets anyone read (`s3:GetObject`, never list) the objects under
   * `prefixes` (relative to this adapter's prefix), e.g. `['processed/', 'generated/']` for a CDN that fetches
   * them anonymously; everything else needs credentials or a signature. An empty list removes the policy.
   *
   * @throws {PermissionDeniedError} the credentials may not set bucket policies.
   */
  async setPublicReadPrefixes(prefixes: readonly string[]): Promise<void> {
    for (const prefix of prefixes) validatePrefix(prefix, 'config', BACKEND);
    try {
      if (prefixes.length === 0) {
        await this.#client.send(new DeleteBucketPolicyCommand({ Bucket: this.#bucket }));
        return;
      }
      const policy = {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'AnonymousReadOfServedPrefixes',
            Effect: 'Allow',
            Principal: { AWS: ['*'] },
            Action: ['s3:GetObject'],
            Resource: prefixes.map(
              (prefix) => `arn:aws:s3:::${this.#bucket}/${this.#full(prefix)}*`,
            ),
          },
        ],
      };
      await this.#client.send(
        new PutBucketPolicyCommand({ Bucket: this.#bucket, Policy: JSON.stringify(policy) }),
      );
    } catch (error) {
      throw mapS3Error(error, 'config', '', this.#bucket);
    }
  }

  /**
   * Creates the configured bucket when it does not exist (for `storage init`
   * and local stacks). Returns `true` when it was created.
   *
   * @throws {PermissionDeniedError} @throws {StorageUnavailableError}
   */
  async ensureBucket(): Promise<boolean> {
    try {
      await this.#client.send(new HeadBucketCommand({ Bucket: this.#bucket }));
      return false;
    } catch (error) {
      const mapped = mapS3Error(error, 'config', '', this.#bucket);
      if (
        !(mapped instanceof StorageError) ||
        (mapped.code !== 'ENOENT' && mapped.code !== 'ECONFIG')
      )
        throw mapped;
    }
    try {
      await this.#client.send(new CreateBucketCommand({ Bucket: this.#bucket }));
      return true;
    } catch (error) {
      throw mapS3Error(error, 'config', '', this.#bucket);
    }
  }

  // --- internals -----------------------------------------------------------

  #buildClient(): S3Client {
    const { s3 } = this.#config;
    return new S3Client({
      region: s3.region,
      endpoint: s3.endpoint,
      forcePathStyle: this.#pathStyle(),
      credentials:
        s3.accessKeyId && s3.secretAccessKey
          ? {
              accessKeyId: s3.accessKeyId,
              secretAccessKey: s3.secretAccessKey,
              sessionToken: s3.sessionToken,
            }
          : undefined,
      maxAttempts: s3.maxAttempts ?? 5,
      // Many S3-compatible stores reject the newer default integrity checksums.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: new NodeHttpHandler({
        connectionTimeout: s3.connectionTimeoutMs ?? 5000,
        socketTimeout: s3.socketTimeoutMs ?? 30000,
        httpAgent: { keepAlive: true, maxSockets: 64 },
        httpsAgent: { keepAlive: true, maxSockets: 64 },
      }),
    });
  }

  #signingClient(): S3Client {
    if (this.#raw instanceof S3Client) return this.#raw;
    this.#signer ??= this.#buildClient();
    return this.#signer;
  }

  #pathStyle(): boolean {
    return this.#config.s3.forcePathStyle ?? Boolean(this.#config.s3.endpoint);
  }

  #full(key: string): string {
    return this.#prefix + key;
  }

  async #multipart(
    key: string,
    params: PutObjectCommandInput,
    body: Body,
    options: UploadOptions,
  ): Promise<void> {
    let source: Readable = bodyToReadable(body);
    if (options.contentLength !== undefined && isStreamBody(body))
      source = pipeline(source, lengthGuard(options.contentLength, key), () => {}) as Readable;
    try {
      await uploadStream(this.#client, params, source, {
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
      const result = await this.#client.send(
        new GetObjectCommand({
          Bucket: this.#bucket,
          Key: this.#full(key),
          Range: range ? rangeHeader(range) : undefined,
        }),
      );
      return {
        body: result.Body as NodeJS.ReadableStream,
        length: typeof result.ContentLength === 'number' ? result.ContentLength : undefined,
      };
    } catch (error) {
      throw mapS3Error(error, operation, key, this.#bucket);
    }
  }

  async #head(
    key: string,
    operation: StorageOperation,
    signal?: AbortSignal,
  ): Promise<HeadObjectCommandOutput | undefined> {
    try {
      return await this.#client.send(
        new HeadObjectCommand({ Bucket: this.#bucket, Key: this.#full(key) }),
        {
          abortSignal: signal,
        },
      );
    } catch (error) {
      const mapped = mapS3Error(error, operation, key, this.#bucket);
      if (mapped instanceof StorageError && mapped.code === 'ENOENT') return undefined;
      throw mapped;
    }
  }

  #info(key: string, head: HeadObjectCommandOutput): ObjectInfo {
    const info: ObjectInfo = {
      key,
      size: Number(head.ContentLength ?? 0),
      contentType: head.ContentType ?? contentTypeFromKey(key),
      etag: head.ETag ?? '""',
      lastModified: head.LastModified ?? new Date(0),
      metadata: { ...(head.Metadata ?? {}) },
    };
    if (head.CacheControl) info.cacheControl = head.CacheControl;
    return info;
  }

  /** One `ListObjectsV2` answer: after `after`, or from a continuation `token` (which takes precedence). */
  async #listPage(
    prefix: string,
    limit: number,
    after: string | undefined,
    operation: StorageOperation,
    token?: string,
  ): Promise<{ items: ObjectInfo[]; truncated: boolean; token: string | undefined }> {
    try {
      const result = await this.#client.send(
        new ListObjectsV2Command({
          Bucket: this.#bucket,
          Prefix: this.#full(prefix),
          MaxKeys: limit,
          ...(token
            ? { ContinuationToken: token }
            : { StartAfter: after === undefined ? undefined : this.#full(after) }),
        }),
      );
      const items = (
        (result.Contents ?? []) as Array<{
          Key: string;
          Size?: number;
          ETag?: string;
          LastModified?: Date;
        }>
      ).map((object) => {
        const key = object.Key.slice(this.#prefix.length);
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
      throw mapS3Error(error, operation, prefix, this.#bucket);
    }
  }

  async #withMetadata(items: ObjectInfo[]): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = new Array(items.length);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < items.length; i = next++) {
        const item = items[i]!;
        const head = await this.#head(item.key, 'list');
        // Deleted between the listing and the HEAD: keep the listed facts.
        out[i] = head ? this.#info(item.key, head) : item;
      }
    };
    await Promise.all(Array.from({ length: Math.min(HEAD_CONCURRENCY, items.length) }, worker));
    return out;
  }

  async #deleteBatch(keys: string[]): Promise<{ deleted: number; failed: string[] }> {
    let pending = keys;
    for (let attempt = 1; ; attempt++) {
      let errors: string[];
      try {
        const result = await this.#client.send(
          new DeleteObjectsCommand({
            Bucket: this.#bucket,
            Delete: { Objects: pending.map((key) => ({ Key: this.#full(key) })), Quiet: true },
          }),
        );
        errors = ((result.Errors ?? []) as Array<{ Key?: string }>).map((e) =>
          String(e.Key).slice(this.#prefix.length),
        );
      } catch (error) {
        const mapped = mapS3Error(error, 'deletePrefix', pending[0] ?? '', this.#bucket);
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
}
