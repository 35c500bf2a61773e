import { createHash, randomUUID } from 'node:crypto';
import {
  Controller,
  Get,
  HttpCode,
  Inject,
  Param,
  Patch,
  Post,
  Req,
  UseGuards,
} from '@nestjs/common';
import {
  ImageProcessingError,
  checkSourceUrl,
  imageJobRequestSchema,
  resolvePresetSet,
  srcsets,
} from '@monorepo/image-processor/contract';
import type { ProcessResult } from '@monorepo/image-processor/contract';
import {
  IMAGE_JOB_NAME,
  imageJobOptions,
  publicFailure,
  toImageJobStatus,
} from '@monorepo/image-queue';
import type { ImageJobData } from '@monorepo/image-queue';
import { currentTraceparent, withSpan } from '@monorepo/observability';
import type { StorageAdapter, StorageErrorCode } from '@monorepo/storage';
import { SpanKind } from '@opentelemetry/api';
import type { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ApiConfig } from '../api-config.js';
import { ApiKeyGuard } from '../auth/api-key.guard.js';
import { RateLimitGuard } from '../limits/rate-limit.guard.js';
import type { AuthedRequest } from '../auth/api-key.guard.js';
import { defaultVisibility, isStorageError, uploadPrefix } from '@monorepo/storage';
import { ApiError, notFound } from '../http/api-error.js';
import { readJsonBodyAs } from '../http/json-body.js';
import type { ApiLimits } from '../limits/api-limits.js';
import type { CdnUrls } from '../cdn/cdn-urls.js';
import { readVisibilityBody } from '../files/ownership.js';
import { CDN_URLS, CONFIG, JOB_WAITERS, LIMITS, QUEUE, STORAGE } from '../tokens.js';
import type { JobWaiters } from './job-waiters.js';

const JOB_ID = /^img_[0-9a-f]{32,40}$/;
const FINISHED = new Set(['completed', 'failed']);
/** A sourceKey's stat failing so: missing, a key that cannot be an upload, a link: not one of the caller's. */
const NOT_AN_UPLOAD: StorageErrorCode[] = ['ENOENT', 'EINVAL', 'EACCES'];
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
/** How many of a user's latest jobs `GET /v1/images` remembers, and for how long after the last submit. */
const RECENT_JOBS = 100;
const RECENT_JOBS_TTL_S = 7 * 24 * 3600;
const REMEMBER_JOB = `
redis.call('LREM', KEYS[1], 0, ARGV[1])
redis.call('LPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[2]) - 1)
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1`;

@Controller('v1/images')
@UseGuards(ApiKeyGuard, RateLimitGuard)
export class ImagesController {
  constructor(
    @Inject(QUEUE) private readonly queue: Queue<ImageJobData>,
    @Inject(STORAGE) private readonly storage: StorageAdapter,
    @Inject(CONFIG) private readonly config: ApiConfig,
    @Inject(LIMITS) private readonly limits: ApiLimits,
    @Inject(CDN_URLS) private readonly urls: CdnUrls,
    @Inject(JOB_WAITERS) private readonly waiters: JobWaiters,
  ) {}

