import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { md5HexToBase64 } from '@monorepo/storage-core';
import { listObjectsV2 } from './mock-s3/list-objects.js';
import {
  compareBytes,
  md5,
  parseTagging,
  readBody,
  s3Error,
  sdkStream,
} from './mock-s3/mock-s3-store.js';
import type { Handler, Input, MockS3ErrorSpec, StoredObject } from './mock-s3/mock-s3-store.js';
import { MockMultipartUploads } from './mock-s3/multipart.js';

/** A fault to inject into the next calls of a command. */
export interface MockS3Fault {
  /** How many calls it affects (default 1). */
  times?: number;
  /** Fail those calls with this error (an SDK-shaped spec or any Error, e.g. a network error). */
  error?: MockS3ErrorSpec | Error;
  /** Delay those calls by this many milliseconds (before failing or succeeding). */
  delayMs?: number;
  /** For `DeleteObjects`: keys reported as per-key `Errors` instead of deleted. */
  failKeys?: string[];
  /**
   * For `ListObjectsV2`: answer with at most this many keys while still reporting `IsTruncated`, as a sharded
   * bucket index (Ceph RGW) does; `0` answers an empty but truncated page.
   */
  pageKeys?: number;
}

/** One recorded call. */
export interface MockS3Call {
  command: string;
  input: Record<string, unknown>;
}

/**
 * An in-memory S3 that answers the commands the storage adapter sends, the
 * way S3 does: SDK-shaped errors, quoted MD5 ETags, byte ranges, paged
 * `ListObjectsV2` in byte-wise order, multipart uploads, `CopyObject`
 * directives, `DeleteObjects` per-key results. Hand it to an adapter in
 * place of an `S3Client`; inject faults with {@link failNext}.
 */
export class MockS3Client {
  /** Every call received, in order. */
  readonly calls: MockS3Call[] = [];
  /** Enough of `S3Client.config` for `@aws-sdk/lib-storage`. */
  readonly config = {
    endpoint: async () => ({
      protocol: 'http:',
      hostname: 'mock-s3.local',
      port: undefined,
      path: '/',
    }),
    forcePathStyle: true,
    requestChecksumCalculation: async () => 'WHEN_REQUIRED',
    requestHandler: undefined,
  };

