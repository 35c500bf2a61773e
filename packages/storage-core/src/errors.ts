/**
 * Machine-readable error codes shared by every storage backend.
 *
 * The POSIX-like values (`ENOENT`, `EACCES`, ...) let code written against the
 * local filesystem (`error.code === 'ENOENT'`) keep working on S3.
 */
export type StorageErrorCode =
  | 'ENOENT'
  | 'EACCES'
  | 'EEXIST'
  | 'EINVAL'
  | 'ERANGE'
  | 'ENOSPC'
  | 'EUNAVAILABLE'
  | 'ETIMEDOUT'
  | 'ECONFIG'
  | 'EIO';

/** Name of the adapter operation that failed, for error reports and metrics. */
export type StorageOperation =
  | 'upload'
  | 'download'
  | 'downloadStream'
  | 'exists'
  | 'delete'
  | 'getPublicUrl'
  | 'getSignedUrl'
  | 'stat'
  | 'list'
  | 'listAll'
  | 'copy'
  | 'move'
  | 'deletePrefix'
  | 'checkHealth'
  | 'sweepIncomplete'
  | 'provision'
  | 'setVisibility'
  | 'createUploadPost'
  | 'getOriginUrl'
  | 'createMultipartUpload'
  | 'signUploadPart'
  | 'listUploadParts'
  | 'completeMultipartUpload'
  | 'abortMultipartUpload'
  | 'receiveUploadPart'
  | 'config';

/** Context attached to every {@link StorageError}. */
export interface StorageErrorOptions {
  /** The key (or prefix) the operation was about, if any. */
  key?: string;
  /** The adapter operation that failed. */
  operation?: StorageOperation;
  /** Backend name, e.g. `'local'` or `'s3'`. */
  backend?: string;
  /** The underlying error (Node `fs` error, AWS SDK error, ...). */
  cause?: unknown;
}

/**
 * Base class of every error thrown by a storage adapter.
 *
 * Adapters never let a raw `fs` or SDK error escape: it is wrapped and kept as
 * `cause`. Messages never contain credentials.
 */
export class StorageError extends Error {
  /** Stable machine-readable code. */
  readonly code: StorageErrorCode;
  /** Key or prefix concerned, when there is one. */
  readonly key: string | undefined;
  /** Operation that failed. */
  readonly operation: StorageOperation | undefined;
  /** Backend that raised the error (`'local'`, `'s3'`, ...). */
  readonly backend: string | undefined;

  constructor(code: StorageErrorCode, message: string, options: StorageErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.key = options.key;
    this.operation = options.operation;
    this.backend = options.backend;
  }
}

/** The key does not exist (`code: 'ENOENT'`). */
export class NotFoundError extends StorageError {
  constructor(message: string, options?: StorageErrorOptions) {
    super('ENOENT', message, options);
  }
}

/** The backend refused access: file permissions, S3 `AccessDenied`, bad credentials (`'EACCES'`). */
export class PermissionDeniedError extends StorageError {
  constructor(message: string, options?: StorageErrorOptions) {
    super('EACCES', message, options);
  }
}

/** A conditional create (`ifNotExists`) found the key already present (`'EEXIST'`). */
export class AlreadyExistsError extends StorageError {
  constructor(message: string, options?: StorageErrorOptions) {
    super('EEXIST', message, options);
  }
}

/** The key or prefix breaks the key rules; thrown before any I/O (`'EINVAL'`). */
export class InvalidKeyError extends StorageError {
  constructor(message: string, options?: StorageErrorOptions) {
    super('EINVAL', message, options);
  }
}

/** A byte range starts at or beyond the end of the object (`'ERANGE'`, HTTP 416). */
export class InvalidRangeError extends StorageError {
  constructor(message: string, options?: StorageErrorOptions) {
    super('ERANGE', message, options);
  }
}

/** The backend is out of space or over quota (`'ENOSPC'`). Nothing was written. */
export class InsufficientStorageError extends StorageError {
  constructor(message: string, options?: StorageErrorOptions) {
    super('ENOSPC', message, options);
  }
}

/** Network failure, timeout or backend outage that persisted after retries (`'EUNAVAILABLE'`). */
export class StorageUnavailableError extends StorageError {
  constructor(message: string, options?: StorageErrorOptions) {
    super('EUNAVAILABLE', message, options);
  }
}

/**
 * The operation missed its deadline, or a stream stalled longer than allowed (`'ETIMEDOUT'`), as set by the
 * timeout layer (`timeoutLayer`). What it was doing was abandoned: an upload was aborted and stored nothing.
 */
export class StorageTimeoutError extends StorageError {
  constructor(message: string, options?: StorageErrorOptions) {
    super('ETIMEDOUT', message, options);
  }
}

/** The adapter configuration is invalid or incomplete (`'ECONFIG'`). */
export class ConfigError extends StorageError {
  /** Every problem found, one per entry, named by setting (never echoing secret values). */
  readonly issues: readonly string[];

  constructor(message: string, issues: readonly string[] = [], options?: StorageErrorOptions) {
    super('ECONFIG', message, { operation: 'config', ...options });
    this.issues = issues;
  }
}

/** True when `error` is a {@link StorageError}, optionally with the given code. */
export function isStorageError(error: unknown, code?: StorageErrorCode): error is StorageError {
  return error instanceof StorageError && (code === undefined || error.code === code);
}
