import type { Body } from './body.js';
import type {
  CompletedPart,
  MultipartUploadOptions,
  ReceiveUploadPartOptions,
  UploadedPart,
} from './direct-multipart.js';
import type { StorageOperation } from './errors.js';
import type { StorageCapabilities } from './storage-capabilities.js';
import type {
  ByteRange,
  ObjectInfo,
  ProvisionOptions,
  SignedUrlOptions,
  UploadOptions,
  UploadPost,
  UploadPostOptions,
  Visibility,
} from './storage-adapter.js';

/** What a driver's `upload` stored: its size and the ETag a following `stat` returns. */
export interface DriverWrite {
  size: number;
  etag: string;
}

/** One page of a driver listing: `more` tells whether keys follow the last item. */
export interface DriverPage {
  items: ObjectInfo[];
  more: boolean;
}

/**
 * The I/O half of an adapter. Drivers are only called through {@link Disk}, which has already validated every
 * key, prefix, option and range, resolved list limits and cursors, and which wraps anything a driver throws
 * that is not a {@link StorageError}. Method semantics are those of the same-named `StorageAdapter` methods.
 */
export interface StorageDriver {
  /** Backend name, e.g. `'local'` or `'s3'`. */
  readonly backend: string;
  /** What this backend can do. */
  readonly capabilities: StorageCapabilities;
  /**
   * Extra key rules of this backend (e.g. allowed top-level folders), checked after the common rules.
   * `prefix` is true for listing prefixes, which may also lead to an allowed folder.
   */
  checkKey?(key: string, operation: StorageOperation, prefix: boolean): void;
  /**
   * Stores the body with `options.visibility` (always set by `Disk`); returns the bytes stored and the new ETag.
   * `options.contentMd5` comes only with bytes in memory (`Disk` checks streams): bytes that do not match it
   * fail with `contentMd5Mismatch` and nothing is stored.
   */
  upload(
    key: string,
    body: Body,
    contentType: string,
    options: UploadOptions & { visibility: Visibility },
  ): Promise<DriverWrite>;
  download(key: string): Promise<Buffer>;
  downloadStream(key: string, range?: ByteRange): Promise<NodeJS.ReadableStream>;
  exists(key: string): Promise<boolean>;
  delete(key: string): Promise<void>;
  publicUrl(key: string): string;
  stat(key: string): Promise<ObjectInfo>;
  /** Up to `limit` objects strictly after `after` (when given). */
  list(
    prefix: string,
    options: { limit: number; after: string | undefined; metadata: boolean },
  ): Promise<DriverPage>;
  listAll(prefix: string): AsyncIterable<ObjectInfo>;
  copy(fromKey: string, toKey: string): Promise<void>;
  /** `fromKey !== toKey`. */
  move(fromKey: string, toKey: string): Promise<void>;
  deletePrefix(prefix: string): Promise<number>;
  /** The key exists (else `NotFoundError`). */
  setVisibility(key: string, visibility: Visibility): Promise<void>;
  checkHealth(): Promise<void>;
  sweepIncomplete(olderThanMs: number | undefined): Promise<number>;
  provision(options: ProvisionOptions): Promise<{ created: boolean }>;
  /** With `capabilities.signedUrls`; `expiresIn` already checked. */
  signedUrl?(key: string, options: SignedUrlOptions & { expiresIn: number }): Promise<string>;
  /** With `capabilities.directUploads`; options already checked. */
  uploadPost?(key: string, options: UploadPostOptions & { expiresIn: number }): Promise<UploadPost>;
  /** With `capabilities.directMultipart` (this and the four below); arguments already checked. */
  createMultipart?(key: string, options: MultipartUploadOptions): Promise<{ uploadId: string }>;
  /** `maxBytes` (1 to `MAX_PART_BYTES`) only when the caller named it; a store that cannot pin it ignores it. */
  signPart?(
    key: string,
    uploadId: string,
    partNumber: number,
    expiresIn: number,
    maxBytes?: number,
  ): Promise<string>;
  listParts?(key: string, uploadId: string): Promise<UploadedPart[]>;
  completeMultipart?(key: string, uploadId: string, parts: readonly CompletedPart[]): Promise<void>;
  abortMultipart?(key: string, uploadId: string): Promise<void>;
  /**
   * Only on backends whose part URLs point at the application (local): the key the URL was signed for, or
   * `undefined` when the URL is not one of this backend's part URLs (then refused as `EACCES`).
   */
  partUrlKey?(url: string): string | undefined;
  /** With `partUrlKey`: checks the URL (signature, expiry, single use) and stores the part. */
  receivePart?(
    url: string,
    body: NodeJS.ReadableStream,
    options: ReceiveUploadPartOptions,
  ): Promise<UploadedPart>;
  /** With `capabilities.publicReadPolicy`. */
  originUrl?(key: string): string;
  /**
   * Told of a call `Disk` turned down before reaching the driver (invalid key, option or range), with the
   * `StorageError` the caller gets, so layers that count calls (metrics) see it too. Drivers need not have it.
   */
  refused?(operation: StorageOperation, error: unknown): void;
}
