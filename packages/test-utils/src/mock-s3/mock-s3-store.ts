import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';

/** One stored object of the mock. */
export interface StoredObject {
  body: Buffer;
  contentType: string | undefined;
  cacheControl: string | undefined;
  metadata: Record<string, string>;
  etag: string;
  lastModified: Date;
  tags: Record<string, string>;
}

export interface MultipartUpload {
  bucket: string;
  key: string;
  initiated: Date;
  params: Pick<StoredObject, 'contentType' | 'cacheControl' | 'metadata' | 'tags'>;
  parts: Map<number, { body: Buffer; etag: string }>;
}

export type Input = Record<string, unknown>;
export type Handler = (input: Input) => Promise<Record<string, unknown>>;

export const MIN_PART_SIZE = 5 * 1024 * 1024;

/** An error shaped like the AWS SDK's service exceptions. */
export interface MockS3ErrorSpec {
  /** SDK error name / S3 error code, e.g. `'SlowDown'`, `'AccessDenied'`. */
  name: string;
  /** HTTP status (default 500). */
  status?: number;
  message?: string;
}

/** An error shaped like the SDK's service exceptions. */
export function s3Error(spec: MockS3ErrorSpec): Error {
  const status = spec.status ?? 500;
  return Object.assign(new Error(spec.message ?? spec.name), {
    name: spec.name,
    Code: spec.name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status, requestId: randomUUID(), attempts: 1, totalRetryDelay: 0 },
  });
}

export function md5(data: Buffer): string {
  return createHash('md5').update(data).digest('hex');
}

export async function readBody(body: unknown): Promise<Buffer> {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body);
  if (Buffer.isBuffer(body)) return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Buffer | string>) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

/** A Readable with the SDK's stream helpers (`transformToByteArray`, `transformToString`). */
export function sdkStream(data: Buffer): Readable {
  const stream = Readable.from([data]);
  return Object.assign(stream, {
    transformToByteArray: async () => new Uint8Array(await readBody(stream)),
    transformToString: async (encoding: BufferEncoding = 'utf8') =>
      (await readBody(stream)).toString(encoding),
  });
}

export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** Tags from an `x-amz-tagging` query string (`a=1&b=2`), as S3 takes them on writes. */
export function parseTagging(tagging: unknown): Record<string, string> {
  return typeof tagging === 'string' && tagging !== ''
    ? Object.fromEntries(new URLSearchParams(tagging))
    : {};
}
