import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ImageProcessor } from '@monorepo/image-processor';
import { IMAGE_JOB_NAME, imageJobOptions, parseFailure } from '@monorepo/image-queue';
import type { ImageJobData } from '@monorepo/image-queue';
import { PrometheusMonitoring, createLogger } from '@monorepo/observability';
import { LocalStorageAdapter } from '@monorepo/storage';
import { UserJobs } from '@monorepo/tenant-limits';
import { startRedis } from '@monorepo/dev-servers';
import type { RedisTestServer } from '@monorepo/dev-servers';
import { Queue, QueueEvents, UnrecoverableError } from 'bullmq';
import { Redis } from 'ioredis';
import type { Worker } from 'bullmq';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHealthApp, listen } from './health-server.js';
import { createImageWorker, runImageJob } from './image-worker.js';
import { loadWorkerConfig } from './worker-config.js';

let redis: RedisTestServer;
let root: string;
let storage: LocalStorageAdapter;
let queue: Queue<ImageJobData>;
let events: QueueEvents;
let worker: Worker;
let monitoring: PrometheusMonitoring;
let queueName: string;
let jpeg: Buffer;
let userJobs: UserJobs;
let limitsRedis: Redis;

beforeAll(async () => {
  redis = await startRedis();
  jpeg = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#36c' } })
    .jpeg()
    .toBuffer();
});
afterAll(async () => {
  await redis.dispose();
});

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'worker-'));
  storage = new LocalStorageAdapter({
    type: 'local',
    baseUrl: 'http://cdn/static',
    localBasePath: root,
  });
  monitoring = new PrometheusMonitoring({ prefix: 'worker_', defaultMetrics: false });
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const data = (extra: Partial<ImageJobData>): ImageJobData => ({
  id: `img_${Math.random().toString(36).slice(2)}`,
  userId: 'user-1',
  tool: 'dall-e',
  submittedAt: new Date().toISOString(),
  ...extra,
});

