/**
 * What a backend can do beyond the common contract, read by callers and by the contract suite (which skips
 * what an adapter lacks). Every adapter answers every flag.
 */
export interface StorageCapabilities {
  /** `getSignedUrl` makes time-limited GET/PUT URLs that work without credentials. */
  readonly signedUrls: boolean;
  /**
   * The store serves objects itself, so `provision({ publicRead })` lets anyone read the public ones there
   * (S3: a bucket policy on the visibility tag) and `getOriginUrl` names an object at the store. The local
   * backend leaves serving to the web server in front of it, which reads the visibility markers.
   */
  readonly publicReadPolicy: boolean;
  /**
   * `createUploadPost` makes a presigned form upload that a browser or service sends straight to the store,
   * with the key, type and exact size pinned by the store's own policy check (S3 presigned POST).
   */
  readonly directUploads: boolean;
  /**
   * Multipart uploads sent part by part, resumable: `createMultipartUpload`, `signUploadPart` (a signed URL for
   * one part number of one upload), `listUploadParts`, `completeMultipartUpload` and `abortMultipartUpload`.
   * On S3 the URLs are the bucket's (presigned `UploadPart`); on local storage they point at the application,
   * which hands each part to `receiveUploadPart`. Parts are not an object: nothing can read the key until the
   * upload is completed.
   */
  readonly directMultipart: boolean;
  /** An overwrite replaces the object atomically: readers never see a mix of old and new content. */
  readonly atomicOverwrite: boolean;
  /** A key cannot also be a "directory" of other keys (`a` and `a/b`), as on a filesystem. */
  readonly keyPrefixConflicts: boolean;
  /**
   * `UploadOptions.lastModified` is kept: `stat` (and a listing with metadata) reports the given modification
   * time, so a copy keeps its source's date (local: the file's mtime; S3: object metadata).
   */
  readonly modificationTime: boolean;
  /** Longest key segment stored, in UTF-8 bytes (filesystems: 255); `undefined`: only the key limit. */
  readonly maxSegmentBytes: number | undefined;
}
