import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { StorageFactory } from '@monorepo/storage';
import type { StorageAdapter } from '@monorepo/storage';
import { Redis } from 'ioredis';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack } from './stack.js';
import type { Stack } from './stack.js';
import {
  MB,
  key,
  USERS,
  sleep,
  until,
  tempFiles,
  openFds,
  rssMb,
  abortedUpload,
  upload,
  api,
  keysOf,
} from './test-abuse-helpers.js';

const figures: Record<string, number | string> = {};

describe('abuse limits on the local backend (2 API + 2 worker processes, one Redis)', () => {
  let dataDir: string;
  let stack: Stack;
  let storage: StorageAdapter;
  let hang: http.Server;
  let hangUrl: string;
  let hangRequests = 0;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'abuse-'));
    // Accepts and never answers: jobs stay active. Counts what it was asked for.
    hang = http.createServer(() => {
      hangRequests += 1;
    });
    await new Promise<void>((resolve) => hang.listen(0, '127.0.0.1', resolve));
    hangUrl = `http://localhost:${(hang.address() as AddressInfo).port}/slow.jpg`;
    stack = await startStack({
      dataDir,
      apis: 2,
      workers: 2,
      apiKeys: Object.fromEntries(USERS.map((user) => [key(user), user])),
      maxUploadBytes: 64 * MB,
      env: {
        LOG_LEVEL: 'warn',
        API_RATE_LIMIT: '30',
        API_RATE_LIMIT_WINDOW_S: '60',
        API_MAX_CONCURRENT_UPLOADS: '2',
        API_MAX_PENDING_JOBS: '3',
        API_QUOTA_OVERRIDES: 'quota=1MB/3',
        IMAGE_JOB_ATTEMPTS: '1',
        IMAGE_ALLOWED_HOSTS: 'localhost',
        WORKER_JANITOR_INTERVAL_MS: '1000',
        WORKER_JANITOR_STALE_MS: '10000',
      },
    });
    storage = StorageFactory.fromEnv(stack.storageEnv);
  }, 120_000);
  afterAll(async () => {
    hang.closeAllConnections();
    hang.close();
    await stack?.stop();
    await rm(dataDir, { recursive: true, force: true });
    console.log(`abuse figures: ${JSON.stringify(figures)}`);
  });

  it('leaves nothing behind from 28 uploads killed mid-body (raw and multipart), and holds no descriptor', async () => {
    const root = stack.storageEnv.STORAGE_LOCAL_PATH!;
    const pids = stack.apis.map((p) => p.pid!);
    const before = pids.map(openFds);
    const rssBefore = pids.map(rssMb);
    for (let round = 0; round < 7; round++) {
      await Promise.all(
        (['raw', 'multipart'] as const).flatMap((kind) => [
          abortedUpload(stack.gatewayUrl, 'abort', kind, 30 * MB, 3 * MB),
          abortedUpload(stack.gatewayUrl, 'abort', kind, 30 * MB, 1 * MB),
        ]),
      );
    }
    // Every aborted write is cleaned up at once (not by the janitor: its threshold is 10 s).
    await until(
      'temp files to go',
      async () => ((await tempFiles(root)).length === 0 ? true : undefined),
      5_000,
    );
    expect(await keysOf(storage, 'uploads/abort/')).toEqual([]);
    const after = pids.map(openFds);
    for (let i = 0; i < pids.length; i++) expect(after[i]!).toBeLessThanOrEqual(before[i]! + 5);
    figures['28 aborted uploads: temp files left'] = (await tempFiles(root)).length;
    figures['28 aborted uploads: API fds before/after'] =
      `${before.join('+')} / ${after.join('+')}`;
    figures['28 aborted uploads: API RSS growth (MB)'] = Math.max(
      ...pids.map((pid, i) => Math.round(rssMb(pid) - rssBefore[i]!)),
    );
    // The user's upload slots and quota were all given back: a normal upload works at once.
    expect((await upload(stack, 'abort', Buffer.from('after'))).status).toBe(201);
  });

  it('enforces the storage quota before storing (declared length) and mid-stream (multipart), leaving nothing', async () => {
    const root = stack.storageEnv.STORAGE_LOCAL_PATH!;
    const first = await upload(stack, 'quota', randomBytes(600 * 1024));
    expect(first.status).toBe(201);
    const { key: firstKey } = (await first.json()) as { key: string };
    const declared = await upload(stack, 'quota', randomBytes(600 * 1024));
    expect(declared.status).toBe(413);
    expect(await declared.json()).toMatchObject({ error: { code: 'E_QUOTA_EXCEEDED' } });
    const streamed = await upload(stack, 'quota', randomBytes(600 * 1024), { multipart: true });
    expect(streamed.status).toBe(413);
    expect(await streamed.json()).toMatchObject({ error: { code: 'E_QUOTA_EXCEEDED' } });
    expect(await keysOf(storage, 'uploads/quota/')).toEqual([firstKey]);
    expect(await tempFiles(root)).toEqual([]);
    // Deleting frees the space; the object count is a limit of its own (3).
    const encoded = firstKey.split('/').map(encodeURIComponent).join('/');
    expect((await api(stack, 'quota', `/v1/files/${encoded}`, { method: 'DELETE' })).status).toBe(
      204,
    );
    expect((await upload(stack, 'quota', randomBytes(600 * 1024))).status).toBe(201);
    expect((await upload(stack, 'quota', Buffer.from('2'))).status).toBe(201);
    expect((await upload(stack, 'quota', Buffer.from('3'))).status).toBe(201);
    const fourth = await upload(stack, 'quota', Buffer.from('4'));
    expect(fourth.status).toBe(413);
    expect((await keysOf(storage, 'uploads/quota/')).length).toBe(3);
  });

  it('rate-limits each key across both API processes, with Retry-After and RateLimit headers', async () => {
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 31; i++) {
      last = await api(stack, 'rate', '/v1/files');
      statuses.push(last.status);
      if (i === 0) expect(last.headers.get('ratelimit-limit')).toBe('30');
    }
    expect(statuses.slice(0, 30).every((s) => s === 200)).toBe(true);
    expect(statuses[30]).toBe(429);
    expect(await last!.json()).toMatchObject({ error: { code: 'E_RATE_LIMITED' } });
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(last!.headers.get('ratelimit-remaining')).toBe('0');
    // Both API processes served this key, so the budget is shared, not per process.
    for (const url of stack.apiUrls) {
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toMatch(
        /api_http_requests_total\{[^}]*route="\/v1\/files\/?"[^}]*status="200"[^}]*\} \d+/,
      );
    }
    expect((await api(stack, 'other', '/v1/files')).status).toBe(200); // another team is unaffected
    figures['rate limit: requests before 429 (limit 30/min, 2 API processes)'] = 30;
  });

  it('caps concurrent uploads per key and frees the slot when an upload ends', async () => {
    const slow = (['raw', 'raw'] as const).map(() => {
      const req = http.request(`${stack.gatewayUrl}/v1/files?name=slow.bin`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${key('slots')}`,
          'content-type': 'application/octet-stream',
          'content-length': String(2 * MB),
        },
      });
      req.on('error', () => {});
      req.write(randomBytes(64 * 1024));
      return req;
    });
    await sleep(500);
    const third = await upload(stack, 'slots', Buffer.from('third'));
    expect(third.status).toBe(429);
    expect(await third.json()).toMatchObject({ error: { code: 'E_TOO_MANY_UPLOADS' } });
    expect(third.headers.get('retry-after')).toBe('1');
    for (const req of slow) req.destroy();
    await until('a slot to free up', async () =>
      (await upload(stack, 'slots', Buffer.from('after'))).status === 201 ? true : undefined,
    );
  });

  it('caps pending jobs per key, fails hung sources with a generic message, and frees the cap', async () => {
    const photo = await upload(
      stack,
      'jobs',
      await sharp({ create: { width: 64, height: 48, channels: 3, background: '#c33' } })
        .jpeg()
        .toBuffer(),
      { name: 'p.jpg' },
    );
    expect(photo.status).toBe(201);
    const submit = () =>
      api(stack, 'jobs', '/v1/images', {
        method: 'POST',
        body: JSON.stringify({ tool: 'dall-e', sourceUrl: hangUrl }),
      });
    const ids: string[] = [];
    const requestedBefore = hangRequests;
    for (let i = 0; i < 3; i++) {
      const res = await submit();
      expect(res.status).toBe(202);
      ids.push(((await res.json()) as { jobId: string }).jobId);
    }
    const fourth = await submit();
    expect(fourth.status).toBe(429);
    expect(await fourth.json()).toMatchObject({ error: { code: 'E_TOO_MANY_JOBS' } });
    // Every job is active and waiting on the source (on a busy machine a worker may take a moment to start one).
    await until('every job to ask the source', async () =>
      hangRequests - requestedBefore >= 3 ? true : undefined,
    );
    hang.closeAllConnections(); // the source dies: the jobs fail (one attempt each)
    const failed = await until(
      'the jobs to fail',
      async () => {
        const states = await Promise.all(
          ids.map(
            async (id) =>
              (await (await api(stack, 'jobs', `/v1/images/${id}`)).json()) as {
                status: string;
                error?: object;
              },
          ),
        );
        return states.every((s) => s.status === 'failed') ? states : undefined;
      },
      60_000,
    );
    for (const state of failed) {
      expect(state.error).toEqual({
        code: 'E_SOURCE_FETCH',
        message: 'The source could not be fetched',
      });
    }
    await until('the cap to free up', async () =>
      (await submit()).status === 202 ? true : undefined,
    );
    hang.closeAllConnections();
  }, 120_000);

  it('refuses list pages larger than the cap, so one call never turns into a thousand backend requests', async () => {
    const res = await api(stack, 'other', '/v1/files?limit=1000');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: { code: 'E_VALIDATION', message: expect.stringContaining('1 to 100') },
    });
    expect((await api(stack, 'other', '/v1/files?limit=100')).status).toBe(200);
  });

  it('runs the janitor: stale leftovers removed, usage reconciled, counted in metrics', async () => {
    const root = stack.storageEnv.STORAGE_LOCAL_PATH!;
    // What a killed process leaves: a temp file from an hour ago, and a usage count that drifted.
    // Under processed/ (which the janitor's usage listing of uploads/ never walks): only its sweep removes it.
    const stale = path.join(
      root,
      'processed',
      'drift',
      `.~tmp\\${randomBytes(12).toString('hex')}`,
    );
    await mkdir(path.dirname(stale), { recursive: true });
    await writeFile(stale, 'partial');
    const hourAgo = new Date(Date.now() - 3600_000);
    await utimes(stale, hourAgo, hourAgo);
    expect((await upload(stack, 'drift', Buffer.alloc(1000, 1))).status).toBe(201);
    const redis = new Redis(stack.redisUrl);
    try {
      const usageKey = 'limits:image-processing:{drift}:usage';
      await redis.hset(usageKey, 'bytes', 999_999_999, 'objects', 77);
      const fixed = await until('the janitor', async () => {
        const usage = await redis.hgetall(usageKey);
        const gone = (await tempFiles(root)).length === 0;
        return gone && usage.bytes === '1000' && usage.objects === '1' ? usage : undefined;
      });
      expect(fixed).toMatchObject({ bytes: '1000', objects: '1' });
    } finally {
      redis.disconnect();
    }
    const metrics = (
      await Promise.all(stack.workerUrls.map(async (url) => (await fetch(`${url}/metrics`)).text()))
    ).join('\n');
    const removed = [
      ...metrics.matchAll(/worker_janitor_removed_total\{kind="incomplete"\} (\d+)/g),
    ];
    expect(removed.reduce((sum, m) => sum + Number(m[1]), 0)).toBeGreaterThanOrEqual(1);
    expect(metrics).toMatch(/worker_janitor_runs_total \d+/);
  });
});
