import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { PutObjectCommandInput } from '@aws-sdk/client-s3';
import type { DriverWrite } from '@monorepo/storage-core';
import type { S3ClientLike } from './s3-client-like.js';

/** The ETag of a put or a completed multipart upload, as `HeadObject` answers it afterwards. */
export const etagOf = (output: { ETag?: string }): string => output.ETag ?? '""';

/** Wraps an error raised by the body stream itself (the caller's failure, not the store's). */
export class BodyStreamError extends Error {
  constructor(cause: unknown) {
    super('The upload body stream failed', { cause });
    this.name = 'BodyStreamError';
  }
}

async function* guarded(source: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer | string> {
  const iterator = source[Symbol.asyncIterator]();
  for (;;) {
    let step: IteratorResult<Buffer | string>;
    try {
      step = await iterator.next();
    } catch (error) {
      throw new BodyStreamError(error);
    }
    if (step.done) return;
    yield step.value;
  }
}

/** Reads a body of a known length into one buffer of exactly that size. */
async function readExactly(
  source: AsyncIterable<Buffer | string>,
  length: number,
  signal: AbortSignal | undefined,
): Promise<Buffer> {
  const body = Buffer.allocUnsafeSlow(length);
  let filled = 0;
  for await (const item of guarded(source)) {
    signal?.throwIfAborted();
    const chunk = typeof item === 'string' ? Buffer.from(item) : item;
    if (filled + chunk.length > length)
      throw new BodyStreamError(new Error(`The body is longer than its declared ${length} bytes`));
    filled += chunk.copy(body, filled);
  }
  if (filled !== length)
    throw new BodyStreamError(new Error(`The body is shorter than its declared ${length} bytes`));
  return body;
}

/** How a stream is cut into parts. */
export interface MultipartOptions {
  /** Bytes per part (S3 minimum 5 MiB, except the last). */
  partSize: number;
  /** Parts uploaded at the same time. */
  queueSize: number;
  /** The body's declared length, if known (already enforced by a length guard in front of `source`). */
  expectedLength?: number;
  /**
   * A body whose declared length is at most this goes up in one `PutObject` from a buffer of exactly its
   * size (retryable, one request instead of at least four). Default: `partSize`.
   */
  singlePutMax?: number;
  signal?: AbortSignal;
}

/**
 * Streams `source` to S3 with bounded memory: at most `queueSize` parts in
 * flight plus the one being filled, each in a reused buffer (no per-part
 * concatenation). A body that fits in one part goes up as a single
 * `PutObject`. On any failure the multipart upload is aborted, so no parts
 * are left behind. Errors of the body stream itself come out as {@link BodyStreamError}.
 */
export async function uploadStream(
  client: S3ClientLike,
  params: PutObjectCommandInput,
  source: AsyncIterable<Buffer | string>,
  options: MultipartOptions,
): Promise<DriverWrite> {
  const { partSize, queueSize, signal, expectedLength } = options;
  if (expectedLength !== undefined && expectedLength <= (options.singlePutMax ?? partSize)) {
    const body = await readExactly(source, expectedLength, signal);
    const put = await client.send(
      new PutObjectCommand({ ...params, Body: body, ContentLength: body.length }),
      { abortSignal: signal },
    );
    return { size: body.length, etag: etagOf(put) };
  }
  const { Bucket, Key, IfNoneMatch, Body: _body, ContentLength: _length, ...createParams } = params;
  const free: Buffer[] = [];
  const inFlight = new Set<Promise<void>>();
  const parts: Array<{ PartNumber: number; ETag: string }> = [];
  let uploadId: string | undefined;
  let failure: unknown;
  let partNumber = 0;

  const dispatch = async (data: Buffer, pooled: Buffer | undefined) => {
    while (inFlight.size >= queueSize) await Promise.race(inFlight);
    if (failure) throw failure;
    if (uploadId === undefined) {
      const created = await client.send(
        new CreateMultipartUploadCommand({ ...createParams, Bucket, Key }),
        { abortSignal: signal },
      );
      uploadId = created.UploadId as string;
    }
    const number = ++partNumber;
    const task = client
      .send(
        new UploadPartCommand({
          Bucket,
          Key,
          UploadId: uploadId,
          PartNumber: number,
          Body: data,
          ContentLength: data.length,
        }),
        {
          abortSignal: signal,
        },
      )
      .then((result: { ETag?: string }) => {
        if (!result.ETag) throw new Error(`S3 returned no ETag for part ${number} of ${Key}`);
        parts.push({ PartNumber: number, ETag: result.ETag });
      })
      .catch((error: unknown) => {
        failure ??= error;
      })
      .finally(() => {
        inFlight.delete(task);
        if (pooled) free.push(pooled);
      });
    inFlight.add(task);
  };

  let current: Buffer | undefined;
  let filled = 0;
  let total = 0;
  try {
    for await (const item of guarded(source)) {
      signal?.throwIfAborted();
      if (failure) throw failure;
      const chunk = typeof item === 'string' ? Buffer.from(item) : item;
      total += chunk.length;
      let offset = 0;
      while (offset < chunk.length) {
        if (filled === 0 && chunk.length - offset >= partSize) {
          // A whole part inside one chunk: send a view of it, no copy.
          await dispatch(chunk.subarray(offset, offset + partSize), undefined);
          offset += partSize;
          continue;
        }
        current ??= free.pop() ?? Buffer.allocUnsafeSlow(partSize);
        const n = chunk.copy(
          current,
          filled,
          offset,
          Math.min(chunk.length, offset + partSize - filled),
        );
        filled += n;
        offset += n;
        if (filled === partSize) {
          await dispatch(current, current);
          current = undefined;
          filled = 0;
        }
      }
    }
    if (uploadId === undefined) {
      const body = current ? current.subarray(0, filled) : Buffer.alloc(0);
      const put = await client.send(
        new PutObjectCommand({ ...params, Body: body, ContentLength: body.length }),
        { abortSignal: signal },
      );
      return { size: body.length, etag: etagOf(put) };
    }
    if (filled > 0 && current) await dispatch(current.subarray(0, filled), undefined);
    await Promise.all(inFlight);
    if (failure) throw failure;
    parts.sort((a, b) => a.PartNumber - b.PartNumber);
    const completed = await client.send(
      new CompleteMultipartUploadCommand({
        Bucket,
        Key,
        UploadId: uploadId,
        IfNoneMatch,
        MultipartUpload: { Parts: parts },
      }),
      { abortSignal: signal },
    );
    // Some stores (radosgw) answer a completion without the ETag: read it back then (a large upload, one request).
    const etag = (completed as { ETag?: string }).ETag
      ? etagOf(completed)
      : etagOf(await client.send(new HeadObjectCommand({ Bucket, Key }), { abortSignal: signal }));
    return { size: total, etag };
  } catch (error) {
    await Promise.allSettled(inFlight);
    if (uploadId !== undefined) {
      await client
        .send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId: uploadId }))
        .catch(() => {});
    }
    throw error;
  }
}
