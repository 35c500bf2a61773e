import type { Body } from './body.js';
import type {
  CompletedPart,
  MultipartUploadOptions,
  ReceiveUploadPartOptions,
  SignUploadPartOptions,
  UploadedPart,
} from './direct-multipart.js';
import type { StorageCapabilities } from './storage-capabilities.js';

/**
 * Who may read an object through the CDN (or, on S3, at the bucket) without a signature: `public` anyone,
 * `private` only holders of a valid, unexpired signed URL.
 */
export type Visibility = 'public' | 'private';

/** Options for {@link StorageAdapter.upload}. */
export interface UploadOptions {
  /**
   * Visibility of the stored object (default: the key layout's, {@link defaultVisibility}: `private` under
   * `uploads/` and outside the layout's public folders, `public` under `processed/` and `generated/`).
   * An overwrite sets it anew.
   */
  visibility?: Visibility;
  /** User metadata stored with the object. Keys are lower-cased ASCII (`[a-z0-9-]`); values are strings. */
  metadata?: Record<string, string>;
  /** `Cache-Control` stored with the object and served by S3/CDNs. */
  cacheControl?: string;
  /**
   * Exact length of a stream body, when known. Lets S3 use a single `PutObject`
   * for small streams; a body that turns out longer or shorter fails the upload.
   */
  contentLength?: number;
  /**
   * The body's MD5, as 32 hex digits (the caller's own hash of its source). The store checks the body against
   * it and refuses one that differs with `EINVAL`; nothing is stored and an object already at the key is kept.
   * S3 checks single-request bodies itself (`Content-MD5`); other bodies are hashed as they stream.
   */
  contentMd5?: string;
  /** Create only: fail with {@link AlreadyExistsError} when the key already exists. */
  ifNotExists?: boolean;
  /**
   * The modification time to keep for the object instead of the time of this write (a copy keeps its
   * source's), where the backend can hold one ({@link StorageCapabilities.modificationTime}; local: the
   * file's mtime, S3: object metadata read back as `lastModified`). Ignored by backends that cannot.
   */
  lastModified?: Date;
  /** Aborts the upload; nothing is written at the key. */
  signal?: AbortSignal;
}

/** What a backend knows about one stored object. */
export interface ObjectInfo {
  /** The object's key. */
  key: string;
  /** Size in bytes. */
  size: number;
  /**
   * MIME type. From {@link StorageAdapter.stat} and `list(..., { metadata: true })`
   * it is the stored one; from a plain `list` it is derived from the key's extension.
   */
  contentType: string;
  /** Opaque version tag (quoted), changes whenever the content is replaced. */
  etag: string;
  /**
   * When the current content was written, or the modification time it was uploaded with
   * (`UploadOptions.lastModified`). On S3 a plain `list` reports the store's write time; `stat` and
   * `list(..., { metadata: true })` report the kept one.
   */
  lastModified: Date;
  /** User metadata (empty from a plain `list`). */
  metadata: Record<string, string>;
  /** Stored `Cache-Control`, if any (not filled by a plain `list`). */
  cacheControl?: string;
  /**
   * Who may read it without a signature (filled by {@link StorageAdapter.stat}, and by
   * `list(..., { metadata: true })` where the backend reads it with the metadata).
   */
  visibility?: Visibility;
}

/**
 * What {@link StorageAdapter.put} stored: everything a caller would otherwise `stat` for, from the write itself
 * (no extra request).
 */
export interface StoredObject {
  /** The object's key. */
  key: string;
  /** Its public URL (same as {@link StorageAdapter.getPublicUrl}); needs a signature when `visibility` is private. */
  url: string;
  /** Bytes stored. */
  size: number;
  /** The stored content type. */
  contentType: string;
  /** Opaque version tag (quoted), the one a following {@link StorageAdapter.stat} returns. */
  etag: string;
  /** Who may read it without a signature. */
  visibility: Visibility;
  /** The user metadata stored with it. */
  metadata: Record<string, string>;
  /** The stored `Cache-Control`, if one was given. */
  cacheControl?: string;
}

/** Options for {@link StorageAdapter.list}. */
export interface ListOptions {
  /** Page size, 1..1000 (default 1000). */
  limit?: number;
  /** Opaque cursor from a previous page: resume after it. */
  cursor?: string;
  /**
   * Also read each object's stored content type, cache control and metadata.
   * Costs one extra read per object (S3: a `HeadObject`); off by default.
   */
  metadata?: boolean;
}

