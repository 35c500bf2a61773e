import type { UserJobs } from '@monorepo/tenant-limits';
import { DELIVER_JOB } from '@monorepo/webhooks';
import type { Job, Queue } from 'bullmq';

/** Every state in which a job still holds its owner's pending slot. */
const PENDING_STATES = [
  'waiting',
  'prioritized',
  'active',
  'delayed',
  'paused',
  'waiting-children',
] as const;

/** A job's owner as its data names it. */
function ownerField(job: Job, field: string): string | undefined {
  const owner = (job.data as Record<string, unknown> | undefined)?.[field];
  return typeof owner === 'string' ? owner : undefined;
}

/** The user an image job counts against. */
export const imageJobOwner = (job: Job): string | undefined => ownerField(job, 'userId');

/** The team a webhook delivery counts against; the queue's other jobs (the outbox's) count against no one. */
export const deliveryOwner = (job: Job): string | undefined =>
  job.name === DELIVER_JOB ? ownerField(job, 'team') : undefined;

/**
 * Repairs one set of pending counts from the queue that holds the jobs: reads every pending job, groups their ids by
 * `ownerOf` (jobs it answers `undefined` for are not counted) and hands them to {@link UserJobs.reconcile}, which
 * drops only ids admitted well before this read that the queue no longer holds (a producer that died between
 * admitting a job and queueing it). Returns how many owners have pending jobs.
 */
export async function reconcilePending(
  queue: Queue,
  jobs: UserJobs,
  ownerOf: (job: Job) => string | undefined,
  now: () => number = Date.now,
): Promise<number> {
  const pending = new Map<string, string[]>();
  const snapshotAt = now();
  for (const job of await queue.getJobs([...PENDING_STATES], 0, -1)) {
    const owner = job ? ownerOf(job) : undefined;
    if (typeof owner !== 'string' || !job.id) continue;
    const ids = pending.get(owner) ?? [];
    ids.push(job.id);
    pending.set(owner, ids);
  }
  await jobs.reconcile(pending, snapshotAt);
  return pending.size;
}