describe('image worker on a real Redis', () => {
  beforeEach(async () => {
    queueName = `images-${Math.random().toString(36).slice(2)}`;
    const connection = { url: redis.url, maxRetriesPerRequest: null };
    queue = new Queue(queueName, { connection });
    limitsRedis = new Redis(redis.url);
    userJobs = new UserJobs(limitsRedis, { prefix: queueName, keepFinished: 3 });
    events = new QueueEvents(queueName, { connection });
    await events.waitUntilReady();
    worker = createImageWorker({
      connection,
      queueName,
      concurrency: 2,
      lockDurationMs: 30_000,
      stalledIntervalMs: 30_000,
      processor: new ImageProcessor(storage, monitoring, {
        allowPrivateNetworks: true,
        allowedHosts: ['127.0.0.1'],
      }),
      monitoring,
      logger: createLogger('worker-test', { level: 'silent' }),
      userJobs,
      queue,
      jobTimeoutMs: 60_000,
    });
    worker.run().catch(() => {});
    await worker.waitUntilReady();
  });
  afterEach(async () => {
    await worker.close();
    await events.close();
    await queue.obliterate({ force: true });
    await queue.close();
    limitsRedis.disconnect();
  });

  it('processes a job and returns the ProcessResult', async () => {
    await storage.upload('uploads/user-1/a/photo.jpg', jpeg, 'image/jpeg');
    const job = await queue.add(
      IMAGE_JOB_NAME,
      data({ sourceKey: 'uploads/user-1/a/photo.jpg' }),
      imageJobOptions(),
    );
    const result = await job.waitUntilFinished(events, 30_000);
    expect(result.variants.map((v: { name: string }) => v.name)).toEqual([
      'normal',
      'high-quality',
    ]);
    expect(await storage.exists(result.variants[0].key)).toBe(true);
    expect((await queue.getJob(job.id!))?.progress).toBe(100);
    expect(await monitoring.metrics()).toContain('worker_jobs_total{outcome="completed"} 1');
  });

  it('fails a permanent image error at once, without retries, keeping the code', async () => {
    await storage.upload('uploads/user-1/a/fake.jpg', 'not an image', 'image/jpeg');
    const job = await queue.add(
      IMAGE_JOB_NAME,
      data({ sourceKey: 'uploads/user-1/a/fake.jpg' }),
      imageJobOptions(3),
    );
    await expect(job.waitUntilFinished(events, 30_000)).rejects.toThrow();
    const failed = (await queue.getJob(job.id!))!;
    expect(await failed.getState()).toBe('failed');
    expect(failed.attemptsMade).toBe(1);
    expect(parseFailure(failed.failedReason).code).toBe('E_UNSUPPORTED_FORMAT');
  });

  it('retries transient failures with backoff, then fails', async () => {
    let hits = 0;
    const server = http.createServer((_req, res) => {
      hits += 1;
      res.writeHead(503).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/img.jpg`;
      const job = await queue.add(IMAGE_JOB_NAME, data({ sourceUrl: url }), {
        ...imageJobOptions(3),
        backoff: { type: 'exponential', delay: 50 },
      });
      await expect(job.waitUntilFinished(events, 30_000)).rejects.toThrow(/E_SOURCE_FETCH/);
      const failed = (await queue.getJob(job.id!))!;
      expect(failed.attemptsMade).toBe(3);
      expect(hits).toBe(3);
      expect(await monitoring.metrics()).toContain('worker_jobs_total{outcome="retried"} 2');
    } finally {
      server.close();
    }
  });

  it('fails a 4xx source at once: a refused fetch is not retried', async () => {
    let hits = 0;
    const server = http.createServer((_req, res) => {
      hits += 1;
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/gone.jpg`;
      const job = await queue.add(IMAGE_JOB_NAME, data({ sourceUrl: url }), imageJobOptions(3));
      await expect(job.waitUntilFinished(events, 30_000)).rejects.toThrow(/E_SOURCE_REFUSED/);
      expect((await queue.getJob(job.id!))!.attemptsMade).toBe(1);
      expect(hits).toBe(1);
    } finally {
      server.close();
    }
  });

  it("refuses a job written straight into Redis that names another user's upload", async () => {
    await storage.upload('uploads/user-2/x/theirs.jpg', jpeg, 'image/jpeg');
    const job = await queue.add(
      IMAGE_JOB_NAME,
      data({ userId: 'user-1', sourceKey: 'uploads/user-2/x/theirs.jpg' }),
      imageJobOptions(3),
    );
    await expect(job.waitUntilFinished(events, 30_000)).rejects.toThrow(/E_FORBIDDEN_SOURCE/);
    expect((await queue.getJob(job.id!))!.attemptsMade).toBe(1);
    expect(await storage.list('processed/')).toEqual({ items: [] });
  });

  it('gives up for good once the job budget across attempts is spent', async () => {
    await storage.upload('uploads/user-1/a/photo.jpg', jpeg, 'image/jpeg');
    const job = await queue.add(
      IMAGE_JOB_NAME,
      data({
        sourceKey: 'uploads/user-1/a/photo.jpg',
        submittedAt: new Date(Date.now() - 61_000).toISOString(),
      }),
      imageJobOptions(3),
    );
    await expect(job.waitUntilFinished(events, 30_000)).rejects.toThrow(/E_TIMEOUT/);
    expect((await queue.getJob(job.id!))!.attemptsMade).toBe(1);
  });

  it("keeps each user's finished jobs apart: one user's volume never evicts another's", async () => {
    const fail = (userId: string) =>
      queue.add(
        IMAGE_JOB_NAME,
        data({ userId, sourceKey: 'uploads/someone-else/x.jpg' }),
        imageJobOptions(1),
      );
    const theirs = await fail('user-b');
    await expect(theirs.waitUntilFinished(events, 30_000)).rejects.toThrow();
    const mine = [];
    for (let i = 0; i < 6; i++) mine.push(await fail('user-a'));
    for (const job of mine) await expect(job.waitUntilFinished(events, 30_000)).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 300)); // accounting runs after the event
    const kept = await Promise.all(mine.map(async (job) => Boolean(await queue.getJob(job.id!))));
    expect(kept.filter(Boolean)).toHaveLength(3); // user-a's retention
    expect(kept.slice(-3)).toEqual([true, true, true]); // the newest
    expect(await queue.getJob(theirs.id!)).toBeDefined(); // user-b's result survives
    expect(await userJobs.pending('user-a')).toBe(0);
  });

  it('rejects malformed job data as unrecoverable', async () => {
    const job = await queue.add(
      IMAGE_JOB_NAME,
      { id: 'x', userId: 'u', tool: 'nope' } as never,
      imageJobOptions(3),
    );
    await expect(job.waitUntilFinished(events, 30_000)).rejects.toThrow(/E_INVALID_JOB/);
    expect((await queue.getJob(job.id!))!.attemptsMade).toBe(1);
  });
});

