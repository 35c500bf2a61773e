import { maintenanceQueueName } from '@monorepo/image-queue';
import type { PrometheusMonitoring } from '@monorepo/observability';
import { KEY_LAYOUT, keyOwner } from '@monorepo/storage';
import type { StorageAdapter } from '@monorepo/storage';
import {
  STAGING_PREFIX,
  checkedKey,
  intentIdOfStagingKey,
  stagingKey,
} from '@monorepo/tenant-limits';
import type { UploadIntents, UsageLedger, UserJobs } from '@monorepo/tenant-limits';
import { Queue, Worker } from 'bullmq';
import type { ConnectionOptions } from 'bullmq';
import type { RedisClient } from '@monorepo/redis-connection';
import type { Logger } from 'pino';
import { trimDerived } from './derived-janitor.js';
import type { DerivedTrimReport } from './derived-janitor.js';
import { deliveryOwner, imageJobOwner, reconcilePending } from './reconcile-pending.js';

/** What one janitor run did. */
export interface JanitorReport {
  /** Leftovers of interrupted writes removed (temp files, orphan sidecars, multipart uploads). */
  incompleteRemoved: number;
  /** Direct uploads taken by the janitor (expired, or done with a form that expired), their bytes removed. */
  intentsExpired: number;
  /** Staging objects of no live intent removed (a spent form used again, a crash mid-completion). */
  stagingRemoved: number;
  /** Objects of direct uploads of the old key layout, never completed, removed. */
  legacyRemoved: number;
  /** Users whose usage was rebuilt from a listing. */
  usageReconciled: number;
  /** Of those, users whose usage the listing changed. */
  usageCorrected: number;
  /** Users with pending image jobs. */
  usersWithPendingJobs: number;
  /** Teams with webhook deliveries pending (0 without {@link JanitorDeps.webhooks}). */
  teamsWithPendingDeliveries: number;
  /** The imaging service's `derived/` cache, trimmed (when configured). */
  derived?: DerivedTrimReport;
}

/** What the janitor works on. */
export interface JanitorDeps {
  storage: StorageAdapter;
  ledger: UsageLedger;
  userJobs: UserJobs;
  /** Direct uploads announced through the API (on `ledger`, whose clock decides what is due). */
  intents: UploadIntents;
  imageQueue: Queue;
  /** Leftovers younger than this may belong to a write still running (default 1 h). */
  staleAfterMs: number;
  monitoring: PrometheusMonitoring;
  logger: Logger;
  /** Trims `derived/` (renders on request) to `maxBytes`, with the imaging service's bookkeeping in `redis`. */
  derived?: { redis: RedisClient; maxBytes: number };
  /** The webhook delivery queue and each team's pending deliveries, repaired from it like the image jobs. */
  webhooks?: { queue: Queue; teamJobs: UserJobs };
}

const LIVE_INTENT = new Set(['open', 'sending', 'sent', 'completing']);

async function removeAll(storage: StorageAdapter, keys: readonly string[]): Promise<void> {
  for (const key of keys) await storage.delete(key);
}

/** Takes every due intent: removes what its form or send may have written, then releases its hold. */
async function expireIntents(deps: JanitorDeps): Promise<number> {
  const { intents, storage } = deps;
  let expired = 0;
  const users = new Set([...(await intents.users()), ...(await deps.ledger.users())]);
  for (const user of users) {
    for (let page = await intents.due(user); page.length; page = await intents.due(user)) {
      for (const id of page) {
        const multipart = (await intents.get(user, id))?.multipartUploadId;
        const taken = await intents.expire(user, id);
        if (!taken) continue;
        // A multipart upload's parts are no object: the store drops them when the upload is aborted.
        if (multipart && storage.abortMultipartUpload)
          await storage.abortMultipartUpload(stagingKey(id), multipart);
        const wasCompleting = taken.state === 'completing' || taken.from === 'completing';
        await removeAll(storage, [
          stagingKey(id),
          checkedKey(id),
          ...(wasCompleting ? [taken.key] : []),
        ]);
        await intents.release(user, id);
        expired += 1;
      }
    }
    await intents.forgetIfIdle(user);
  }
  return expired;
}

