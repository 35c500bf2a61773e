import { metricsLayer, retryLayer, timeoutLayer } from '@monorepo/storage-core';
import type { Monitoring, StorageLayer } from '@monorepo/storage-core';

/** The standard layers' settings (`STORAGE_TIMEOUT_MS`, `STORAGE_IO_TIMEOUT_MS`, `STORAGE_RETRY_ATTEMPTS`). */
export interface StorageLayerSettings {
  /** The most one storage call may take, in ms; 0 turns the deadline off (default 120 000). */
  timeoutMs?: number;
  /** The most a stream (upload body, download, listing) may stall, in ms; 0 turns it off (default 60 000). */
  ioTimeoutMs?: number;
  /**
   * Attempts per idempotent call that fails with `EUNAVAILABLE` or `ETIMEDOUT` (default: 3 for `local`; 1 for
   * `s3`, whose requests the AWS SDK already retries `S3_MAX_ATTEMPTS` times: a higher value multiplies them).
   */
  retryAttempts?: number;
}

/**
 * The layers every adapter the factory builds runs behind, innermost first: `timeoutLayer` (each attempt
 * bounded), `retryLayer` (when more than one attempt), then `extra`, then `metricsLayer(monitoring)` (one
 * count per caller's call, retries reported as `storage_retries_total`).
 */
export function standardLayers(
  type: 'local' | 's3',
  settings: StorageLayerSettings = {},
  monitoring?: Monitoring,
  extra: readonly StorageLayer[] = [],
): StorageLayer[] {
  const timeoutMs = settings.timeoutMs ?? 120_000;
  const ioTimeoutMs = settings.ioTimeoutMs ?? 60_000;
  const attempts = settings.retryAttempts ?? (type === 's3' ? 1 : 3);
  const layers: StorageLayer[] = [];
  if (timeoutMs > 0 || ioTimeoutMs > 0)
    layers.push(
      timeoutLayer({
        // 0 means off: a deadline no call reaches (the most a Node timer takes, ~24.8 days).
        timeoutMs: timeoutMs > 0 ? timeoutMs : 2 ** 31 - 1,
        ioTimeoutMs: ioTimeoutMs > 0 ? ioTimeoutMs : 2 ** 31 - 1,
      }),
    );
  if (attempts > 1)
    layers.push(
      retryLayer({
        attempts,
        ...(monitoring
          ? {
              onRetry: (call, error) =>
                monitoring.increment('storage_retries_total', {
                  backend: type,
                  operation: call.operation,
                  code: (error as { code?: string }).code ?? 'EIO',
                }),
            }
          : {}),
      }),
    );
  layers.push(...extra);
  if (monitoring) layers.push(metricsLayer(monitoring));
  return layers;
}
