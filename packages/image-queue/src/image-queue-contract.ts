import { FAILURE_MESSAGES } from '@monorepo/image-processor/contract';

/** Default BullMQ queue name for image jobs. */
export const DEFAULT_IMAGE_QUEUE = 'image-processing';

/** Redis key prefix of the per-tenant limits (`@monorepo/tenant-limits`) that go with an image queue. */
export function limitsPrefix(queueName: string): string {
  return `limits:${queueName}`;
}

/** Name of the queue that runs the janitor next to an image queue. */
export function maintenanceQueueName(queueName: string): string {
  return `${queueName}-maintenance`;
}

/** BullMQ job name used for image jobs. */
export const IMAGE_JOB_NAME = 'process-image';

/**
 * Job options every producer uses: retries with exponential backoff, a fair `priority` (the job's rank among
 * its user's pending jobs, from `UserJobs.admit`), and finished jobs removed by age. There is deliberately no
 * global count: finished jobs are also trimmed per user by the worker (`UserJobs.finished`), so one user's
 * volume never evicts another user's results.
 */
export function imageJobOptions(attempts = 3, priority?: number) {
  return {
    attempts,
    backoff: { type: 'exponential' as const, delay: 2000 },
    removeOnComplete: { age: 7 * 24 * 3600 },
    removeOnFail: { age: 30 * 24 * 3600 },
    ...(priority !== undefined ? { priority } : {}),
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

/** A failure as clients see it: the stable code and its generic message, never the stored detail. */
export function publicFailure(reason: string | undefined): { code: string; message: string } {
  const { code } = parseFailure(reason);
  return code in FAILURE_MESSAGES
    ? { code, message: FAILURE_MESSAGES[code as keyof typeof FAILURE_MESSAGES] }
    : { code: 'E_INTERNAL', message: FAILURE_MESSAGES.E_INTERNAL };
}

/** Splits a `failedReason` made by {@link formatFailure}. */
export function parseFailure(reason: string | undefined): { code: string; message: string } {
  const match = /^([A-Z][A-Z0-9_]+): ([\s\S]*)$/.exec(reason ?? '');
  return match
    ? { code: match[1]!, message: match[2]! }
    : { code: 'E_INTERNAL', message: reason || 'Job failed' };
}
