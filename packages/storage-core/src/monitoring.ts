/** Label set attached to a metric sample. Keep cardinality low (no keys, no user ids). */
export type MetricLabels = Record<string, string | number>;

/**
 * Minimal metrics sink, so libraries can report without depending on a
 * metrics library. Applications adapt it to Prometheus, StatsD, ...
 */
export interface Monitoring {
  /** Adds `value` (default 1) to the counter `name`. */
  increment(name: string, labels?: MetricLabels, value?: number): void;
  /** Records a duration in milliseconds for the timing/histogram `name`. */
  timing(name: string, milliseconds: number, labels?: MetricLabels): void;
}

/** A {@link Monitoring} that discards everything. */
export const noopMonitoring: Monitoring = Object.freeze({
  increment: () => {},
  timing: () => {},
});

/**
 * Runs `fn`, then records its duration as `name` with `labels` plus
 * `outcome: 'ok' | 'error'`. The result or error of `fn` passes through.
 */
export async function timed<T>(
  monitoring: Monitoring,
  name: string,
  labels: MetricLabels,
  fn: () => Promise<T>,
): Promise<T> {
  const started = performance.now();
  let outcome = 'error';
  try {
    const result = await fn();
    outcome = 'ok';
    return result;
  } finally {
    monitoring.timing(name, performance.now() - started, { ...labels, outcome });
  }
}