  readonly #buckets = new Map<string, Map<string, StoredObject>>();
  readonly #multipart = new MockMultipartUploads({
    bucket: (name) => this.#bucket(name),
    checkPrecondition: (input) => this.#checkPrecondition(input),
  });
  readonly #faults = new Map<string, Array<MockS3Fault & { remaining: number }>>();
  readonly #autoCreateBuckets: boolean;
  readonly #handlers: Record<string, Handler>;

  /**
   * @param options.buckets buckets that exist from the start.
   * @param options.autoCreateBuckets create any bucket on first use (default `true` unless `buckets` is given).
   */
  constructor(options: { buckets?: string[]; autoCreateBuckets?: boolean } = {}) {
    for (const bucket of options.buckets ?? []) this.#buckets.set(bucket, new Map());
    this.#autoCreateBuckets = options.autoCreateBuckets ?? options.buckets === undefined;
    this.#handlers = {
      HeadBucket: async (i) => (this.#bucket(i.Bucket), {}),
      CreateBucket: async (i) => {
        if (!this.#buckets.has(String(i.Bucket))) this.#buckets.set(String(i.Bucket), new Map());
        return {};
      },
      PutBucketCors: async (i) => (this.#bucket(i.Bucket), {}),
      DeleteBucketCors: async (i) => (this.#bucket(i.Bucket), {}),
      PutBucketPolicy: async (i) => (this.#bucket(i.Bucket), {}),
      DeleteBucketPolicy: async (i) => (this.#bucket(i.Bucket), {}),
      PutObject: (i) => this.#putObject(i),
      GetObject: (i) => this.#getObject(i),
      HeadObject: (i) => this.#headObject(i),
      DeleteObject: async (i) => (this.#bucket(i.Bucket).delete(String(i.Key)), {}),
      DeleteObjects: (i) => this.#deleteObjects(i),
      ListObjectsV2: async (i) => listObjectsV2(this.#bucket(i.Bucket), i),
      CopyObject: (i) => this.#copyObject(i),
      GetObjectTagging: async (i) => ({
        TagSet: Object.entries(this.#object(i).tags).map(([Key, Value]) => ({ Key, Value })),
      }),
      PutObjectTagging: async (i) => {
        const object = this.#object(i);
        const set = (i.Tagging as { TagSet?: Array<{ Key: string; Value: string }> })?.TagSet ?? [];
        object.tags = Object.fromEntries(set.map((tag) => [tag.Key, tag.Value]));
        return {};
      },
      CreateMultipartUpload: (i) => this.#multipart.create(i),
      UploadPart: (i) => this.#multipart.uploadPart(i),
      CompleteMultipartUpload: (i) => this.#multipart.complete(i),
      AbortMultipartUpload: async (i) => {
        this.#multipart.upload(i).parts.clear();
        this.#multipart.uploads.delete(String(i.UploadId));
        return {};
      },
      ListMultipartUploads: async (i) => ({
        Uploads: [...this.#multipart.uploads.entries()]
          .filter(([, u]) => u.bucket === i.Bucket && u.key.startsWith(String(i.Prefix ?? '')))
          .map(([UploadId, u]) => ({ UploadId, Key: u.key, Initiated: u.initiated })),
      }),
    };
  }

  /** Makes the next call(s) of `command` (e.g. `'PutObject'` or `'PutObjectCommand'`) fail or stall. */
  failNext(command: string, fault: MockS3Fault = {}): this {
    const name = command.replace(/Command$/, '');
    const list = this.#faults.get(name) ?? [];
    list.push({ ...fault, remaining: fault.times ?? 1 });
    this.#faults.set(name, list);
    return this;
  }

  /** Removes every pending fault. */
  clearFaults(): void {
    this.#faults.clear();
  }

  /** Multipart uploads begun and neither completed nor aborted. */
  pendingMultipartUploads(): Array<{ bucket: string; key: string; uploadId: string }> {
    return [...this.#multipart.uploads.entries()].map(([uploadId, u]) => ({
      bucket: u.bucket,
      key: u.key,
      uploadId,
    }));
  }

  /** Keys stored in `bucket`, byte-wise sorted (for assertions). */
  keys(bucket: string): string[] {
    return [...(this.#buckets.get(bucket)?.keys() ?? [])].sort(compareBytes);
  }

  /** Number of calls of one command (e.g. `'UploadPart'`). */
  callCount(command: string): number {
    return this.calls.filter((c) => c.command === command).length;
  }

  /** The `S3Client.send` entry point (typed loosely, like the SDK's per-command outputs). */
  async send(
    command: { input?: Input; constructor: { name: string } },
    options?: { abortSignal?: AbortSignal },
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
  ): Promise<any> {
    const name = command.constructor.name.replace(/Command$/, '');
    const input = command.input ?? {};
    this.calls.push({ command: name, input });
    const handler = this.#handlers[name];
    if (!handler)
      throw s3Error({
        name: 'NotImplemented',
        status: 501,
        message: `MockS3Client does not implement ${name}`,
      });
    const fault = this.#takeFault(name);
    if (fault?.delayMs) await sleep(fault.delayMs, undefined, { signal: options?.abortSignal });
    options?.abortSignal?.throwIfAborted();
    if (fault?.error) throw fault.error instanceof Error ? fault.error : s3Error(fault.error);
    const result = await handler({
      ...input,
      ...(fault?.failKeys ? { __failKeys: fault.failKeys } : {}),
      ...(fault?.pageKeys !== undefined ? { __pageKeys: fault.pageKeys } : {}),
    });
    return {
      $metadata: { httpStatusCode: 200, requestId: randomUUID(), attempts: 1, totalRetryDelay: 0 },
      ...result,
    };
  }

  /** Like `S3Client.destroy`; nothing to release. */
  destroy(): void {}

  #takeFault(name: string): MockS3Fault | undefined {
    const list = this.#faults.get(name);
    const fault = list?.[0];
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) list.shift();
    return fault;
  }

  #bucket(name: unknown): Map<string, StoredObject> {
    const bucket = this.#buckets.get(String(name));
    if (bucket) return bucket;
    if (this.#autoCreateBuckets) {
      const created = new Map<string, StoredObject>();
      this.#buckets.set(String(name), created);
      return created;
    }
    throw s3Error({
      name: 'NoSuchBucket',
      status: 404,
      message: 'The specified bucket does not exist',
    });
  }

  #object(input: Input, headOnly = false): StoredObject {
    const object = this.#bucket(input.Bucket).get(String(input.Key));
    if (!object) {
      throw headOnly
        ? s3Error({ name: 'NotFound', status: 404, message: 'Not Found' })
        : s3Error({ name: 'NoSuchKey', status: 404, message: 'The specified key does not exist.' });
    }
    return object;
  }

  #checkPrecondition(input: Input): void {
    if (input.IfNoneMatch === '*' && this.#bucket(input.Bucket).has(String(input.Key))) {
      throw s3Error({
        name: 'PreconditionFailed',
        status: 412,
        message: 'At least one of the pre-conditions you specified did not hold',
      });
    }
  }

  async #putObject(input: Input): Promise<Record<string, unknown>> {
    const body = await readBody(input.Body);
    if (typeof input.ContentLength === 'number' && input.ContentLength !== body.length) {
      throw s3Error({
        name: 'IncompleteBody',
        status: 400,
        message: 'Body length does not match Content-Length',
      });
    }
    if (typeof input.ContentMD5 === 'string' && md5HexToBase64(md5(body)) !== input.ContentMD5) {
      throw s3Error({
        name: 'BadDigest',
        status: 400,
        message: 'The Content-MD5 you specified did not match what we received.',
      });
    }
    this.#checkPrecondition(input);
    const etag = `"${md5(body)}"`;
    this.#bucket(input.Bucket).set(String(input.Key), {
      body,
      contentType: input.ContentType as string | undefined,
      cacheControl: input.CacheControl as string | undefined,
      metadata: { ...((input.Metadata as Record<string, string>) ?? {}) },
      tags: parseTagging(input.Tagging),
      etag,
      lastModified: new Date(),
    });
    return { ETag: etag };
  }

  #headers(object: StoredObject): Record<string, unknown> {
    return {
      ContentType: object.contentType ?? 'binary/octet-stream',
      CacheControl: object.cacheControl,
      Metadata: { ...object.metadata },
      ETag: object.etag,
      LastModified: object.lastModified,
      ContentLength: object.body.length,
      AcceptRanges: 'bytes',
    };
  }

  async #getObject(input: Input): Promise<Record<string, unknown>> {
    const object = this.#object(input);
    const headers = this.#headers(object);
    if (typeof input.Range !== 'string') return { ...headers, Body: sdkStream(object.body) };
    const match = /^bytes=(\d+)-(\d*)$/.exec(input.Range);
    const size = object.body.length;
    const start = match ? Number(match[1]) : NaN;
    if (!match || start >= size) {
      throw s3Error({
        name: 'InvalidRange',
        status: 416,
        message: 'The requested range is not satisfiable',
      });
    }
    const end = Math.min(match[2] ? Number(match[2]) : size - 1, size - 1);
    const part = object.body.subarray(start, end + 1);
    return {
      ...headers,
      ContentLength: part.length,
      ContentRange: `bytes ${start}-${end}/${size}`,
      Body: sdkStream(Buffer.from(part)),
    };
  }

  async #headObject(input: Input): Promise<Record<string, unknown>> {
    return this.#headers(this.#object(input, true));
  }

  async #deleteObjects(input: Input): Promise<Record<string, unknown>> {
    const bucket = this.#bucket(input.Bucket);
    const objects = ((input.Delete as { Objects?: Array<{ Key: string }> })?.Objects ?? []).map(
      (o) => o.Key,
    );
    if (objects.length > 1000)
      throw s3Error({ name: 'MalformedXML', status: 400, message: 'Too many keys' });
    const failing = new Set((input.__failKeys as string[] | undefined) ?? []);
    const Deleted: Array<{ Key: string }> = [];
    const Errors: Array<{ Key: string; Code: string; Message: string }> = [];
    for (const key of objects) {
      if (failing.has(key)) {
        Errors.push({
          Key: key,
          Code: 'InternalError',
          Message: 'We encountered an internal error. Please try again.',
        });
      } else {
        bucket.delete(key);
        Deleted.push({ Key: key });
      }
    }
    const quiet = (input.Delete as { Quiet?: boolean })?.Quiet === true;
    return { Deleted: quiet ? undefined : Deleted, Errors: Errors.length ? Errors : undefined };
  }

  async #copyObject(input: Input): Promise<Record<string, unknown>> {
    const source = decodeURIComponent(String(input.CopySource).replace(/^\//, ''));
    const slash = source.indexOf('/');
    const source0 = this.#object({ Bucket: source.slice(0, slash), Key: source.slice(slash + 1) });
    const replace = input.MetadataDirective === 'REPLACE';
    const copy: StoredObject = {
      body: source0.body,
      contentType: replace ? (input.ContentType as string | undefined) : source0.contentType,
      cacheControl: replace ? (input.CacheControl as string | undefined) : source0.cacheControl,
      metadata: replace
        ? { ...((input.Metadata as Record<string, string>) ?? {}) }
        : { ...source0.metadata },
      tags:
        input.TaggingDirective === 'REPLACE' ? parseTagging(input.Tagging) : { ...source0.tags },
      etag: source0.etag,
      lastModified: new Date(),
    };
    this.#bucket(input.Bucket).set(String(input.Key), copy);
    return { CopyObjectResult: { ETag: copy.etag, LastModified: copy.lastModified } };
  }
}
