import { ImageProcessingError } from '@monorepo/image-processor';
import type { ImageProcessor, ProcessResult } from '@monorepo/image-processor';
import { formatFailure, imageJobDataSchema } from '@monorepo/image-queue';
import type { ImageJobData } from '@monorepo/image-queue';
import { loggableUrl } from '@monorepo/observability';
import type { PrometheusMonitoring } from '@monorepo/observability';
import { UnrecoverableError, Worker } from 'bullmq';
import type { ConnectionOptions, Job } from 'bullmq';
import type { Logger } from 'pino';

/** What {@link createImageWorker} needs. */
export interface ImageWorkerDeps {
  connection: ConnectionOptions;
  queueName: string;
  concurrency: number;
  lockDurationMs: number;
  stalledIntervalMs: number;
  processor: ImageProcessor;
  monitoring: PrometheusMonitoring;
  logger: Logger;
}

/**
 * Turns a job into `processImage`. Invalid data and permanent image errors
 * fail at once (`UnrecoverableError`, no retries); everything else is thrown
 * as retryable. Failure reasons carry the error code (`E_…: message`).
 */
export async function runImageJob(
  job: Pick<Job<ImageJobData>, 'id' | 'data' | 'attemptsMade' | 'updateProgress'>,
  processor: ImageProcessor,
): Promise<ProcessResult> {
  const parsed = imageJobDataSchema.safeParse(job.data);
  if (!parsed.success) {
    throw new UnrecoverableError(
      formatFailure('E_INVALID_JOB', parsed.error.issues.map((i) => i.message).join('; ')),
    );
  }
  const { id, tool, userId, sourceUrl, sourceKey } = parsed.data;
  try {
    return await processor.processImage(
      {
        id,
        tool: tool as never,
        userId,
        ...(sourceUrl ? { sourceUrl } : { sourceKey: sourceKey! }),
      },
      { onProgress: (percent) => void job.updateProgress(percent).catch(() => {}) },
    );
  } catch (error) {
    if (error instanceof ImageProcessingError) {
      const reason = formatFailure(error.code, error.message);
      throw error.permanent ? new UnrecoverableError(reason) : new Error(reason, { cause: error });
    }
    throw new Error(formatFailure('E_INTERNAL', (error as Error)?.message ?? String(error)), {
      cause: error,
    });
  }
}

/** A BullMQ worker on the image queue, with metrics and structured logs per job. */
export function createImageWorker(deps: ImageWorkerDeps): Worker<ImageJobData, ProcessResult> {
  const { monitoring, logger } = deps;
  const worker = new Worker<ImageJobData, ProcessResult>(
    deps.queueName,
    async (job) => {
      const started = performance.now();
      const context = {
        jobId: job.id,
        tool: job.data?.tool,
        userId: job.data?.userId,
        attempt: job.attemptsMade + 1,
      };
      logger.info(
        { ...context, source: job.data?.sourceKey ?? loggableUrl(job.data?.sourceUrl) },
        'job started',
      );
      try {
        const result = await runImageJob(job, deps.processor);
        monitoring.timing('job_duration_ms', performance.now() - started, { outcome: 'completed' });
        logger.info(
          {
            ...context,
            ms: Math.round(performance.now() - started),
            variants: result.variants.length,
          },
          'job completed',
        );
        return result;
      } catch (error) {
        monitoring.timing('job_duration_ms', performance.now() - started, { outcome: 'failed' });
        logger.warn(
          {
            ...context,
            reason: (error as Error).message,
            retryable: !(error instanceof UnrecoverableError),
          },
          'job failed',
        );
        throw error;
      }
    },
    {
      connection: deps.connection,
      concurrency: deps.concurrency,
      lockDuration: deps.lockDurationMs,
      stalledInterval: deps.stalledIntervalMs,
      maxStalledCount: 2,
      autorun: false,
    },
  );
  worker.on('completed', () => monitoring.increment('jobs_total', { outcome: 'completed' }));
  worker.on('failed', (job, error) => {
    const final =
      !job || error instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
    monitoring.increment('jobs_total', { outcome: final ? 'failed' : 'retried' });
  });
  worker.on('stalled', (jobId) => {
    monitoring.increment('jobs_stalled_total');
    logger.warn({ jobId }, 'job stalled; it will be picked up again');
  });
  worker.on('error', (error) => logger.error({ err: error }, 'worker error'));
  return worker;
}