  /** Queues an image job. With `Idempotency-Key`, a repeat returns the same job; a different body under the same key is 409. */
  @Post()
  @HttpCode(202)
  async submit(@Req() req: AuthedRequest): Promise<{ jobId: string; status: 'queued' }> {
    const body = await readJsonBodyAs(req, imageJobRequestSchema);
    if (body.sourceUrl !== undefined) {
      try {
        checkSourceUrl(body.sourceUrl, {
          allowPrivateNetworks: this.config.IMAGE_ALLOW_PRIVATE_NETWORKS,
          allowedHosts: this.config.IMAGE_ALLOWED_HOSTS,
          allowedPorts: this.config.IMAGE_ALLOWED_PORTS,
        });
      } catch (error) {
        if (error instanceof ImageProcessingError) throw new ApiError(error.code, error.message);
        throw error;
      }
    }
    if (body.presets !== undefined) {
      try {
        resolvePresetSet(this.config.IMAGE_PRESETS, body);
      } catch (error) {
        if (error instanceof ImageProcessingError)
          throw new ApiError('E_VALIDATION', error.message);
        throw error;
      }
    }
    if (body.sourceKey !== undefined) {
      const source = body.sourceKey.startsWith(uploadPrefix(req.userId))
        ? await this.storage.stat(body.sourceKey).catch((error: unknown) => {
            // The store unreachable stays a 503.
            if (NOT_AN_UPLOAD.some((code) => isStorageError(error, code))) return undefined;
            throw error;
          })
        : undefined;
      if (!source) throw notFound('sourceKey is not one of your uploads');
      // Known now, so refused now rather than as a failed job.
      if (source.size === 0)
        throw new ApiError('E_UNSUPPORTED_FORMAT', 'sourceKey is an empty file');
    }
    const requestHash = createHash('sha256')
      .update(
        JSON.stringify([
          body.tool,
          body.sourceUrl ?? null,
          body.sourceKey ?? null,
          body.visibility ?? null,
          body.model ?? null,
          body.presets ?? null,
        ]),
      )
      .digest('hex');
    const idempotencyKey = req.headers['idempotency-key'];
    let jobId: string;
    if (idempotencyKey !== undefined) {
      if (typeof idempotencyKey !== 'string' || !IDEMPOTENCY_KEY.test(idempotencyKey)) {
        throw new ApiError('E_VALIDATION', 'Idempotency-Key must be 1-255 printable characters');
      }
      jobId = `img_${createHash('sha256').update(`${req.userId}\0${idempotencyKey}`).digest('hex').slice(0, 40)}`;
    } else {
      jobId = `img_${randomUUID().replaceAll('-', '')}`;
    }
    const data: ImageJobData = {
      id: jobId,
      userId: req.userId,
      tool: body.tool,
      visibility: body.visibility ?? this.config.IMAGE_DEFAULT_VISIBILITY,
      ...(body.model !== undefined ? { model: body.model } : {}),
      ...(body.presets !== undefined ? { presets: body.presets } : {}),
      ...(body.sourceUrl !== undefined
        ? { sourceUrl: body.sourceUrl }
        : { sourceKey: body.sourceKey! }),
      requestHash,
      submittedAt: new Date().toISOString(),
    };
    const conflict = () =>
      new ApiError(
        'E_IDEMPOTENCY_CONFLICT',
        'This Idempotency-Key was already used for a different request',
      );
    if (idempotencyKey !== undefined) {
      const existing = await this.queue.getJob(jobId);
      if (existing) {
        if (existing.data?.requestHash !== requestHash) throw conflict();
        return { jobId, status: 'queued' };
      }
    }
    // One user's backlog is capped, and ranks each new job among that user's pending ones: a user with one
    // job is served right after the front of every other user's backlog, however long those are.
    const priority = await this.limits.jobs.admit(req.userId, jobId);
    if (priority === undefined)
      throw new ApiError(
        'E_TOO_MANY_JOBS',
        `At most ${this.limits.jobs.maxPending} jobs may be queued or running per key; wait for some to finish`,
        { 'retry-after': '5' },
      );
    // BullMQ ignores an add whose jobId exists, so concurrent repeats collapse into one job.
    try {
      // A producer span; the job carries its trace context, so the worker's spans join this request's trace.
      await withSpan(
        `bullmq.add ${this.queue.name}`,
        { kind: SpanKind.PRODUCER, attributes: { 'messaging.destination.name': this.queue.name } },
        async () => {
          const traceparent = currentTraceparent();
          await this.queue.add(IMAGE_JOB_NAME, traceparent ? { ...data, traceparent } : data, {
            ...imageJobOptions(this.config.IMAGE_JOB_ATTEMPTS, priority),
            jobId,
          });
        },
      );
    } catch (error) {
      await this.limits.jobs.withdraw(req.userId, jobId).catch(() => {});
      throw error;
    }
    if (
      idempotencyKey !== undefined &&
      (await this.queue.getJob(jobId))?.data?.requestHash !== requestHash
    )
      throw conflict();
    await this.#remember(req.userId, jobId);
    return { jobId, status: 'queued' };
  }

