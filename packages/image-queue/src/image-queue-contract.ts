/** Default BullMQ queue name for image jobs. */
export const DEFAULT_IMAGE_QUEUE = 'image-processing';

/** BullMQ job name used for image jobs. */
export const IMAGE_JOB_NAME = 'process-image';

/**
 * Job options every producer uses: retries with exponential backoff, and
 * finished jobs trimmed by age and count so Redis does not grow forever.
 */
export function imageJobOptions(attempts = 3) {
  return {
    attempts,
    backoff: { type: 'exponential' as const, delay: 2000 },
    removeOnComplete: { age: 7 * 24 * 3600, count: 10_000 },
    removeOnFail: { age: 30 * 24 * 3600, count: 50_000 },
  };
}

/** Public status of a job, from BullMQ's state. */
export type ImageJobStatus = 'queued' | 'active' | 'completed' | 'failed';

/** Maps a BullMQ job state to the public status. */
export function toImageJobStatus(state: string): ImageJobStatus {
  if (state === 'active') return 'active';
  if (state === 'completed') return 'completed';
  if (state === 'failed') return 'failed';
  return 'queued';
}

/**
 * Failure reasons are stored as `CODE: message`, so any reader can recover
 * the machine-readable code from BullMQ's `failedReason`.
 */
export function formatFailure(code: string, message: string): string {
  return `${code}: ${message}`;
}

/** Splits a `failedReason` made by {@link formatFailure}. */
export function parseFailure(reason: string | undefined): { code: string; message: string } {
  const match = /^([A-Z][A-Z0-9_]+): ([\s\S]*)$/.exec(reason ?? '');
  return match
    ? { code: match[1]!, message: match[2]! }
    : { code: 'E_INTERNAL', message: reason || 'Job failed' };
}
