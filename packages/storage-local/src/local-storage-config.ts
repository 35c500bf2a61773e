/** The seed's local configuration, plus tuning knobs. */
export interface LocalStorageConfig {
  type: 'local';
  /** URL under which `localBasePath` is served (e.g. nginx at `http://localhost/static`). */
  baseUrl: string;
  /** Root directory; created on demand (see {@link createRoot}). No operation ever reaches outside it. */
  localBasePath: string;
  /**
   * Create `localBasePath` when it is missing (default `true`). `false` opens an existing tree only: a
   * missing root is a `ConfigError` and nothing is created (the CLI opens sync, usage and backup sources so).
   */
  createRoot?: boolean;
  /**
   * Accept only keys under these top-level folders (e.g. `['uploads', 'generated', 'processed']`, the three
   * volumes of the compose deployment); any other key is refused with `EINVAL` naming them. Default: any key.
   */
  folders?: string[];
  /**
   * Each of {@link folders} must be a filesystem of its own (a mounted volume): `checkHealth` fails while one
   * is not mounted, so a container whose volume is missing never reports ready. Default `false`.
   */
  requireMountedFolders?: boolean;
  /** fsync each file and its directory before an upload resolves (default `true`). */
  fsync?: boolean;
  /** Permission bits of stored files (default `0o644`, so a web server can read them). */
  fileMode?: number;
  /** Permission bits of created directories (default `0o755`). */
  dirMode?: number;
  /**
   * Where part URLs of multipart uploads point (capability `directMultipart`): `url`, the application's route
   * that hands each `PUT` to `receiveUploadPart` (e.g. `https://example.com/api/v1/uploads/multipart/part`), and
   * `secret` (at least 32 characters) that signs them, shared by every process that signs or receives parts.
   * Without it uploads can still be created, listed, completed and aborted, but `signUploadPart` and
   * `receiveUploadPart` answer `ECONFIG`.
   */
  multipartParts?: { url: string; secret: string };
  /** Temporary files older than this are removed when met during a listing or sweep (default 1 hour). */
  staleTempAfterMs?: number;
}
