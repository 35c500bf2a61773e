import { publicFailure } from '@monorepo/image-queue';
import type { ProcessResult } from '@monorepo/image-processor';
import { isStorageError } from '@monorepo/storage';
import type { ObjectInfo, StorageAdapter } from '@monorepo/storage';
import type { FactCheck, PendingEvent } from '@monorepo/webhooks';
import { Job } from 'bullmq';
import type { Queue } from 'bullmq';

async function statOrNone(storage: StorageAdapter, key: string): Promise<ObjectInfo | undefined> {
  try {
    return await storage.stat(key);
  } catch (error) {
    if (isStorageError(error, 'ENOENT')) return undefined;
    throw error;
  }
}

/**
 * Whether the change an event reports holds now, read from where it is durable: the object in storage (stat
 * reads the stored object), the job's final state and result in the image queue. Errors (storage down) are
 * thrown, so the check is tried again later.
 */
export function webhookFacts(storage: StorageAdapter, imageQueue: Queue) {
  return async (event: PendingEvent): Promise<FactCheck> => {
    const { key, visibility, jobId } = event.subject;
    switch (event.type) {
      case 'upload.completed': {
        const info = await statOrNone(storage, key!);
        if (!info) return { state: 'pending' };
        return {
          state: 'holds',
          data: {
            key: info.key,
            size: info.size,
            contentType: info.contentType,
            etag: info.etag,
            visibility: info.visibility ?? 'private',
          },
        };
      }
      case 'file.deleted':
        return (await storage.exists(key!))
          ? { state: 'pending' }
          : { state: 'holds', data: { key } };
      case 'file.visibility_changed': {
        const info = await statOrNone(storage, key!);
        if (!info) return { state: 'void', why: 'the file is gone' };
        return (info.visibility ?? 'private') === visibility
          ? { state: 'holds', data: { key, visibility } }
          : { state: 'pending' };
      }
      case 'job.completed':
      case 'job.failed': {
        const job = await Job.fromId(imageQueue, jobId!);
        if (!job) return { state: 'void', why: 'the job is gone' };
        const state = await job.getState();
        const wanted = event.type === 'job.completed' ? 'completed' : 'failed';
        if (state !== 'completed' && state !== 'failed') return { state: 'pending' };
        if (state !== wanted) return { state: 'void', why: `the job ended ${state}` };
        const tool = (job.data as { tool?: string }).tool;
        if (state === 'failed')
          return {
            state: 'holds',
            data: { id: jobId, tool, status: 'failed', error: publicFailure(job.failedReason) },
          };
        const result = job.returnvalue as ProcessResult;
        return {
          state: 'holds',
          data: {
            id: jobId,
            tool,
            status: 'completed',
            variants: result.variants.map(
              ({ name, key: stored, format, width, height, bytes }) => ({
                name,
                key: stored,
                format,
                width,
                height,
                bytes,
              }),
            ),
          },
        };
      }
    }
  };
}