/**
 * One page of a listing. Every page but the last holds exactly `limit` items, on every backend: adapters over
 * stores that answer short pages (S3 promises only "up to MaxKeys"; Ceph RGW's sharded index answers short and
 * even empty pages while more keys follow) keep reading until the page is full.
 */
export interface ListPage {
  /** Objects in byte-wise ascending key order. */
  items: ObjectInfo[];
  /** Pass to the next `list` call; absent on the last page. The next page may be empty. */
  cursor?: string;
}

/** Inclusive byte range, as in an HTTP `Range: bytes=start-end` header. */
export interface ByteRange {
  /** First byte, from 0. */
  start: number;
  /** Last byte, inclusive. Omitted or past the end: up to the last byte. */
  end?: number;
}

/** Options for {@link StorageAdapter.getSignedUrl}. */
export interface SignedUrlOptions {
  /** Lifetime in seconds (default 900, at most 604800). */
  expiresIn?: number;
  /** `GET` to download (default) or `PUT` to upload directly. */
  method?: 'GET' | 'PUT';
  /** For `PUT`: the `Content-Type` the uploader must send. */
  contentType?: string;
}

/** Options for {@link StorageAdapter.createUploadPost}. */
export interface UploadPostOptions {
  /** The exact `Content-Type` the upload must declare. */
  contentType: string;
  /** The exact size in bytes the upload must have. */
  size: number;
  /** Lifetime in seconds (default 900, at most 604800). */
  expiresIn?: number;
}

/** A form upload that goes straight to the store: POST `fields` then the file (as `file`) to `url`. */
export interface UploadPost {
  url: string;
  fields: Record<string, string>;
  expiresAt: Date;
}

/** Options for {@link StorageAdapter.provision}. */
export interface ProvisionOptions {
  /** Top-level folders to create where folders exist (local: directories under the root). */
  folders?: readonly string[];
  /**
   * With `capabilities.publicReadPolicy`: `true` lets anyone read (never list) the objects whose visibility is
   * `public` at the store itself, `false` lets nobody read anonymously. Omitted: the policy is left as it is.
   */
  publicRead?: boolean;
  /**
   * With `capabilities.publicReadPolicy`: web origins (`https://app.example.com`) whose pages may send direct
   * uploads to the store and read from it (CORS); `[]` allows none. Omitted: left as it is.
   */
  corsOrigins?: readonly string[];
  /**
   * With `capabilities.publicReadPolicy`: web origins to allow in addition to those already allowed (CORS),
   * keeping the others (with `corsOrigins`: in addition to those).
   */
  addCorsOrigins?: readonly string[];
}

/**
 * One storage API over every backend.
 *
 * Every method validates its keys first and throws {@link InvalidKeyError}
 * (`EINVAL`) before any I/O. Backend failures are always wrapped in a
 * {@link StorageError} subclass; `EUNAVAILABLE` means the backend stayed
 * unreachable after retries.
 */
export interface StorageAdapter {
  /** Backend name, e.g. `'local'` or `'s3'`. */
  readonly backend: string;

  /** What this backend can do beyond the common contract. */
  readonly capabilities: StorageCapabilities;

  /**
   * Stores `body` at `key`, replacing any previous object atomically: readers
   * see either the old complete object or the new complete one, never a mix.
   * Streams are consumed with bounded memory.
   *
   * @returns the object's public URL (same as {@link getPublicUrl}).
   * @throws {InvalidKeyError} bad key. @throws {AlreadyExistsError} `ifNotExists` and the key exists.
   * @throws {PermissionDeniedError} @throws {InsufficientStorageError} @throws {StorageUnavailableError}
   */
  upload(key: string, body: Body, contentType: string, options?: UploadOptions): Promise<string>;

  /**
   * {@link upload}, answering with what was stored (size, ETag, content type, visibility, metadata) instead of
   * only the URL, so the caller needs no {@link stat} afterwards. Same guarantees and errors as `upload`.
   *
   * @throws {InvalidKeyError} bad key. @throws {AlreadyExistsError} `ifNotExists` and the key exists.
   * @throws {PermissionDeniedError} @throws {InsufficientStorageError} @throws {StorageUnavailableError}
   */
  put(key: string, body: Body, contentType: string, options?: UploadOptions): Promise<StoredObject>;

  /**
   * Reads the whole object into memory. Use {@link downloadStream} for anything large.
   *
   * @throws {NotFoundError} the key does not exist. @throws {InvalidKeyError} @throws {StorageUnavailableError}
   */
  download(key: string): Promise<Buffer>;

