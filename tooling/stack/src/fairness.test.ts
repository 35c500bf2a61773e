import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack } from './stack.js';
import type { Stack } from './stack.js';
import { key, until, upload, api } from './test-abuse-helpers.js';

const figures: Record<string, number | string> = {};

describe('fair scheduling: one user’s burst does not delay another user’s job', () => {
  let dataDir: string;
  let stack: Stack;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'fair-'));
    stack = await startStack({
      dataDir,
      apis: 2,
      workers: 2,
      apiKeys: { [key('a')]: 'a', [key('b')]: 'b' },
      env: { LOG_LEVEL: 'warn', API_RATE_LIMIT: '100000', WORKER_CONCURRENCY: '1' },
    });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    await rm(dataDir, { recursive: true, force: true });
    console.log(`fairness figures: ${JSON.stringify(figures)}`);
  });

  it('user A submits 200 jobs, then user B one: B waits for a few of A’s jobs, not for A’s backlog', async () => {
    // Big enough to take real time per job, so A's backlog stands while B's job waits.
    const image = await sharp({
      create: {
        width: 800,
        height: 600,
        channels: 3,
        background: '#777',
        noise: { type: 'gaussian', mean: 128, sigma: 30 },
      },
    })
      .jpeg()
      .toBuffer();
    const sources: Record<string, string> = {};
    for (const user of ['a', 'b']) {
      const res = await upload(stack, user, image, { name: 'src.jpg' });
      sources[user] = ((await res.json()) as { key: string }).key;
    }
    const submit = async (user: string) => {
      const res = await api(stack, user, '/v1/images', {
        method: 'POST',
        body: JSON.stringify({ tool: 'dall-e', sourceKey: sources[user] }),
      });
      expect(res.status).toBe(202);
      return ((await res.json()) as { jobId: string }).jobId;
    };
    const queue = new Queue('image-processing', { connection: { url: stack.redisUrl } });
    const completed = async () => (await queue.getJobCounts('completed')).completed ?? 0;
    try {
      const started = Date.now();
      for (let i = 0; i < 200; i += 20)
        await Promise.all(Array.from({ length: 20 }, () => submit('a')));
      const aDoneBeforeB = await completed();
      const submittedB = Date.now();
      const mine = await submit('b');
      const done = await until(
        'B’s job',
        async () => {
          const status = (await (await api(stack, 'b', `/v1/images/${mine}`)).json()) as {
            status: string;
          };
          return status.status === 'completed' ? Date.now() : undefined;
        },
        120_000,
      );
      // A's jobs that ran while B's waited: those already running and the few at the front of A's backlog.
      const aDoneWhileBWaited = (await completed()) - 1 - aDoneBeforeB;
      expect(aDoneBeforeB).toBeLessThan(150); // A's backlog really stood when B came
      expect(aDoneWhileBWaited).toBeLessThanOrEqual(10);
      // And none of A's burst was dropped or failed to make room for B: every job is done, running or waiting its
      // turn (the rest of the backlog is the workers' ordinary work, which the load tests see through).
      const counts = await queue.getJobCounts(
        'completed',
        'active',
        'waiting',
        'prioritized',
        'delayed',
        'failed',
      );
      expect(counts.failed).toBe(0);
      expect(
        counts.completed! +
          counts.active! +
          counts.waiting! +
          counts.prioritized! +
          counts.delayed!,
      ).toBe(201);
      const perJobMs = (done - started) / (aDoneBeforeB + aDoneWhileBWaited + 1);
      figures['200-job burst of A: A jobs still pending when B came'] = 200 - aDoneBeforeB;
      figures['200-job burst of A: A jobs run while B’s waited'] = aDoneWhileBWaited;
      figures['200-job burst of A: B’s job latency (ms)'] = done - submittedB;
      figures['200-job burst of A: wall time per job until B’s finished, 2 workers (ms)'] =
        Math.round(perJobMs);
    } finally {
      await queue.close();
    }
  }, 240_000);
});
