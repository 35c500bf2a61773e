import type { UserJobs } from '@monorepo/tenant-limits';
import type { Job, Queue } from 'bullmq';

/** Every state in which a job still holds its owner's pending slot. */
export const PENDING_STATES = [
  'waiting',
  'prioritized',
  'active',
  'delayed',
  'paused',
  'waiting-children',
] as const;

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
