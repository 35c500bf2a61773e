import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { StorageFactory } from '@monorepo/storage';
import type { StorageAdapter } from '@monorepo/storage';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack } from './stack.js';
import type { Stack } from './stack.js';

// One misbehaving client must not hurt another team: every limit here holds across two API processes and two
// worker processes sharing one Redis, behind one nginx.
const MB = 1024 * 1024;
const key = (user: string) => `abuse-key-${user}-${'0123456789abcdef'.repeat(2)}`;
const USERS = ['abort', 'quota', 'rate', 'other', 'slots', 'jobs', 'drift', 'a', 'b'];
const figures: Record<string, number | string> = {};

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Every temporary file of an interrupted write under a local storage root. */
async function tempFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile() && e.name.startsWith('.~tmp')).map((e) => e.name);
}

function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
  return Number(line?.[1] ?? 0) / 1024;
}

/**
 * Starts an upload of `total` bytes, sends `sent` of them, then kills the connection the way a crashed client
 * or a dropped mobile link does.
 */
async function abortedUpload(
  gatewayUrl: string,
  user: string,
  kind: 'raw' | 'multipart',
  total: number,
  sent: number,
): Promise<void> {
  const boundary = `----abuse${randomBytes(8).toString('hex')}`;
  const head =
    kind === 'multipart'
      ? Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n` +
            'Content-Type: application/octet-stream\r\n\r\n',
        )
      : Buffer.alloc(0);
  const req = http.request(`${gatewayUrl}/v1/files?name=big.bin`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${key(user)}`,
      'content-type':
        kind === 'multipart'
          ? `multipart/form-data; boundary=${boundary}`
          : 'application/octet-stream',
      'content-length': String(
        head.length + total + (kind === 'multipart' ? boundary.length + 8 : 0),
      ),
    },
  });
  req.on('error', () => {});
  req.write(head);
  const chunk = randomBytes(256 * 1024);
  for (let written = 0; written < sent; written += chunk.length) {
    if (!req.write(chunk)) await new Promise((resolve) => req.once('drain', resolve));
  }
  await sleep(300); // let the bytes reach storage
  req.destroy();
}

async function upload(
  stack: Stack,
  user: string,
  body: Buffer,
  options: { multipart?: boolean; name?: string } = {},
): Promise<Response> {
  const name = options.name ?? 'file.bin';
  if (options.multipart) {
    const form = new FormData();
    form.append('file', new Blob([body]), name);
    return fetch(`${stack.gatewayUrl}/v1/files`, {
      method: 'POST',
      body: form,
      headers: { authorization: `Bearer ${key(user)}` },
    });
  }
  return fetch(`${stack.gatewayUrl}/v1/files?name=${name}`, {
    method: 'POST',
    body,
    headers: { authorization: `Bearer ${key(user)}`, 'content-type': 'application/octet-stream' },
  });
}

const api = (stack: Stack, user: string, route: string, init: RequestInit = {}) =>
  fetch(`${stack.gatewayUrl}${route}`, {
    ...init,
    headers: {
      authorization: `Bearer ${key(user)}`,
      'content-type': 'application/json',
      ...(init.headers as Record<string, string>),
    },
  });

async function keysOf(storage: StorageAdapter, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const item of storage.listAll(prefix)) keys.push(item.key);
  return keys;
}

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
      const usageKey = 'limits:image-processing:usage:drift';
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
      // And A's burst still completes in full.
      await until(
        'A’s burst',
        async () => ((await completed()) >= 201 ? true : undefined),
        180_000,
      );
      const perJobMs = (Date.now() - started) / 201;
      figures['200-job burst of A: A jobs still pending when B came'] = 200 - aDoneBeforeB;
      figures['200-job burst of A: A jobs run while B’s waited'] = aDoneWhileBWaited;
      figures['200-job burst of A: B’s job latency (ms)'] = done - submittedB;
      figures['200-job burst of A: wall time per job, 2 workers (ms)'] = Math.round(perJobMs);
    } finally {
      await queue.close();
    }
  }, 240_000);
});

describe('aborted uploads on S3 leave no multipart upload behind', () => {
  let dataDir: string;
  let stack: Stack;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'abuse-s3-'));
    stack = await startStack({
      dataDir,
      storageType: 's3',
      apiKeys: { [key('abort')]: 'abort' },
      maxUploadBytes: 64 * MB,
      workers: 0,
      env: { LOG_LEVEL: 'warn' },
    });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('aborts the multipart upload of every killed client, raw and multipart bodies alike', async () => {
    const env = stack.storageEnv;
    const client = new S3Client({
      region: env.S3_REGION!,
      endpoint: env.S3_ENDPOINT!,
      forcePathStyle: true,
      credentials: {
        accessKeyId: env.S3_ACCESS_KEY_ID!,
        secretAccessKey: env.S3_SECRET_ACCESS_KEY!,
      },
    });
    const pending = async () =>
      (
        (await client.send(new ListMultipartUploadsCommand({ Bucket: env.S3_BUCKET! }))).Uploads ??
        []
      ).length;
    const before = openFds(stack.api.pid!);
    for (let round = 0; round < 5; round++) {
      await Promise.all(
        (['raw', 'multipart'] as const).map((kind) =>
          abortedUpload(stack.gatewayUrl, 'abort', kind, 40 * MB, 12 * MB),
        ),
      );
    }
    await until(
      'multipart uploads to be aborted',
      async () => ((await pending()) === 0 ? true : undefined),
      10_000,
    );
    expect(await pending()).toBe(0);
    expect(await keysOf(StorageFactory.fromEnv(env), 'uploads/')).toEqual([]);
    expect(openFds(stack.api.pid!)).toBeLessThanOrEqual(before + 5);
    figures['10 aborted S3 uploads (12 MB of 40 each): multipart uploads left'] = await pending();
    client.destroy();
  });
});
