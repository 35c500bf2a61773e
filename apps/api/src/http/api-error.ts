import { ERROR_CODES } from '@monorepo/storage';
import type { ErrorCode } from '@monorepo/storage';

/** An error to answer with: a platform code, whose HTTP status comes from the one table (`ERROR_CODES`). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = ERROR_CODES[code].status;
    this.code = code;
    this.headers = headers;
  }
}

/** 404 that does not say whether the thing exists for someone else. */
export function notFound(what = 'Not found'): ApiError {
  return new ApiError('E_NOT_FOUND', what);
}
