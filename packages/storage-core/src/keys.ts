import { InvalidKeyError } from './errors.js';
import type { StorageOperation } from './errors.js';

/** Longest key accepted, in UTF-8 bytes (the S3 limit). */
export const MAX_KEY_BYTES = 1024;

// C0 controls, DEL and C1 controls.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;

function check(key: string, allowTrailingSlash: boolean): string | undefined {
  if (key.length === 0) return 'must not be empty';
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES)
    return `must be at most ${MAX_KEY_BYTES} bytes`;
  if (!key.isWellFormed()) return 'must be valid UTF-8 (lone surrogate)';
  if (CONTROL_CHARS.test(key)) return 'must not contain control characters';
  if (key.includes('\\')) return 'must not contain a backslash';
  if (key.startsWith('/')) return 'must be relative (no leading "/")';
  const segments = key.split('/');
  if (allowTrailingSlash && segments.at(-1) === '') segments.pop();
  for (const segment of segments) {
    if (segment === '') return 'must not contain empty segments ("//" or a trailing "/")';
    if (segment === '.' || segment === '..') return 'must not contain "." or ".." segments';
  }
  return undefined;
}

/**
 * Validates an object key and returns it unchanged.
 *
 * A key is relative, `/`-separated, valid UTF-8, at most {@link MAX_KEY_BYTES}
 * bytes, with no empty, `.` or `..` segment, no backslash and no control
 * character. Any other Unicode (CJK, emoji, spaces, `+ % # ?`) is valid.
 *
 * @throws {InvalidKeyError} when the key breaks a rule; no I/O has happened.
 */
export function validateKey(key: unknown, operation?: StorageOperation, backend?: string): string {
  if (typeof key !== 'string') {
    throw new InvalidKeyError('Invalid key: must be a string', { operation, backend });
  }
  const problem = check(key, false);
  if (problem)
    throw new InvalidKeyError(`Invalid key ${JSON.stringify(key)}: ${problem}`, {
      key,
      operation,
      backend,
    });
  return key;
}

/**
 * Validates a listing prefix. The empty string (everything) is valid, and a
 * prefix may end in `/`; otherwise the key rules apply. A prefix matches keys
 * that start with it byte for byte, so `a/` matches `a/x` but not `ab`.
 *
 * @throws {InvalidKeyError} when the prefix breaks a rule.
 */
export function validatePrefix(
  prefix: unknown,
  operation?: StorageOperation,
  backend?: string,
): string {
  if (prefix === undefined || prefix === '') return '';
  if (typeof prefix !== 'string') {
    throw new InvalidKeyError('Invalid prefix: must be a string', { operation, backend });
  }
  const problem = check(prefix, true);
  if (problem) {
    throw new InvalidKeyError(`Invalid prefix ${JSON.stringify(prefix)}: ${problem}`, {
      key: prefix,
      operation,
      backend,
    });
  }
  return prefix;
}

/**
 * Validates the prefix of a `deletePrefix` call: a valid prefix, and never
 * empty (deleting everything takes an explicit prefix per top-level folder).
 *
 * @throws {InvalidKeyError} for an empty or invalid prefix.
 */
export function validateDeletePrefix(prefix: unknown, backend?: string): string {
  if (prefix === '' || prefix === undefined) {
    throw new InvalidKeyError('deletePrefix needs a non-empty prefix', {
      operation: 'deletePrefix',
      backend,
    });
  }
  return validatePrefix(prefix, 'deletePrefix', backend);
}

/** Percent-encodes each segment of a key for use in a URL path, keeping the `/` separators. */
export function encodeKeyForUrl(key: string): string {
  return key
    .split('/')
    .map((segment) =>
      encodeURIComponent(segment).replace(
        /[!'()*]/g,
        (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
      ),
    )
    .join('/');
}

/** Joins a base URL and a key: `baseUrl` (trailing slashes trimmed) + `/` + {@link encodeKeyForUrl}(key). */
export function joinPublicUrl(baseUrl: string, key: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/${encodeKeyForUrl(key)}`;
}

/** Compares two keys by their UTF-8 bytes, the order S3 lists in. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
