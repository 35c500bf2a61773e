import { maintenanceQueueName } from '@monorepo/image-queue';
import type { PrometheusMonitoring } from '@monorepo/observability';
import { KEY_LAYOUT, keyOwner } from '@monorepo/storage';
import type { StorageAdapter } from '@monorepo/storage';
import type { UploadIntents, UsageLedger, UserJobs } from '@monorepo/tenant-limits';
import { Queue, Worker } from 'bullmq';
import type { ConnectionOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { trimDerived } from './derived-janitor.js';
import type { DerivedTrimReport } from './derived-janitor.js';

/** What one janitor run did. */
export interface JanitorReport {
  /** Leftovers of interrupted writes removed (temp files, orphan sidecars, multipart uploads). */
  incompleteRemoved: number;
  /** Users whose storage usage was set from a listing (the others had uploads in flight). */
  usageReconciled: number;
  /** Users with pending image jobs. */
  usersWithPendingJobs: number;
  /** Direct uploads that expired uncompleted, whose objects were removed. */
  intentsExpired: number;
  /** The imaging service's `derived/` cache, trimmed (when configured). */
  derived?: DerivedTrimReport;
}

/** What the janitor works on. */
export interface JanitorDeps {
  storage: StorageAdapter;
  ledger: UsageLedger;
  userJobs: UserJobs;
  /** Direct uploads announced through the API. */
  intents: UploadIntents;
  imageQueue: Queue;
  /** Leftovers younger than this may belong to a write still running (default 1 h). */
  staleAfterMs: number;
  monitoring: PrometheusMonitoring;
  logger: Logger;
  /** Trims `derived/` (renders on request) to `maxBytes`, with the imaging service's bookkeeping in `redis`. */
  derived?: { redis: Redis; maxBytes: number };
}

const PENDING_STATES = [
  'waiting',
  'prioritized',
  'active',
  'delayed',
  'paused',
  'waiting-children',
] as const;

/**
 * One pass of the janitor: removes leftovers of interrupted writes, sets each user's storage usage from a
 * listing of `uploads/<user>/`, and each user's pending-job count from the queue itself, repairing whatever
 * crashed processes left wrong.
 */
export async function runJanitor(deps: JanitorDeps): Promise<JanitorReport> {
  const { storage, ledger, userJobs, imageQueue, monitoring, logger } = deps;
  const incompleteRemoved = await storage.sweepIncomplete({ olderThanMs: deps.staleAfterMs });
  monitoring.increment('janitor_removed_total', { kind: 'incomplete' }, incompleteRemoved);

  // An intent never completed: whatever was sent for it is not a file of anyone's, and goes.
  const expired = await deps.intents.takeExpired();
  for (const intent of expired) await storage.delete(intent.key);
  monitoring.increment('janitor_removed_total', { kind: 'intent' }, expired.length);

  const usage = new Map<string, { bytes: number; objects: number }>();
  for (const user of await ledger.users()) usage.set(user, { bytes: 0, objects: 0 });
  for await (const item of storage.listAll(KEY_LAYOUT.uploadsRoot)) {
    const user = keyOwner(item.key);
    if (!user) continue;
    const sum = usage.get(user) ?? { bytes: 0, objects: 0 };
    sum.bytes += item.size;
    sum.objects += 1;
    usage.set(user, sum);
  }
  let usageReconciled = 0;
  for (const [user, actual] of usage)
    if (await ledger.reconcile(user, actual)) usageReconciled += 1;

  const pending = new Map<string, number>();
  for (const job of await imageQueue.getJobs([...PENDING_STATES], 0, -1)) {
    const user = (job?.data as { userId?: unknown } | undefined)?.userId;
    if (typeof user === 'string') pending.set(user, (pending.get(user) ?? 0) + 1);
  }
  await userJobs.reconcile(pending);

  const derived = deps.derived ? await trimDerived({ storage, ...deps.derived }) : undefined;
  if (derived)
    monitoring.increment(
      'janitor_removed_total',
      { kind: 'derived' },
      derived.staleRemoved + derived.evicted,
    );

  const report = {
    incompleteRemoved,
    usageReconciled,
    usersWithPendingJobs: pending.size,
    intentsExpired: expired.length,
    ...(derived ? { derived } : {}),
  };
  monitoring.increment('janitor_runs_total');
  logger.info(report, 'janitor run');
  return report;
}

/**
 * Runs {@link runJanitor} every `everyMs` as a BullMQ job scheduler on the maintenance queue, so exactly one
 * worker process runs each pass however many are deployed.
 */
export async function startJanitor(
  deps: JanitorDeps & { connection: ConnectionOptions; queueName: string; everyMs: number },
): Promise<{ close(): Promise<void> }> {
  const name = maintenanceQueueName(deps.queueName);
  const queue = new Queue(name, { connection: deps.connection });
  await queue.upsertJobScheduler(
    'janitor',
    { every: deps.everyMs },
    { name: 'janitor', opts: { removeOnComplete: 100, removeOnFail: 100 } },
  );
  const worker = new Worker(name, async () => runJanitor(deps), {
    connection: deps.connection,
    concurrency: 1,
  });
  worker.on('failed', (_job, error) => deps.logger.warn({ err: error }, 'janitor run failed'));
  worker.on('error', (error) => deps.logger.error({ err: error }, 'janitor error'));
  return {
    close: async () => {
      await worker.close();
      await queue.close();
    },
  };
}
