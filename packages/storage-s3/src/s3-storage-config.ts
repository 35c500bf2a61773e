/** The seed's S3 configuration, plus tuning knobs. */
export interface S3StorageConfig {
  type: 's3';
  /** Public base URL (a CDN in front of the bucket). Without it, URLs point at the bucket itself. */
  baseUrl?: string;
  s3: {
    bucket: string;
    region: string;
    /** For S3-compatible stores (MinIO, Wasabi, R2, ...). */
    endpoint?: string;
    /** Omit both to use the SDK's default credential chain (env, profile, instance role). */
    accessKeyId?: string;
    secretAccessKey?: string;
    sessionToken?: string;
    /** Path-style addressing; defaults to `true` when `endpoint` is set (MinIO and most compatibles need it). */
    forcePathStyle?: boolean;
    /**
     * Key prefix inside the bucket that this adapter treats as its root (e.g. `tenant-a/`). It counts toward
     * S3's 1024-byte key limit: keys are then at most `1024 − prefix bytes` long (longer ones are `EINVAL`).
     */
    prefix?: string;
    /**
     * Total attempts per request, including the first (default 5): enough to ride out a dead pooled
     * connection followed by a burst of throttling (503 SlowDown) answers.
     */
    maxAttempts?: number;
    /**
     * Upper bound for one S3 request including all its retries and back-off, in ms (default 60000). For
     * reads it ends when the response headers arrive, so a long download stream is not cut by it. This is the
     * longest a black-holed endpoint can hold any call (`S3_OPERATION_TIMEOUT_MS`).
     */
    operationTimeoutMs?: number;
    /** TCP connect timeout in ms (default 5000). */
    connectionTimeoutMs?: number;
    /** A request fails when its socket is idle this long, in ms (default 30000); a slow but moving stream is fine. */
    socketTimeoutMs?: number;
    /**
     * Multipart part size in bytes (default 5 MiB, the S3 minimum). Streams of unknown length can reach
     * 10,000 parts; a declared `contentLength` grows the parts as needed.
     */
    partSize?: number;
    /**
     * Bodies of at most this many bytes go up in one `PutObject` (default 16 MiB, at least `partSize`): in-memory
     * bodies, and streams with a declared `contentLength`, buffered whole so the request can be retried. Larger
     * bodies and streams of unknown length go multipart.
     */
    multipartThreshold?: number;
    /** Parts uploaded in parallel per multipart upload (default 4). Memory per upload: `(queueSize + 1) × partSize`. */
    queueSize?: number;
    /**
     * With an `endpoint` (S3-compatible stores), puts, parts and gets go as one signed request of their own instead
     * of through the SDK's middleware stack: the same requests, retries and errors at about half the CPU per
     * request (default `true`; `S3_DIRECT_REQUESTS=false`). Without an `endpoint` (AWS itself) the SDK always sends
     * them, as it alone resolves AWS endpoints (regions, FIPS, dual-stack, accelerate, S3 Express).
     */
    directRequests?: boolean;
  };
}
