import { setTimeout as sleep } from 'node:timers/promises';
import { isStreamBody } from './body.js';
import type { Body } from './body.js';
import { isStorageError } from './errors.js';
import type { StorageOperation } from './errors.js';
import type { UploadOptions } from './storage-adapter.js';
import { interceptDriver } from './storage-layer.js';
import type { DriverCall, StorageLayer } from './storage-layer.js';

/** Settings of {@link retryLayer}. */
export interface RetryLayerOptions {
  /** Attempts in all, the first included (default 3; 1 turns retrying off). */
  attempts?: number;
  /** Upper bound of the first wait, in ms (default 100); each further wait's bound doubles. */
  minDelayMs?: number;
  /** No wait longer than this, in ms (default 2000). */
  maxDelayMs?: number;
  /** Which errors are worth another attempt (default: `EUNAVAILABLE` and `ETIMEDOUT` storage errors). */
  retryable?: (error: unknown) => boolean;
  /** Told before each wait: the call, the error it failed with and the attempt (1 for the first) that failed. */
  onRetry?: (call: DriverCall, error: unknown, attempt: number) => void;
}

/** Calls that do the same thing when sent twice (reads, overwrites, deletes, copies, signing). */
const IDEMPOTENT = new Set<StorageOperation>([
  'upload', // only bytes in memory without ifNotExists: see idempotent()
  'download',
  'downloadStream', // opening it; a stream already handed out is never retried
  'exists',
  'stat',
  'list',
  'delete',
  'copy',
  'setVisibility',
  'checkHealth',
  'provision',
  'getSignedUrl',
  'createUploadPost',
  'signUploadPart',
  'listUploadParts',
]);

/** True when sending `call` again cannot do harm: never a stream body (it is consumed) nor a create-only write. */
export function isIdempotent(call: DriverCall): boolean {
  if (!IDEMPOTENT.has(call.operation)) return false;
  if (call.operation !== 'upload') return true;
  const [, body, , options] = call.args as [string, Body, string, UploadOptions | undefined];
  return !isStreamBody(body) && options?.ifNotExists !== true;
}

const transient = (error: unknown) =>
  isStorageError(error, 'EUNAVAILABLE') || isStorageError(error, 'ETIMEDOUT');

/**
 * A layer that tries an idempotent call again (see {@link isIdempotent}: `move`, `deletePrefix`, multipart
 * creation and completion, create-only writes and stream bodies never are) when it fails with a retryable
 * typed error, up to `attempts` in all, waiting a random time ("full jitter") below an exponentially growing
 * bound between attempts. `listAll` is passed through (a listing half read cannot be replayed). A caller's
 * abort (`signal` of an upload) stops the waiting. The last error is the caller's.
 *
 * Who retries what: S3 requests are already retried by the AWS SDK (`S3_MAX_ATTEMPTS`, throttling and
 * `Retry-After` included), and this layer multiplies those attempts, so the storage factory leaves it off for
 * S3 by default; it is the one retry of the local backend. Place it outside `timeoutLayer` so each attempt
 * has its own deadline.
 */
export function retryLayer(options: RetryLayerOptions = {}): StorageLayer {
  const attempts = options.attempts ?? 3;
  const minDelayMs = options.minDelayMs ?? 100;
  const maxDelayMs = options.maxDelayMs ?? 2000;
  const retryable = options.retryable ?? transient;
  if (!Number.isInteger(attempts) || attempts < 1)
    throw new RangeError('retryLayer: attempts must be a positive integer');
  if (!(minDelayMs >= 0) || !(maxDelayMs >= minDelayMs))
    throw new RangeError('retryLayer: 0 <= minDelayMs <= maxDelayMs');
  return (inner) =>
    interceptDriver(inner, async (call, next) => {
      if (attempts === 1 || !isIdempotent(call)) return next();
      const signal =
        call.operation === 'upload' ? (call.args[3] as UploadOptions).signal : undefined;
      for (let attempt = 1; ; attempt++) {
        try {
          return await next();
        } catch (error) {
          if (attempt >= attempts || !retryable(error) || signal?.aborted) throw error;
          options.onRetry?.(call, error, attempt);
          const bound = Math.min(maxDelayMs, minDelayMs * 2 ** (attempt - 1));
          await sleep(Math.random() * bound, undefined, signal ? { signal } : undefined);
        }
      }
    });
}
