import { ImageProcessingError } from '@monorepo/image-processor';
import type { ImageProcessor, ProcessResult } from '@monorepo/image-processor';
import { formatFailure, imageJobDataSchema } from '@monorepo/image-queue';
import type { UserJobs } from '@monorepo/tenant-limits';
import type { ImageJobData } from '@monorepo/image-queue';
import { loggableUrl, withSpan } from '@monorepo/observability';
import { SpanKind } from '@opentelemetry/api';
import { uploadPrefix } from '@monorepo/storage';
import type { PrometheusMonitoring } from '@monorepo/observability';
import { UnrecoverableError, Worker } from 'bullmq';
import type { ConnectionOptions, Job, Queue } from 'bullmq';
import type { Logger } from 'pino';
import { eventId } from '@monorepo/webhooks';
import type { EventOutbox } from '@monorepo/webhooks';

/** What {@link createImageWorker} needs. */
export interface ImageWorkerDeps {
  connection: ConnectionOptions;
  /** BullMQ's key prefix (`{bull}` on a Redis Cluster). */
  prefix?: string;
  queueName: string;
  concurrency: number;
  lockDurationMs: number;
  stalledIntervalMs: number;
  processor: ImageProcessor;
  monitoring: PrometheusMonitoring;
  logger: Logger;
  /** Per-user pending counts and finished-job retention (shared with the API through Redis). */
  userJobs: UserJobs;
  /** The image queue, to remove finished jobs past their user's retention. */
  queue: Pick<Queue, 'remove'>;
  /** Time budget of a job from submission, across all its attempts, in ms. */
  jobTimeoutMs: number;
  /** Where `job.completed` and `job.failed` are recorded (before BullMQ stores the outcome; released after). */
  events?: EventOutbox;
}

/**
 * Turns a job into `processImage`. Invalid data and permanent image errors
 * fail at once (`UnrecoverableError`, no retries); everything else is thrown
 * as retryable. Failure reasons carry the error code (`E_…: message`).
 */
export async function runImageJob(
  job: Pick<Job<ImageJobData>, 'id' | 'data' | 'attemptsMade' | 'updateProgress'>,
  processor: ImageProcessor,
  jobTimeoutMs = Infinity,
): Promise<ProcessResult> {
  const parsed = imageJobDataSchema.safeParse(job.data);
  if (!parsed.success) {
    throw new UnrecoverableError(
      formatFailure('E_INVALID_JOB', parsed.error.issues.map((i) => i.message).join('; ')),
    );
  }
  const { id, tool, userId, sourceUrl, sourceKey, submittedAt, visibility, model, presets } =
    parsed.data;
  // A job written straight into Redis gets no more than the API would allow: its own user's uploads only.
  if (sourceKey !== undefined && !sourceKey.startsWith(uploadPrefix(userId))) {
    throw new UnrecoverableError(
      formatFailure('E_FORBIDDEN_SOURCE', `sourceKey is not under ${uploadPrefix(userId)}`),
    );
  }
  const remaining = Date.parse(submittedAt) + jobTimeoutMs - Date.now();
  if (remaining <= 0) {
    throw new UnrecoverableError(
      formatFailure('E_TIMEOUT', `the job's budget of ${jobTimeoutMs} ms is spent`),
    );
  }
  const budget = Number.isFinite(remaining) ? AbortSignal.timeout(remaining) : undefined;
  try {
    return await processor.processImage(
      {
        id,
        tool,
        userId,
        ...(sourceUrl ? { sourceUrl } : { sourceKey: sourceKey! }),
        ...(visibility ? { visibility } : {}),
        ...(model ? { model } : {}),
        ...(presets ? { presets } : {}),
      },
      {
        onProgress: (percent) => void job.updateProgress(percent).catch(() => {}),
        ...(budget ? { signal: budget } : {}),
      },
    );
  } catch (error) {
    if (budget?.aborted) {
      throw new UnrecoverableError(
        formatFailure('E_TIMEOUT', `the job's budget of ${jobTimeoutMs} ms ran out`),
      );
    }
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
  // Recorded before the outcome is stored, released once it is: the webhook goes out only after that.
  const record = async (type: 'job.completed' | 'job.failed', job: Job<ImageJobData>) => {
    const userId = job.data?.userId;
    if (deps.events && job.id && typeof userId === 'string')
      await deps.events.record(type, userId, { jobId: job.id }, job.id);
  };
  const release = (type: 'job.completed' | 'job.failed', job: Job<ImageJobData> | undefined) => {
    const userId = job?.data?.userId;
    if (!deps.events || !job?.id || typeof userId !== 'string') return;
    void deps.events
      .release(eventId(type, userId, job.id))
      .catch((error: unknown) =>
        logger.warn({ err: error, jobId: job.id }, 'event release failed'),
      );
  };
  const worker = new Worker<ImageJobData, ProcessResult>(
    deps.queueName,
    // One consumer span per run, in the trace of the request that queued the job (its traceparent).
    async (job) =>
      withSpan(
        `image job ${deps.queueName}`,
        {
          kind: SpanKind.CONSUMER,
          ...(job.data?.traceparent ? { parent: job.data.traceparent } : {}),
          attributes: { 'messaging.message.id': job.id ?? '', attempt: job.attemptsMade + 1 },
        },
        async () => {
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
            const result = await runImageJob(job, deps.processor, deps.jobTimeoutMs);
            await record('job.completed', job);
            monitoring.timing('job_duration_ms', performance.now() - started, {
              outcome: 'completed',
            });
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
            monitoring.timing('job_duration_ms', performance.now() - started, {
              outcome: 'failed',
            });
            if (
              error instanceof UnrecoverableError ||
              job.attemptsMade + 1 >= (job.opts.attempts ?? 1)
            )
              await record('job.failed', job);
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
      ),
    {
      connection: deps.connection,
      ...(deps.prefix ? { prefix: deps.prefix } : {}),
      concurrency: deps.concurrency,
      lockDuration: deps.lockDurationMs,
      stalledInterval: deps.stalledIntervalMs,
      maxStalledCount: 2,
      autorun: false,
    },
  );
  // A job in its final state leaves its user's pending count; finished jobs past the user's retention go.
  const finished = (job: Job<ImageJobData> | undefined, outcome: 'completed' | 'failed') => {
    const userId = job?.data?.userId;
    if (!job?.id || typeof userId !== 'string') return;
    void deps.userJobs
      .finished(userId, job.id, outcome)
      .then((evicted) => Promise.all(evicted.map((id) => deps.queue.remove(id).catch(() => 0))))
      .catch((error: unknown) => logger.warn({ err: error, userId }, 'job accounting failed'));
  };
  worker.on('completed', (job) => {
    monitoring.increment('jobs_total', { outcome: 'completed' });
    finished(job, 'completed');
    release('job.completed', job);
  });
  worker.on('failed', (job, error) => {
    const final =
      !job || error instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
    monitoring.increment('jobs_total', { outcome: final ? 'failed' : 'retried' });
    if (final) {
      finished(job, 'failed');
      release('job.failed', job);
    }
  });
  worker.on('stalled', (jobId) => {
    monitoring.increment('jobs_stalled_total');
    logger.warn({ jobId }, 'job stalled; it will be picked up again');
  });
  worker.on('error', (error) => logger.error({ err: error }, 'worker error'));
  return worker;
}