  /** The caller's latest jobs, newest first (`?limit=1..100`, default 20), each as `GET /v1/images/{id}` shows it. */
  @Get()
  async recent(@Req() req: AuthedRequest): Promise<unknown> {
    const raw = req.query.limit;
    const limit = raw === undefined ? 20 : Number(raw);
    if (!Number.isInteger(limit) || limit < 1 || limit > RECENT_JOBS)
      throw new ApiError('E_VALIDATION', `limit must be an integer from 1 to ${RECENT_JOBS}`);
    const redis = await this.queue.client;
    const ids = await redis.lrange(this.#recentKey(req.userId), 0, limit - 1);
    const items = await Promise.all(
      ids.map(async (jobId) => {
        const state = await this.queue.getJobState(jobId);
        const job = (await this.queue.getJob(jobId)) as
          Job<ImageJobData, ProcessResult> | undefined;
        // Jobs the queue has since removed are left out.
        if (!job || job.data?.userId !== req.userId) return undefined;
        return this.#describe(job, state);
      }),
    );
    return { items: items.filter((item) => item !== undefined) };
  }

  /**
   * The job's status. With `?wait=N` (1-30 s) the answer is held until the job completes or fails, or N seconds
   * pass, so a client needs one request where it would otherwise poll.
   */
  @Get(':jobId')
  async status(@Req() req: AuthedRequest, @Param('jobId') jobId: string): Promise<unknown> {
    const wait = req.query.wait;
    if (wait !== undefined && (typeof wait !== 'string' || !/^([1-9]|[12]\d|30)$/.test(wait)))
      throw new ApiError('E_VALIDATION', 'wait must be a whole number of seconds from 1 to 30');
    let { job, state } = await this.#ownJob(req, jobId);
    if (wait !== undefined && !FINISHED.has(state)) {
      const gone = new AbortController();
      req.once('close', () => gone.abort());
      // Woken by the queue's events; only the state is read on each wake-up, the job once at the end.
      await this.waiters.wait(
        jobId,
        req.userId,
        Number(wait) * 1000,
        async () => FINISHED.has(await this.queue.getJobState(jobId)),
        gone.signal,
      );
      ({ job, state } = await this.#ownJob(req, jobId));
    }
    return this.#describe(job, state);
  }

  /** A job as the API shows it: status, progress, what it was asked, and its result or failure. */
  async #describe(job: Job<ImageJobData, ProcessResult>, state: string): Promise<unknown> {
    const status = toImageJobStatus(state);
    return {
      jobId: job.id,
      status,
      progress: typeof job.progress === 'number' ? job.progress : 0,
      tool: job.data.tool,
      submittedAt: job.data.submittedAt,
      ...(job.data.sourceKey !== undefined ? { sourceKey: job.data.sourceKey } : {}),
      ...(status === 'completed' ? { result: await this.#withUrls(job) } : {}),
      ...(status === 'failed' ? { error: publicFailure(job.failedReason) } : {}),
    };
  }

  #recentKey(userId: string): string {
    return this.queue.toKey(`recent-jobs:${userId}`);
  }

  /** Puts a job first in its user's recent list, once (a repeated idempotent submit moves it up), atomically. */
  async #remember(userId: string, jobId: string): Promise<void> {
    const key = this.#recentKey(userId);
    // BullMQ's connection is an ioredis client; its own type leaves `eval` out.
    const redis = (await this.queue.client) as unknown as Redis;
    await redis.eval(REMEMBER_JOB, 1, key, jobId, RECENT_JOBS, RECENT_JOBS_TTL_S);
  }

  /** Makes every output of a job public or private, at once; later reads of the job sign its URLs if private. */
  @Patch(':jobId')
  async update(@Req() req: AuthedRequest, @Param('jobId') jobId: string): Promise<unknown> {
    const visibility = await readVisibilityBody(req);
    const { job, state } = await this.#ownJob(req, jobId);
    if (toImageJobStatus(state) !== 'completed')
      throw new ApiError('E_VALIDATION', 'Only a completed job has outputs to change');
    const result = job.returnvalue;
    const keys = [
      ...result.variants.map((v) => v.key),
      ...(result.original ? [result.original.key] : []),
    ];
    for (const key of keys) await this.storage.setVisibility(key, visibility);
    // The job's data holds the visibility in force (its result keeps what the worker wrote).
    await job.updateData({ ...job.data, visibility });
    return { jobId, status: 'completed', progress: 100, result: await this.#withUrls(job) };
  }

  async #ownJob(
    req: AuthedRequest,
    jobId: string,
  ): Promise<{ job: Job<ImageJobData, ProcessResult>; state: string }> {
    if (!JOB_ID.test(jobId)) throw notFound();
    // State first, then the job: a job that completes in between is then read with its result,
    // never as "completed" with the result of an earlier read.
    const state = await this.queue.getJobState(jobId);
    const job = (await this.queue.getJob(jobId)) as Job<ImageJobData, ProcessResult> | undefined;
    if (!job || job.data?.userId !== req.userId) throw notFound();
    return { job, state };
  }

  /**
   * A job's result as it now stands; a private job's outputs come with signed URLs, fresh on every read, and so
   * does a video that is one of the user's (private by default) uploads. A private job's negotiated URLs are
   * signed where the CDN checks signatures itself (local storage); over S3 the bucket checks a signature per
   * object, so they are left out and the per-format URLs serve instead.
   */
  async #withUrls(job: Job<ImageJobData, ProcessResult>): Promise<ProcessResult> {
    const stored = job.returnvalue;
    if (!stored) return stored;
    const result = { ...stored, visibility: job.data.visibility ?? stored.visibility ?? 'public' };
    const sign = async <T extends { key: string; url: string }>(item: T): Promise<T> => ({
      ...item,
      ...(await this.urls.signed(item.key)),
    });
    const video =
      result.video &&
      (result.visibility === 'private' || defaultVisibility(result.video.key) === 'private')
        ? await sign(result.video)
        : result.video;
    if (result.visibility !== 'private') return { ...result, ...(video ? { video } : {}) };
    const variants = await Promise.all(result.variants.map(sign));
    return {
      ...result,
      variants,
      srcset: srcsets(variants),
      negotiated: this.storage.capabilities.signedUrls
        ? []
        : await Promise.all((result.negotiated ?? []).map(sign)),
      ...(result.original ? { original: await sign(result.original) } : {}),
      ...(video ? { video } : {}),
    };
  }
}
