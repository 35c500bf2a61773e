import { CONTENT_MD5 } from './content-md5.js';
import { InvalidRangeError, InvalidKeyError } from './errors.js';
import type { StorageOperation } from './errors.js';
import type { ByteRange, UploadOptions } from './storage-adapter.js';

/** Largest page a `list` call returns (the S3 limit). */
export const MAX_LIST_LIMIT = 1000;

/**
 * Checks `ListOptions.limit` and returns the page size to use.
 *
 * @throws {InvalidKeyError} when the limit is not an integer in 1..1000.
 */
export function resolveListLimit(limit: number | undefined, backend?: string): number {
  if (limit === undefined) return MAX_LIST_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
    throw new InvalidKeyError(
      `Invalid list limit ${String(limit)}: must be an integer from 1 to ${MAX_LIST_LIMIT}`,
      {
        operation: 'list',
        backend,
      },
    );
  }
  return limit;
}

/**
 * Checks the shape of a byte range: `start` a non-negative integer, `end` (if
 * given) an integer not below `start`. Whether it fits the object is for the
 * backend to tell.
 *
 * @throws {InvalidRangeError} when the range is malformed.
 */
export function validateRange(
  range: ByteRange,
  context: { key: string; operation?: StorageOperation; backend?: string },
): void {
  const { start, end } = range;
  const valid =
    Number.isSafeInteger(start) &&
    start >= 0 &&
    (end === undefined || (Number.isSafeInteger(end) && end >= start));
  if (!valid) {
    throw new InvalidRangeError(
      `Range ${start}-${end ?? ''} is malformed for ${JSON.stringify(context.key)}`,
      {
        operation: 'downloadStream',
        ...context,
      },
    );
  }
}

/**
 * Checks a byte range against an object's size and returns the inclusive
 * `[start, end]` to read, with `end` clamped to the last byte.
 *
 * @throws {InvalidRangeError} when the range is malformed or starts at or past the end.
 */
export function resolveRange(
  range: ByteRange,
  size: number,
  context: { key: string; operation?: StorageOperation; backend?: string },
): { start: number; end: number } {
  validateRange(range, context);
  const { start, end } = range;
  if (start >= size) {
    throw new InvalidRangeError(
      `Range ${start}-${end ?? ''} is not satisfiable for ${JSON.stringify(context.key)} (${size} bytes)`,
      { operation: 'downloadStream', ...context },
    );
  }
  return { start, end: Math.min(end ?? size - 1, size - 1) };
}

/** Turns a {@link ByteRange} into an HTTP `Range` header value. */
export function rangeHeader(range: ByteRange): string {
  return `bytes=${range.start}-${range.end ?? ''}`;
}

const METADATA_NAME = /^[a-z0-9][a-z0-9_-]*$/;
// Printable ASCII: what every backend can carry in an HTTP header unchanged.
const METADATA_VALUE = /^[\x20-\x7e]*$/;
/** Largest total size of user metadata (names + values), the S3 limit. */
export const MAX_METADATA_BYTES = 2048;

/**
 * Checks upload options every backend must treat alike: metadata names are
 * lower-case `[a-z0-9_-]`, values printable ASCII, 2 KiB in all; a declared
 * `contentLength` is a non-negative integer.
 *
 * @throws {InvalidKeyError} naming the offending option.
 */
export function validateUploadOptions(
  key: string,
  contentType: unknown,
  options: UploadOptions,
  backend?: string,
): void {
  const fail = (problem: string) => {
    throw new InvalidKeyError(`Invalid upload of ${JSON.stringify(key)}: ${problem}`, {
      key,
      operation: 'upload',
      backend,
    });
  };
  if (
    typeof contentType !== 'string' ||
    contentType.length === 0 ||
    !METADATA_VALUE.test(contentType)
  ) {
    fail('contentType must be a non-empty printable ASCII string');
  }
  if (options.cacheControl !== undefined && !METADATA_VALUE.test(options.cacheControl)) {
    fail('cacheControl must be printable ASCII');
  }
  if (
    options.contentLength !== undefined &&
    !(Number.isSafeInteger(options.contentLength) && options.contentLength >= 0)
  ) {
    fail('contentLength must be a non-negative integer');
  }
  if (options.contentMd5 !== undefined && !CONTENT_MD5.test(String(options.contentMd5)))
    fail('contentMd5 must be 32 hexadecimal digits');
  if (
    options.visibility !== undefined &&
    options.visibility !== 'public' &&
    options.visibility !== 'private'
  )
    fail('visibility must be "public" or "private"');
  if (
    options.lastModified !== undefined &&
    !(options.lastModified instanceof Date && Number.isFinite(options.lastModified.getTime()))
  )
    fail('lastModified must be a valid Date');
  let total = 0;
  for (const [name, value] of Object.entries(options.metadata ?? {})) {
    if (!METADATA_NAME.test(name))
      fail(`metadata name ${JSON.stringify(name)} must match [a-z0-9][a-z0-9_-]*`);
    if (typeof value !== 'string' || !METADATA_VALUE.test(value))
      fail(`metadata ${name} must be a printable ASCII string`);
    total += name.length + value.length;
  }
  if (total > MAX_METADATA_BYTES)
    fail(`metadata must be at most ${MAX_METADATA_BYTES} bytes in all`);
}