describe('runImageJob', () => {
  it('maps permanent errors to UnrecoverableError', async () => {
    const processor = new ImageProcessor(storage);
    const job = {
      id: '1',
      attemptsMade: 0,
      updateProgress: async () => {},
      data: data({ sourceKey: 'uploads/none.jpg' }),
    };
    await expect(runImageJob(job, processor)).rejects.toBeInstanceOf(UnrecoverableError);
  });
});

describe('worker health endpoints', () => {
  it('listen on loopback unless the deployment opens them (compose sets WORKER_HTTP_HOST=0.0.0.0)', async () => {
    const config = loadWorkerConfig({
      REDIS_URL: 'redis://127.0.0.1:6379',
      STORAGE_TYPE: 'local',
      STORAGE_BASE_URL: 'http://cdn/static',
      STORAGE_LOCAL_PATH: root,
    });
    expect(config.WORKER_HTTP_HOST).toBe('127.0.0.1');
    const { server } = await listen(createHealthApp({}, monitoring), 0, config.WORKER_HTTP_HOST);
    try {
      expect((server.address() as AddressInfo).address).toBe('127.0.0.1');
    } finally {
      server.close();
    }
  });

  it('reports ready when Redis and storage answer, 503 when one does not', async () => {
    const app = createHealthApp(
      { redis: async () => 'PONG', storage: () => storage.exists('probe') },
      monitoring,
    );
    expect((await app.request('/healthz')).status).toBe(200);
    const ready = await app.request('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { redis: 'ok', storage: 'ok' } });
    const logged: string[] = [];
    const down = createHealthApp(
      {
        redis: () =>
          Promise.reject(
            Object.assign(new Error('connect ECONNREFUSED 10.20.30.40:6379'), {
              code: 'ECONNREFUSED',
            }),
          ),
        storage: () => Promise.reject(new Error('/var/www/storage/uploads is gone')),
      },
      monitoring,
      undefined,
      (check, error) => logged.push(`${check}: ${(error as Error).message}`),
    );
    const notReady = await down.request('/readyz');
    expect(notReady.status).toBe(503);
    const text = await notReady.text();
    expect(JSON.parse(text)).toEqual({
      status: 'unavailable',
      checks: { redis: 'unavailable (ECONNREFUSED)', storage: 'unavailable' },
    });
    expect(text).not.toMatch(/10\.20|6379|var\/www/); // internal detail only in the logs
    expect(logged.sort()).toEqual([
      'redis: connect ECONNREFUSED 10.20.30.40:6379',
      'storage: /var/www/storage/uploads is gone',
    ]);
    const metrics = await app.request('/metrics');
    expect(metrics.headers.get('content-type')).toContain('text/plain');
  });
});
