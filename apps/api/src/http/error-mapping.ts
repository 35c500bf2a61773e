import { HttpException } from '@nestjs/common';
import { ERROR_CODES, STORAGE_ERROR_CODES, StorageError } from '@monorepo/storage';
import type { ErrorCode } from '@monorepo/storage';
import { isRedisUnavailable } from '@monorepo/redis-connection';
import { LimitExceededError } from '@monorepo/tenant-limits';
import { ApiError } from './api-error.js';

/** Limit errors as API errors: over the quota is 413 (this body cannot fit), too many uploads is 429. */
function limitError(error: LimitExceededError): ApiError {
  return new ApiError(
    error.code,
    error.message,
    ERROR_CODES[error.code].retryable ? { 'retry-after': '1' } : {},
  );
}

/** Any thrown value → `{ status, code, message }` safe to send (no stack, no internals). */
export function toHttpError(error: unknown): {
  status: number;
  code: ErrorCode;
  message: string;
  headers: Record<string, string>;
} {
  if (error instanceof LimitExceededError) return toHttpError(limitError(error));
  if (error instanceof ApiError)
    return {
      status: error.status,
      code: error.code,
      message: error.message,
      headers: error.headers,
    };
  if (error instanceof StorageError) {
    const code = STORAGE_ERROR_CODES[error.code] ?? 'E_STORAGE';
    const { status } = ERROR_CODES[code];
    const message = status >= 500 ? 'Storage is unavailable' : error.message;
    return { status, code, message, headers: {} };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const code: ErrorCode =
      status === 404
        ? 'E_NOT_FOUND'
        : status === 413
          ? 'E_TOO_LARGE'
          : status < 500
            ? 'E_VALIDATION'
            : 'E_INTERNAL';
    return { status, code, message: status === 404 ? 'Not found' : error.message, headers: {} };
  }
  // Down, failing over (READONLY, NOREPLICAS, CLUSTERDOWN…), or a job not replicated in time: 503, retry soon.
  if (isRedisUnavailable(error)) {
    return {
      status: 503,
      code: 'E_UNAVAILABLE',
      message: 'Redis (the job queue and the limits) is unavailable; try again shortly',
      headers: { 'retry-after': '2' },
    };
  }
  return { status: 500, code: 'E_INTERNAL', message: 'Internal server error', headers: {} };
}
