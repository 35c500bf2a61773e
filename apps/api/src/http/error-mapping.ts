import { HttpException } from '@nestjs/common';
import { StorageError } from '@monorepo/storage';
import type { StorageErrorCode } from '@monorepo/storage';
import { LimitExceededError } from '@monorepo/tenant-limits';
import { ApiError } from './api-error.js';

/** The one place storage error codes become HTTP statuses. */
export const STORAGE_STATUS: Readonly<Record<StorageErrorCode, number>> = {
  ENOENT: 404,
  EINVAL: 400,
  EACCES: 403,
  EEXIST: 409,
  ERANGE: 416,
  ENOSPC: 507,
  EUNAVAILABLE: 503,
  ECONFIG: 500,
  EIO: 502,
};

const REDIS_DOWN =
  /Connection is closed|enableOfflineQueue|ECONNREFUSED|ECONNRESET|max retries per request|Stream isn't writeable/i;

/** Limit errors as API errors: over the quota is 413 (this body cannot fit), too many uploads is 429. */
function limitError(error: LimitExceededError): ApiError {
  return error.code === 'E_QUOTA_EXCEEDED'
    ? new ApiError(413, error.code, error.message)
    : new ApiError(429, error.code, error.message, { 'retry-after': '1' });
}

/** Any thrown value → `{ status, code, message }` safe to send (no stack, no internals). */
export function toHttpError(error: unknown): {
  status: number;
  code: string;
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
    const status = STORAGE_STATUS[error.code] ?? 500;
    const message = status >= 500 ? 'Storage is unavailable' : error.message;
    return { status, code: error.code, message, headers: {} };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const code =
      status === 404 ? 'E_NOT_FOUND' : status === 413 ? 'E_TOO_LARGE' : `E_HTTP_${status}`;
    return { status, code, message: status === 404 ? 'Not found' : error.message, headers: {} };
  }
  if (error instanceof Error && REDIS_DOWN.test(error.message)) {
    return {
      status: 503,
      code: 'E_UNAVAILABLE',
      message: 'Redis (the job queue and the limits) is unavailable; try again shortly',
      headers: { 'retry-after': '2' },
    };
  }
  return { status: 500, code: 'E_INTERNAL', message: 'Internal server error', headers: {} };
}
