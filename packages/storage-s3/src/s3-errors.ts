import {
  AlreadyExistsError,
  ConfigError,
  InvalidKeyError,
  InvalidRangeError,
  NotFoundError,
  PermissionDeniedError,
  StorageError,
  StorageUnavailableError,
  contentMd5Mismatch,
} from '@monorepo/storage-core';
import type { StorageOperation } from '@monorepo/storage-core';

const BACKEND = 's3';

interface SdkError {
  name?: string;
  code?: string;
  Code?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

const UNAVAILABLE_NAMES = new Set([
  'SlowDown',
  'ServiceUnavailable',
  'InternalError',
  'RequestTimeout',
  'TimeoutError',
]);

/** True for an AbortError raised by an `AbortSignal`. */
export function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

/**
 * Maps an AWS SDK (or network) error to the matching core error, keeping the
 * original as `cause`. Messages name the bucket and key, never credentials.
 */
export function mapS3Error(
  error: unknown,
  operation: StorageOperation,
  key: string,
  bucket: string,
): unknown {
  if (error instanceof StorageError || isAbortError(error)) return error;
  const e = (error ?? {}) as SdkError;
  const name = e.name ?? e.Code ?? '';
  const status = e.$metadata?.httpStatusCode;
  const ctx = { key, operation, backend: BACKEND, cause: error };
  const what = JSON.stringify(key);
  const detail = `${name || 'error'}${status ? ` ${status}` : ''}`;

  if (name === 'NoSuchBucket') {
    return new ConfigError(
      `S3 bucket ${JSON.stringify(bucket)} does not exist`,
      [`S3_BUCKET: ${bucket} does not exist`],
      ctx,
    );
  }
  // The SDK's default chain found no credentials (none configured, and no instance metadata to ask):
  // a configuration problem, not a failed request.
  if (name === 'CredentialsProviderError') {
    return new ConfigError(
      'No S3 credentials: set S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY (or configure the AWS default credential chain)',
      ['S3_ACCESS_KEY_ID: no credentials found'],
      ctx,
    );
  }
  if (name === 'NoSuchKey' || name === 'NotFound' || status === 404)
    return new NotFoundError(`No object at ${what}`, ctx);
  if (name === 'PreconditionFailed' || status === 412) {
    return new AlreadyExistsError(`An object already exists at ${what}`, ctx);
  }
  if (name === 'BadDigest' || name === 'InvalidDigest')
    return contentMd5Mismatch(key, BACKEND, error);
  if (name === 'InvalidRange' || status === 416)
    return new InvalidRangeError(`Range not satisfiable for ${what}`, ctx);
  if (
    name === 'AccessDenied' ||
    name === 'InvalidAccessKeyId' ||
    name === 'SignatureDoesNotMatch' ||
    name === 'Forbidden' ||
    status === 403
  ) {
    return new PermissionDeniedError(
      `S3 denied ${operation} on ${what} in bucket ${JSON.stringify(bucket)} (${detail})`,
      ctx,
    );
  }
  if (name === 'KeyTooLongError' || name === 'InvalidObjectName')
    return new InvalidKeyError(`S3 rejected key ${what}`, ctx);
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (
    e.$fault === 'server' ||
    (status !== undefined && status >= 500) ||
    UNAVAILABLE_NAMES.has(name) ||
    NETWORK_CODES.has(name) ||
    (code !== undefined && NETWORK_CODES.has(code))
  ) {
    // Our own operation timeout explains itself; SDK and socket messages carry no credentials either.
    const reason =
      name === 'TimeoutError' && error instanceof Error ? error.message : detail || code;
    return new StorageUnavailableError(
      `S3 unavailable during ${operation} of ${what} (${reason})`,
      ctx,
    );
  }
  return new StorageError('EIO', `S3 ${operation} failed for ${what} (${detail})`, ctx);
}
