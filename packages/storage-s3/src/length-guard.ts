import { Transform } from 'node:stream';
import { StorageError } from '@monorepo/storage-core';

/** Passes bytes through and fails the stream if their total differs from `expected`. */
export function lengthGuard(expected: number, key: string): Transform {
  let seen = 0;
  const mismatch = () =>
    new StorageError(
      'EINVAL',
      `Body of ${JSON.stringify(key)} does not match contentLength ${expected} (got ${seen}+ bytes)`,
      {
        key,
        operation: 'upload',
        backend: 's3',
      },
    );
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      callback(seen > expected ? mismatch() : null, chunk);
    },
    flush(callback) {
      callback(seen === expected ? null : mismatch());
    },
  });
}
