import { InvalidRangeError, InvalidKeyError } from './errors.js';
import type { StorageOperation } from './errors.js';
import type { ByteRange } from './storage-adapter.js';

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
  const { start, end } = range;
  const valid =
    Number.isSafeInteger(start) &&
    start >= 0 &&
    (end === undefined || (Number.isSafeInteger(end) && end >= start));
  if (!valid || start >= size) {
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