/** Removes staging objects that belong to no live intent. */
async function sweepStaging(deps: JanitorDeps): Promise<number> {
  let removed = 0;
  for await (const item of deps.storage.listAll(STAGING_PREFIX)) {
    const id = intentIdOfStagingKey(item.key);
    const state = id ? await deps.intents.stateOf(id) : undefined;
    if (state && LIVE_INTENT.has(state)) continue;
    await deps.storage.delete(item.key);
    removed += 1;
  }
  return removed;
}

/**
 * One pass of the janitor, repairing whatever crashed processes and hostile clients left behind: removes
 * leftovers of interrupted writes; expires due direct uploads and removes their bytes; removes staging objects
 * of no live intent; rebuilds each user's usage from a listing of `uploads/<user>/` (while uploads go on: see
 * `UsageLedger.beginReconcile`); sets each user's pending-job count from the queue itself.
 */
export async function runJanitor(deps: JanitorDeps): Promise<JanitorReport> {
  const { storage, ledger, userJobs, imageQueue, monitoring, logger } = deps;
  const incompleteRemoved = await storage.sweepIncomplete({ olderThanMs: deps.staleAfterMs });
  monitoring.increment('janitor_removed_total', { kind: 'incomplete' }, incompleteRemoved);

  // The key layout before per-user hash tags: counters carried over, old direct uploads removed.
  await ledger.migrateLegacy();
  const legacy = await deps.intents.drainLegacy();
  await removeAll(storage, legacy);
  monitoring.increment('janitor_removed_total', { kind: 'legacy-intent' }, legacy.length);

  const intentsExpired = await expireIntents(deps);
  monitoring.increment('janitor_removed_total', { kind: 'intent' }, intentsExpired);
  // A deployment whose storage does not accept incoming/ (a compose file without its volume) still reconciles.
  const stagingRemoved = await sweepStaging(deps).catch((error: unknown) => {
    logger.error({ err: error }, 'staging sweep failed');
    return 0;
  });
  monitoring.increment('janitor_removed_total', { kind: 'staging' }, stagingRemoved);

  const reconciliation = await ledger.beginReconcile();
  for await (const item of storage.listAll(KEY_LAYOUT.uploadsRoot)) {
    const user = keyOwner(item.key);
    if (user) await reconciliation.add(user, item.key, item.size);
  }
  const reconciled = await reconciliation.finish();
  const corrected = reconciled.filter(
    (r) => r.before.bytes !== r.after.bytes || r.before.objects !== r.after.objects,
  );
  for (const { user, before, after } of corrected)
    logger.warn({ user, before, after }, 'usage corrected from a listing');
  monitoring.increment('janitor_usage_corrected_total', {}, corrected.length);

  const usersWithPendingJobs = await reconcilePending(imageQueue, userJobs, imageJobOwner);
  const teamsWithPendingDeliveries = deps.webhooks
    ? await reconcilePending(deps.webhooks.queue, deps.webhooks.teamJobs, deliveryOwner)
    : 0;

  const derived = deps.derived ? await trimDerived({ storage, ...deps.derived }) : undefined;
  if (derived)
    monitoring.increment(
      'janitor_removed_total',
      { kind: 'derived' },
      derived.staleRemoved + derived.evicted,
    );

  const report: JanitorReport = {
    incompleteRemoved,
    intentsExpired,
    stagingRemoved,
    legacyRemoved: legacy.length,
    usageReconciled: reconciled.length,
    usageCorrected: corrected.length,
    usersWithPendingJobs,
    teamsWithPendingDeliveries,
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
  deps: JanitorDeps & {
    connection: ConnectionOptions;
    /** BullMQ's key prefix (`{bull}` on a Redis Cluster). */
    prefix?: string;
    queueName: string;
    everyMs: number;
  },
): Promise<{ close(): Promise<void> }> {
  const name = maintenanceQueueName(deps.queueName);
  const bull = { connection: deps.connection, ...(deps.prefix ? { prefix: deps.prefix } : {}) };
  const queue = new Queue(name, bull);
  await queue.upsertJobScheduler(
    'janitor',
    { every: deps.everyMs },
    { name: 'janitor', opts: { removeOnComplete: 100, removeOnFail: 100 } },
  );
  const worker = new Worker(name, async () => runJanitor(deps), {
    ...bull,
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
