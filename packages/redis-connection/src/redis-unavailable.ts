const UNAVAILABLE = new RegExp(
  [
    'Connection is closed',
    'enableOfflineQueue',
    'ECONNREFUSED',
    'ECONNRESET',
    'EPIPE',
    'ETIMEDOUT',
    'EHOSTUNREACH',
    'max retries per request',
    "Stream isn't writeable",
    'Command timed out',
    // A failover in progress: a demoted master, one without its replica, a loading replica, a cluster moving slots.
    '^READONLY',
    '^NOREPLICAS',
    '^LOADING',
    '^MASTERDOWN',
    '^CLUSTERDOWN',
    '^TRYAGAIN',
    'All sentinels are unreachable',
    'Failed to refresh slots cache',
    'Cluster isn.t ready',
    'None of startup nodes is available',
    'not acknowledged by enough replicas',
  ].join('|'),
  'i',
);

/**
 * Whether `error` says Redis cannot be reached right now (down, failing over, a write not replicated in time), as
 * opposed to a bad command: a caller answers it with 503 and `Retry-After`, never 500.
 */
export function isRedisUnavailable(error: unknown): boolean {
  if (error instanceof ReplicationTimeoutError) return true;
  return error instanceof Error && UNAVAILABLE.test(error.message);
}

/** A write that fewer replicas acknowledged than required within the wait: it may not survive a failover. */
export class ReplicationTimeoutError extends Error {
  readonly acknowledged: number;

  constructor(acknowledged: number, required: number) {
    super(
      `Redis write not acknowledged by enough replicas (${acknowledged} of ${required}); it may not survive a failover`,
    );
    this.name = 'ReplicationTimeoutError';
    this.acknowledged = acknowledged;
  }
}