  /**
   * Opens the object (or an inclusive byte range of it) as a stream. The
   * object's existence is checked before this resolves.
   *
   * @throws {NotFoundError} missing key. @throws {InvalidRangeError} `range.start` at or past the end.
   * @throws {InvalidKeyError} @throws {StorageUnavailableError}
   */
  downloadStream(key: string, range?: ByteRange): Promise<NodeJS.ReadableStream>;

  /**
   * True when an object is stored at exactly `key` (a "directory" prefix is not an object).
   *
   * @throws {InvalidKeyError} @throws {StorageUnavailableError}
   */
  exists(key: string): Promise<boolean>;

  /**
   * Deletes the object. Deleting a missing key is not an error.
   *
   * @throws {InvalidKeyError} @throws {PermissionDeniedError} @throws {StorageUnavailableError}
   */
  delete(key: string): Promise<void>;

  /**
   * URL under which the object is (or will be) publicly served: the base URL
   * plus the key with each segment percent-encoded. Does no I/O.
   *
   * @throws {InvalidKeyError}
   */
  getPublicUrl(key: string): string;

  /**
   * Size, type, version and metadata of one object.
   *
   * @throws {NotFoundError} @throws {InvalidKeyError} @throws {StorageUnavailableError}
   */
  stat(key: string): Promise<ObjectInfo>;

  /**
   * One page of objects whose keys start with `prefix` (byte-wise, so `a/`
   * does not match `ab`), in byte-wise ascending key order.
   *
   * @throws {InvalidKeyError} bad prefix or cursor. @throws {StorageUnavailableError}
   */
  list(prefix?: string, options?: ListOptions): Promise<ListPage>;

  /**
   * Every object under `prefix`, in the same order as successive `list` pages.
   *
   * @throws {InvalidKeyError} @throws {StorageUnavailableError}
   */
  listAll(prefix?: string): AsyncIterable<ObjectInfo>;

  /**
   * Copies an object with its content type, cache control and metadata,
   * replacing `toKey` atomically.
   *
   * @throws {NotFoundError} `fromKey` is missing. @throws {InvalidKeyError} @throws {StorageUnavailableError}
   */
  copy(fromKey: string, toKey: string): Promise<void>;

  /**
   * Moves an object (with its metadata). Afterwards `fromKey` is gone.
   *
   * @throws {NotFoundError} `fromKey` is missing. @throws {InvalidKeyError} @throws {StorageUnavailableError}
   */
  move(fromKey: string, toKey: string): Promise<void>;

  /**
   * Deletes every object whose key starts with `prefix` (which must not be empty).
   *
   * @returns how many objects were deleted.
   * @throws {InvalidKeyError} empty or bad prefix. @throws {StorageError} naming the keys that could not be deleted.
   */
  deletePrefix(prefix: string): Promise<number>;

  /**
   * Checks that the backend can serve requests now: the local root (and each
   * configured folder, which must be mounted when so configured) is present
   * and writable; the S3 bucket answers a listing with these credentials.
   * Writes nothing that stays and reads no object. For readiness probes.
   *
   * @throws {StorageUnavailableError} unreachable, or a required volume is missing.
   * @throws {PermissionDeniedError} present but not writable, or credentials refused.
   * @throws {ConfigError} the root or bucket does not exist.
   */
  checkHealth(): Promise<void>;

  /**
   * Removes what interrupted writes left behind, older than `olderThanMs` (default one hour; `0`: all of it,
   * whatever the clocks say, for when no write can be running): temporary files
   * and orphaned metadata sidecars on the local backend, unfinished multipart uploads on S3 (which the store
   * keeps, and bills, until aborted). Never touches a complete object. For janitors and `storage clean
   * --incomplete`.
   *
   * @returns how many leftovers were removed.
   * @throws {PermissionDeniedError} @throws {StorageUnavailableError}
   */
  sweepIncomplete(options?: { olderThanMs?: number }): Promise<number>;

  /**
   * Creates what the backend needs before the first write (local: the root and `folders`; S3: the bucket)
   * and, with `capabilities.publicReadPolicy`, applies `publicRead`. Idempotent.
   *
   * @returns whether the root or bucket was created by this call.
   * @throws {InvalidKeyError} bad folder. @throws {ConfigError} `publicRead` without the capability.
   * @throws {PermissionDeniedError} @throws {StorageUnavailableError}
   */
  provision(options?: ProvisionOptions): Promise<{ created: boolean }>;

  /**
   * Makes an object public or private, at once and without rewriting it; a later upload to the key sets it
   * anew. Copies and moves keep it.
   *
   * @throws {NotFoundError} the key does not exist. @throws {InvalidKeyError} @throws {StorageUnavailableError}
   */
  setVisibility(key: string, visibility: Visibility): Promise<void>;

