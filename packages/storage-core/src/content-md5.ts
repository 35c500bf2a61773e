import { createHash } from 'node:crypto';
import { Transform, pipeline } from 'node:stream';
import { StorageError } from './errors.js';

/** The form {@link UploadOptions.contentMd5} takes: 32 hexadecimal digits. */
export const CONTENT_MD5 = /^[0-9a-f]{32}$/i;

/** The error an upload fails with when its body does not hash to the declared `contentMd5` (`EINVAL`). */
export function contentMd5Mismatch(key: string, backend: string, cause?: unknown): StorageError {
  return new StorageError(
    'EINVAL',
    `Body of ${JSON.stringify(key)} does not match its contentMd5`,
    {
      key,
      operation: 'upload',
      backend,
      cause,
    },
  );
}

/** True when `bytes` hash to the MD5 `expectedHex`. */
export function md5Matches(bytes: Uint8Array, expectedHex: string): boolean {
  return createHash('md5').update(bytes).digest('hex') === expectedHex.toLowerCase();
}

/** A hex MD5 as the base64 a `Content-MD5` header carries. */
export function md5HexToBase64(hex: string): string {
  return Buffer.from(hex, 'hex').toString('base64');
}

/**
 * `source` passed through unchanged, failing at its end with {@link contentMd5Mismatch} when what flowed does
 * not hash to `expectedHex` (so a store reading it discards the upload). An error of `source` is passed on.
 */
export function verifyingMd5(
  source: NodeJS.ReadableStream,
  expectedHex: string,
  key: string,
  backend: string,
): NodeJS.ReadableStream {
  const md5 = createHash('md5');
  const check = new Transform({
    transform(chunk: Buffer | string, _encoding, callback) {
      md5.update(chunk);
      callback(null, chunk);
    },
    flush(callback) {
      callback(
        md5.digest('hex') === expectedHex.toLowerCase() ? null : contentMd5Mismatch(key, backend),
      );
    },
  });
  return pipeline(source, check, () => {});
}
