/** What an adapter can or cannot do, so the contract suite skips only what it must. */
export interface AdapterCapabilities {
  /**
   * `getSignedUrl` exists. `'http'`: the URLs work over real HTTP and are
   * fetched in the test; `'generate'`: they are only checked for shape.
   */
  signedUrls?: false | 'generate' | 'http';
  /** A key cannot also be a "directory" of other keys (`a` and `a/b`), as on a filesystem. */
  keyPrefixConflicts?: boolean;
  /** Longest key segment the backend stores, in bytes (filesystems: 255). */
  maxSegmentBytes?: number;
  /**
   * An overwrite replaces the object atomically, so concurrent readers and
   * writers never see torn content (default `true`). Only test stand-ins that
   * write in place (s3rver) turn this off; S3, MinIO and the local adapter keep it.
   */
  atomicOverwrite?: boolean;
  /** Size of the large streamed round-trip (default 20 MB). */
  largeObjectBytes?: number;
  /** Number of keys for the paging test (default 1100, i.e. more than one full page). */
  pagingKeys?: number;
}
