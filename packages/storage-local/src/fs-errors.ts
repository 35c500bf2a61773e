import {
  AlreadyExistsError,
  InsufficientStorageError,
  InvalidKeyError,
  NotFoundError,
  PermissionDeniedError,
  StorageError,
} from '@monorepo/storage-core';
import type { StorageOperation } from '@monorepo/storage-core';

const BACKEND = 'local';

/** True for errors raised by Node's fs layer (they carry an errno code and a syscall). */
export function isFsError(error: unknown): error is NodeJS.ErrnoException {
  return (
    error instanceof Error &&
    typeof (error as NodeJS.ErrnoException).code === 'string' &&
    'syscall' in error
  );
}

export function errnoCode(error: unknown): string | undefined {
  return error instanceof Error ? (error as NodeJS.ErrnoException).code : undefined;
}

/** Wraps a raw fs error in the matching core error; anything else passes through untouched. */
export function mapFsError(error: unknown, operation: StorageOperation, key: string): unknown {
  if (error instanceof StorageError || !isFsError(error)) return error;
  const ctx = { key, operation, backend: BACKEND, cause: error };
  const what = JSON.stringify(key);
  const writing = operation === 'upload' || operation === 'copy' || operation === 'move';
  switch (error.code) {
    case 'ENOTDIR':
    case 'EISDIR':
      if (writing) {
        return new InvalidKeyError(
          `Cannot store ${what}: on the local backend a key cannot also be the directory of other keys`,
          ctx,
        );
      }
      return new NotFoundError(`No object at ${what}`, ctx);
    case 'ENOENT':
      return new NotFoundError(`No object at ${what}`, ctx);
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new PermissionDeniedError(`Permission denied for ${what} (${error.code})`, ctx);
    case 'ELOOP':
      return new PermissionDeniedError(`Refusing to follow a symbolic link at ${what}`, ctx);
    case 'EEXIST':
      return new AlreadyExistsError(`An object already exists at ${what}`, ctx);
    case 'ENOSPC':
    case 'EDQUOT':
      return new InsufficientStorageError(
        `No space left on the local backend while writing ${what}`,
        ctx,
      );
    case 'ENAMETOOLONG':
      return new InvalidKeyError(
        `Key ${what} has a segment longer than the filesystem allows (255 bytes)`,
        ctx,
      );
    default:
      return new StorageError(
        'EIO',
        `Local storage ${operation} failed for ${what}: ${error.code}`,
        ctx,
      );
  }
}
