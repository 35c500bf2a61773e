/** Limits and permissions for fetching a `sourceUrl`. */
export interface SourcePolicy {
  /** Let sources resolve to private, loopback or link-local addresses (default `false`). */
  allowPrivateNetworks: boolean;
  /** Host names (exact, case-insensitive) allowed whatever they resolve to, on any port. */
  allowedHosts: readonly string[];
  /** Ports sources may use (default 80 and 443); hosts in `allowedHosts` may use any. */
  allowedPorts?: readonly number[];
  /** Largest source in bytes, enforced while streaming. */
  maxBytes: number;
  /** TCP connect timeout per hop in ms. */
  connectTimeoutMs: number;
  /** Whole download (all redirects included) in ms. */
  totalTimeoutMs: number;
  /** Redirects followed at most. */
  maxRedirects: number;
}
