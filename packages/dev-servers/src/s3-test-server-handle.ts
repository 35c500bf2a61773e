/** Where an S3-compatible server for tests listens, and how to reach it. */
export interface S3TestServer {
  endpoint: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** True when this is the s3rver stand-in started here (no signature checks, no conditional writes). */
  standIn: boolean;
  /** `rgw`: Ceph's radosgw started here; `s3rver`: the stand-in; `external`: the server named by `S3_ENDPOINT`. */
  kind: 'rgw' | 's3rver' | 'external';
  /** Stops the server (a no-op for an external one). */
  stop(): Promise<void>;
}