  /**
   * Optional capability (`capabilities.publicReadPolicy`): the URL of the object at the store itself, not
   * behind the CDN of the base URL; what an anonymous client reads when the policy allows it. Does no I/O.
   *
   * @throws {InvalidKeyError}
   */
  getOriginUrl?(key: string): string;

  /**
   * Optional capability (`capabilities.directUploads`): a presigned form upload of exactly `size` bytes of
   * `contentType` to `key`, checked by the store itself; nothing else is accepted there. The object it makes
   * has no visibility tag (private) until {@link setVisibility}.
   *
   * @throws {InvalidKeyError} @throws {ConfigError} options out of range, or no such capability.
   */
  createUploadPost?(key: string, options: UploadPostOptions): Promise<UploadPost>;

  /**
   * Optional capability (`capabilities.signedUrls`): a time-limited URL to `GET` (download) or `PUT`
   * (upload) the object without credentials. Absent on adapters without it.
   *
   * @throws {InvalidKeyError} @throws {ConfigError} on options out of range.
   */
  getSignedUrl?(key: string, options?: SignedUrlOptions): Promise<string>;

  /**
   * Optional capability (`capabilities.directMultipart`): starts a multipart upload to `key` whose parts a
   * client sends straight to the store ({@link signUploadPart}). Nothing is readable at `key` until
   * {@link completeMultipartUpload}; an upload never completed is removed by {@link abortMultipartUpload} or by
   * `sweepIncomplete`.
   *
   * @returns the store's upload id. @throws {InvalidKeyError} @throws {ConfigError} no such capability.
   */
  createMultipartUpload?(
    key: string,
    options: MultipartUploadOptions,
  ): Promise<{ uploadId: string }>;

  /**
   * Optional capability (`capabilities.directMultipart`): a time-limited URL to `PUT` the bytes of part
   * `partNumber` (1 to {@link MAX_PARTS}) of upload `uploadId` of `key`, and nothing else: the store checks the
   * key, upload id and part number it was signed for. The response's `ETag` names the part. On S3 the URL
   * is the bucket's; on local storage it is the application's route that passes the request to
   * {@link receiveUploadPart}, and it works once (given back when the part fails to arrive) and for at most
   * `options.maxBytes`.
   *
   * @throws {InvalidKeyError} @throws {ConfigError} part number or lifetime out of range, or no such capability.
   */
  signUploadPart?(
    key: string,
    uploadId: string,
    partNumber: number,
    options?: SignUploadPartOptions,
  ): Promise<string>;

  /**
   * Optional capability (`capabilities.directMultipart`): the parts the store holds for an upload, by part
   * number, so a client can resume after a reload.
   *
   * @throws {NotFoundError} no such upload (completed, aborted or never started).
   */
  listUploadParts?(key: string, uploadId: string): Promise<UploadedPart[]>;

  /**
   * Optional capability (`capabilities.directMultipart`): assembles the named parts (ascending part numbers)
   * into the object at `key`, atomically. The object has no visibility tag (private) until
   * {@link setVisibility}.
   *
   * @throws {NotFoundError} no such upload. @throws {StorageError} `EINVAL` parts the store refuses.
   */
  completeMultipartUpload?(
    key: string,
    uploadId: string,
    parts: readonly CompletedPart[],
  ): Promise<void>;

  /**
   * Optional capability (`capabilities.directMultipart`): gives an upload up; the store drops its parts.
   * Idempotent: an upload that is already gone is not an error.
   */
  abortMultipartUpload?(key: string, uploadId: string): Promise<void>;

  /**
   * Optional (backends whose part URLs point at the application: local storage; elsewhere `ECONFIG`): the
   * application's route for part URLs hands each `PUT` here, with the URL as requested (path and query) and the
   * request body. Checks the URL (signature, expiry, key, upload id, part number, not used before) and streams
   * the part into the upload's staging area, replacing an earlier copy of that part only once it is whole.
   *
   * @returns the stored part (its `etag` is the response's `ETag`).
   * @throws {PermissionDeniedError} the URL is forged, expired or already used.
   * @throws {StorageError} `EINVAL` a body longer than the URL allows or not its declared length (nothing kept,
   *   the URL may be used again). @throws {NotFoundError} no such upload (completed or aborted).
   */
  receiveUploadPart?(
    url: string,
    body: NodeJS.ReadableStream,
    options?: ReceiveUploadPartOptions,
  ): Promise<UploadedPart>;
}
