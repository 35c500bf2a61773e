import http from 'node:http';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { StorageApiClient } from '@monorepo/api-client';
import type { ImageJob } from '@monorepo/api-client';
import { StorageFactory } from '@monorepo/storage';
import type { StorageAdapter } from '@monorepo/storage';
import { pseudoRandomBytes, sha256 } from '@monorepo/test-utils';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack } from './stack.js';
import type { Stack } from './stack.js';

const KEY = 'reliability-key-0123456789abcdef';
const auth = { authorization: `Bearer ${KEY}` };
/** Figures reported by the tests, printed at the end (and quoted in docs/RELIABILITY.md). */
const figures: Record<string, string | number> = {};

let stack: Stack;
let dataDir: string;
let storage: StorageAdapter;
let image: Buffer;

async function peakRssMb(pid: number | undefined): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Math.round(Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

let client: StorageApiClient;

async function upload(body: Buffer | string, name: string): Promise<string> {
  return (await client.uploadFile(body, { name })).key;
}

async function submit(sourceKey: string): Promise<string> {
  return (await client.submitImageJob({ tool: 'dall-e', sourceKey })).jobId;
}

async function waitDone(jobId: string, timeoutMs = 120_000): Promise<ImageJob> {
  return client.waitForImageJob(jobId, { timeoutMs, pollMs: 100 });
}

async function keysUnder(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const item of storage.listAll(prefix)) keys.push(item.key);
  return keys;
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'reliability-'));
  stack = await startStack({
    dataDir,
    apiKeys: { [KEY]: 'user-r' },
    maxUploadBytes: 32 * 1024 * 1024,
    env: {
      LOG_LEVEL: 'warn',
      WORKER_LOCK_DURATION_MS: '4000',
      WORKER_STALLED_INTERVAL_MS: '1000',
      WORKER_SHUTDOWN_TIMEOUT_MS: '20000',
      IMAGE_ALLOWED_HOSTS: 'localhost',
      // A load test of one key: its per-key limits are raised (the abuse suite checks them).
      API_MAX_CONCURRENT_UPLOADS: '256',
      API_RATE_LIMIT: '100000',
    },
  });
  storage = StorageFactory.fromEnv(stack.storageEnv);
  client = new StorageApiClient({ baseUrl: stack.gatewayUrl, apiKey: KEY });
  image = await sharp({ create: { width: 1200, height: 900, channels: 3, background: '#47a' } })
    .jpeg()
    .toBuffer();
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await rm(dataDir, { recursive: true, force: true });
  console.log(`reliability figures: ${JSON.stringify(figures)}`);
});

