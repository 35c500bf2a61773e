import { StorageError, isStorageError } from './errors.js';
import type { StorageOperation } from './errors.js';

/** Errors a caller's body stream emitted: the caller's own, passed on unchanged rather than wrapped. */
const bodyErrors = new WeakSet<object>();

/** Marks an error a caller's body stream emitted, so it passes through unwrapped. */
export const noteBodyError = (error: unknown) => {
  if (typeof error === 'object' && error !== null) bodyErrors.add(error);
};

/**
 * What a caller gets for `error`: a `StorageError`, an abort reason (`AbortError`) or an error the caller's own
 * body stream emitted as they are; anything else wrapped as `EIO` with `error` as its cause.
 */
export function wrapError(
  error: unknown,
  operation: StorageOperation,
  key: string | undefined,
  backend: string,
): unknown {
  if (isStorageError(error) || (error as Error)?.name === 'AbortError') return error;
  if (typeof error === 'object' && error !== null && bodyErrors.has(error)) return error;
  return new StorageError(
    'EIO',
    `${operation} failed: ${(error as Error)?.message ?? String(error)}`,
    {
      key,
      operation,
      backend,
      cause: error,
    },
  );
}
