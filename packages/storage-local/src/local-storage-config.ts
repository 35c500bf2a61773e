/** The seed's local configuration, plus tuning knobs. */
export interface LocalStorageConfig {
  type: 'local';
  /** URL under which `localBasePath` is served (e.g. nginx at `http://localhost/static`). */
  baseUrl: string;
  /** Root directory; created on demand. No operation ever reaches outside it. */
  localBasePath: string;
  /** fsync each file and its directory before an upload resolves (default `true`). */
  fsync?: boolean;
  /** Permission bits of stored files (default `0o644`, so a web server can read them). */
  fileMode?: number;
  /** Permission bits of created directories (default `0o755`). */
  dirMode?: number;
  /** Temporary files older than this are removed when met during a listing or sweep (default 1 hour). */
  staleTempAfterMs?: number;
}