describe('reliability on the real stack', () => {
  it('Redis crash and restart (AOF): API answers 503 meanwhile, every job runs exactly once', async () => {
    // Each job fetches a source URL of its own, so the source server's hits count the runs of each job (a job
    // run twice writes the same keys again, so its outputs alone could not tell).
    const hits = new Map<string, number>();
    const sources = http.createServer((req, res) => {
      hits.set(req.url!, (hits.get(req.url!) ?? 0) + 1);
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': String(image.length) });
      res.end(image);
    });
    await new Promise<void>((resolve) => sources.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://localhost:${(sources.address() as AddressInfo).port}`;
      const paths = Array.from({ length: 10 }, (_, i) => `/source-${i}.jpg`);
      const jobIds = await Promise.all(
        paths.map(
          async (source) =>
            (await client.submitImageJob({ tool: 'dall-e', sourceUrl: `${base}${source}` })).jobId,
        ),
      );
      const uploaded = await upload(image, 'redis.jpg');
      await stack.redis!.stop('SIGKILL');
      const downAt = Date.now();
      await expect(submit(uploaded)).rejects.toMatchObject({ status: 503, code: 'E_UNAVAILABLE' });
      expect((await fetch(`${stack.apiUrl}/readyz`)).status).toBe(503);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await stack.redis!.start();
      let recoveredAt = 0;
      for (const deadline = Date.now() + 30_000; Date.now() < deadline;) {
        if ((await fetch(`${stack.apiUrl}/readyz`)).status === 200) {
          recoveredAt = Date.now();
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(recoveredAt).toBeGreaterThan(0);
      figures['redis outage: API ready again after restart (ms)'] = recoveredAt - downAt - 1500;
      for (const jobId of jobIds) {
        const done = await waitDone(jobId);
        expect(done.status, jobId).toBe('completed');
        expect((await keysUnder(`processed/dall-e/user-r/${jobId}/`)).sort()).toEqual(
          done.result!.variants.map((v) => v.key).sort(),
        );
      }
      expect(Object.fromEntries(hits)).toEqual(Object.fromEntries(paths.map((p) => [p, 1])));
      expect(await submit(uploaded)).toMatch(/^img_/);
    } finally {
      sources.close();
    }
  }, 180_000);

  it('SIGTERM mid-job: the worker finishes the active job before exiting', async () => {
    // A source that takes ~2 s to arrive, so the job is surely active when SIGTERM lands.
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': String(image.length) });
      let offset = 0;
      const tick = setInterval(() => {
        const next = Math.min(image.length, offset + Math.ceil(image.length / 20));
        res.write(image.subarray(offset, next));
        offset = next;
        if (offset >= image.length) {
          clearInterval(tick);
          res.end();
        }
      }, 100);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://localhost:${(server.address() as AddressInfo).port}/slow.jpg`;
      const { jobId } = await client.submitImageJob({ tool: 'sora', sourceUrl: url });
      for (const deadline = Date.now() + 20_000; Date.now() < deadline;) {
        if ((await client.getImageJob(jobId)).status === 'active') break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const worker = stack.workers.find((w) => w.running)!;
      worker.kill('SIGTERM');
      const code = await worker.exited();
      expect(code).toBe(0);
      const done = await waitDone(jobId, 5000); // finished by the terminating worker, not recovered later
      expect(done.status).toBe('completed');
      expect(await keysUnder(`processed/sora/user-r/${jobId}/`)).toHaveLength(2);
      await stack.startWorker();
    } finally {
      server.close();
    }
  }, 60_000);

  it('API killed mid-upload: no partial object at any key', async () => {
    const before = await keysUnder('uploads/user-r/');
    const url = new URL(`${stack.apiUrl}/v1/files?name=partial.bin`);
    const req = http.request({
      host: url.hostname,
      port: url.port,
      path: `${url.pathname}${url.search}`,
      method: 'POST',
      headers: {
        ...auth,
        'content-type': 'application/octet-stream',
        'transfer-encoding': 'chunked',
      },
    });
    req.on('error', () => {});
    for (let i = 0; i < 8; i++) {
      req.write(Buffer.alloc(256 * 1024, i));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await stack.restartApi();
    req.destroy();
    expect(await keysUnder('uploads/user-r/')).toEqual(before);
    // And the API works again.
    expect(await upload('after restart', 'ok.txt')).toMatch(/^uploads\/user-r\//);
  }, 60_000);

  it('load: 200 concurrent uploads (1 KiB–20 MiB) and 100 jobs through nginx, all correct, memory bounded', async () => {
    const sizes = [1024, 16 * 1024, 256 * 1024, 1024 * 1024, 5 * 1024 * 1024, 20 * 1024 * 1024];
    const weights = [60, 50, 40, 30, 15, 5]; // 200 uploads, ~230 MB in all
    const plan = weights.flatMap((count, i) =>
      Array.from({ length: count }, (_, j) => ({ size: sizes[i]!, seed: i * 1000 + j + 1 })),
    );
    const started = Date.now();
    const source = await upload(
      await sharp({ create: { width: 800, height: 600, channels: 3, background: '#a52' } })
        .jpeg()
        .toBuffer(),
      'load.jpg',
    );
    const uploads = plan.map(async ({ size, seed }) => {
      const body = pseudoRandomBytes(size, seed);
      const key = await upload(body, `load-${seed}.bin`);
      return { key, hash: sha256(body) };
    });
    const jobs = Array.from({ length: 100 }, () => submit(source));
    const stored = await Promise.all(uploads);
    const jobIds = await Promise.all(jobs);
    for (const { key, hash } of stored) expect(sha256(await storage.download(key)), key).toBe(hash);
    const results = await Promise.all(jobIds.map((id) => waitDone(id, 300_000)));
    expect(results.filter((r) => r.status !== 'completed')).toEqual([]);
    figures['load: seconds for 200 uploads + 100 jobs'] = Math.round((Date.now() - started) / 1000);
    figures['load: API peak RSS (MB)'] = await peakRssMb(stack.api.pid);
    figures['load: worker peak RSS (MB)'] = Math.max(
      ...(await Promise.all(stack.workers.filter((w) => w.running).map((w) => peakRssMb(w.pid)))),
    );
    expect(figures['load: API peak RSS (MB)']).toBeLessThan(400);
    expect(figures['load: worker peak RSS (MB)']).toBeLessThan(800);
  }, 400_000);
});
