import type { StorageErrorCode } from './errors.js';

/** What one error code means to a caller: the HTTP status it answers with, and whether trying again can help. */
export interface ErrorCodeInfo {
  /** HTTP status of an API answer with this code (jobs that fail with it report it in their status instead). */
  readonly status: number;
  /** True when the same request may succeed later (back off and retry). */
  readonly retryable: boolean;
  /** One line for the error table. */
  readonly meaning: string;
}

/**
 * Every machine-readable code the platform reports: API answers (`{ "error": { "code" } }`), failed jobs and
 * typed client errors use these and no others, one code per idea. Storage's own `StorageError.code` keeps the
 * POSIX-style names of the design document (`error.code === 'ENOENT'`), each of which stands for exactly one
 * code here ({@link STORAGE_ERROR_CODES}). `docs/ERRORS.md` is this table; a test keeps them equal.
 */
export const ERROR_CODES = {
  E_VALIDATION: {
    status: 400,
    retryable: false,
    meaning:
      'The request is malformed: a field, key, body, multipart form or JSON that breaks the rules',
  },
  E_INVALID_JOB: {
    status: 400,
    retryable: false,
    meaning:
      'A queued job’s data is malformed (only a producer that bypasses the API can cause it)',
  },
  E_UNAUTHORIZED: { status: 401, retryable: false, meaning: 'Missing or unknown API key' },
  E_FORBIDDEN: {
    status: 403,
    retryable: false,
    meaning: 'The storage backend refused access (permissions, credentials)',
  },
  E_BAD_SIGNATURE: {
    status: 403,
    retryable: false,
    meaning: 'A signed URL’s signature is missing, malformed or made with no configured key',
  },
  E_URL_EXPIRED: {
    status: 403,
    retryable: false,
    meaning: 'A signed URL is past its expiry time; ask for a fresh one',
  },
  E_ACCESS_DENIED: {
    status: 403,
    retryable: false,
    meaning: 'The signer may not read this object (another team’s, and not public)',
  },
  E_FORBIDDEN_SOURCE: {
    status: 400,
    retryable: false,
    meaning: 'A source URL names a forbidden scheme, port, credentials or non-public address',
  },
  E_FORBIDDEN_TARGET: {
    status: 400,
    retryable: false,
    meaning:
      'A webhook URL names a forbidden scheme, port, credentials or non-public address (the image sources’ rules)',
  },
  E_NOT_FOUND: {
    status: 404,
    retryable: false,
    meaning: 'No such file, job or source — or it is not yours',
  },
  E_ALREADY_EXISTS: {
    status: 409,
    retryable: false,
    meaning: 'A create-only write found the key present',
  },
  E_IDEMPOTENCY_CONFLICT: {
    status: 409,
    retryable: false,
    meaning: 'An Idempotency-Key was reused for a different request',
  },
  E_TOO_LARGE: {
    status: 413,
    retryable: false,
    meaning: 'A body larger than the configured limit; nothing was stored',
  },
  E_QUOTA_EXCEEDED: {
    status: 413,
    retryable: false,
    meaning: 'The key’s storage quota (bytes or objects) would be exceeded; nothing was stored',
  },
  E_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    retryable: false,
    meaning: 'The body’s Content-Type is not one the route takes',
  },
  E_RANGE_NOT_SATISFIABLE: {
    status: 416,
    retryable: false,
    meaning: 'A byte range starts at or past the end of the object',
  },
  E_RATE_LIMITED: {
    status: 429,
    retryable: true,
    meaning: 'Too many requests from this key or address; see Retry-After',
  },
  E_TOO_MANY_UPLOADS: {
    status: 429,
    retryable: true,
    meaning: 'The key already has its maximum of uploads in flight',
  },
  E_TOO_MANY_WEBHOOKS: {
    status: 409,
    retryable: false,
    meaning: 'The key already has its maximum of webhook endpoints; delete one first',
  },
  E_TOO_MANY_JOBS: {
    status: 429,
    retryable: true,
    meaning: 'The key already has its maximum of jobs queued or running',
  },
  E_CLIENT_GONE: {
    status: 499,
    retryable: true,
    meaning: 'The client went away mid-request; nothing was stored',
  },
  E_INTERNAL: {
    status: 500,
    retryable: true,
    meaning: 'An unexpected failure (details in the service’s log only)',
  },
  E_CONFIG: { status: 500, retryable: false, meaning: 'The service or adapter is misconfigured' },
  E_STORAGE: {
    status: 502,
    retryable: true,
    meaning: 'The storage backend failed (I/O error) while serving the request or job',
  },
  E_UNAVAILABLE: {
    status: 503,
    retryable: true,
    meaning: 'A dependency (storage, Redis) is unreachable; try again shortly',
  },
  E_OVERLOADED: {
    status: 503,
    retryable: true,
    meaning: 'The service is at capacity (its queue is full); try again after Retry-After',
  },
  E_TIMEOUT: {
    status: 504,
    retryable: false,
    meaning:
      'The work took longer than allowed (a job’s time budget, decoding or encoding, a storage deadline)',
  },
  E_INSUFFICIENT_STORAGE: {
    status: 507,
    retryable: false,
    meaning: 'The storage backend is out of space; nothing was written',
  },
  E_UNSUPPORTED_FORMAT: {
    status: 422,
    retryable: false,
    meaning:
      'A job source is not a supported raster image or video (container or codec), whatever its name or header says',
  },
  E_SOURCE_TOO_LARGE: {
    status: 422,
    retryable: false,
    meaning: 'A job source is larger than the byte limit',
  },
  E_TOO_MANY_PIXELS: {
    status: 422,
    retryable: false,
    meaning: 'A job source declares more pixels than allowed',
  },
  E_CORRUPT_IMAGE: {
    status: 422,
    retryable: false,
    meaning: 'A job source is truncated or corrupt',
  },
  E_CORRUPT_VIDEO: {
    status: 422,
    retryable: false,
    meaning: 'A video source is malformed, truncated or has no decodable frame',
  },
  E_VIDEO_TOO_LONG: {
    status: 422,
    retryable: false,
    meaning: 'A video source lasts longer than allowed',
  },
  E_SOURCE_FETCH: {
    status: 502,
    retryable: true,
    meaning: 'A job source could not be fetched (network, timeout, 5xx, 408, 429)',
  },
  E_SOURCE_REFUSED: {
    status: 502,
    retryable: false,
    meaning: 'A job source’s server refused with a 4xx status',
  },
} as const satisfies Record<string, ErrorCodeInfo>;

/** A platform error code. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** The one place storage codes become platform codes. */
export const STORAGE_ERROR_CODES: Readonly<Record<StorageErrorCode, ErrorCode>> = {
  ENOENT: 'E_NOT_FOUND',
  EINVAL: 'E_VALIDATION',
  EACCES: 'E_FORBIDDEN',
  EEXIST: 'E_ALREADY_EXISTS',
  ERANGE: 'E_RANGE_NOT_SATISFIABLE',
  ENOSPC: 'E_INSUFFICIENT_STORAGE',
  EUNAVAILABLE: 'E_UNAVAILABLE',
  ETIMEDOUT: 'E_TIMEOUT',
  ECONFIG: 'E_CONFIG',
  EIO: 'E_STORAGE',
};

/** True when `value` is a platform error code. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}
