import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { StorageApiClient } from '@monorepo/api-client';
import type { ImageJob, ImageJobRequest } from '@monorepo/api-client';
import { StorageFactory } from '@monorepo/storage';
import type { StorageAdapter } from '@monorepo/storage';
import { imageJobSchema, storedFileSchema } from '@monorepo/api/schemas';
import { OPENAPI_DOCUMENT } from '@monorepo/api/openapi';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack } from './stack.js';
import type { Stack } from './stack.js';

const KEY_A = 'e2e-key-user-a-0123456789abcdef-1';
const KEY_B = 'e2e-key-user-b-0123456789abcdef-2';
const MAX_UPLOAD = 3 * 1024 * 1024;

/** A source server on localhost whose first request stalls (so a worker can be killed mid-job). */
async function slowSource(image: Buffer) {
  let requests = 0;
  const server = http.createServer((_req, res) => {
    requests += 1;
    res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': String(image.length) });
    if (requests === 1) {
      res.write(image.subarray(0, 100)); // then never finishes
      return;
    }
    res.end(image);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://localhost:${(server.address() as AddressInfo).port}/slow.jpg`,
    requests: () => requests,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

function describeEndToEnd(
  storageType: 'local' | 's3',
  redisMode: 'single' | 'cluster' = 'single',
): void {
  const redis = redisMode === 'cluster' ? 'Redis Cluster, 3 masters + 3 replicas' : 'real Redis';
  describe(`end to end with ${storageType} storage (${redis}, nginx, API, worker)`, () => {
    let stack: Stack;
    let dataDir: string;
    let storage: StorageAdapter;
    let photo: Buffer;

    beforeAll(async () => {
      dataDir = await mkdtemp(path.join(os.tmpdir(), `e2e-${storageType}-${redisMode}-`));
      photo = await sharp({
        create: { width: 2400, height: 1800, channels: 3, background: '#2a6' },
      })
        .composite([
          {
            input: Buffer.from(
              '<svg xmlns="http://www.w3.org/2000/svg" width="600" height="600"><circle cx="300" cy="300" r="280" fill="#c33"/></svg>',
            ),
            left: 100,
            top: 100,
          },
        ])
        .jpeg()
        .toBuffer();
      stack = await startStack({
        dataDir,
        storageType,
        redisMode,
        apiKeys: { [KEY_A]: 'user-a', [KEY_B]: 'user-b' },
        maxUploadBytes: MAX_UPLOAD,
        env: {
          IMAGE_ALLOWED_HOSTS: 'localhost',
          WORKER_LOCK_DURATION_MS: '3000',
          WORKER_STALLED_INTERVAL_MS: '1000',
          WORKER_SHUTDOWN_TIMEOUT_MS: '2000',
          LOG_LEVEL: 'warn',
        },
      });
      storage = StorageFactory.fromEnv(stack.storageEnv);
    }, 120_000);

    afterAll(async () => {
      await stack?.stop();
      await rm(dataDir, { recursive: true, force: true });
    });

    const api = (route: string, init: RequestInit & { key?: string | null } = {}) => {
      const { key = KEY_A, headers, ...rest } = init;
      return fetch(`${stack.gatewayUrl}${route}`, {
        ...rest,
        headers: {
          ...(key ? { authorization: `Bearer ${key}` } : {}),
          ...(headers as Record<string, string>),
        },
      });
    };
    // The typed client, as teams use it; `api` above stays for raw and hostile requests.
    const clientFor = (key: string) =>
      new StorageApiClient({ baseUrl: stack.gatewayUrl, apiKey: key });
    const upload = (body: Buffer | string, name: string, type: string, key = KEY_A) =>
      clientFor(key).uploadFile(body, { name, contentType: type });
    const submit = async (body: ImageJobRequest, key = KEY_A) =>
      (await clientFor(key).submitImageJob(body)).jobId;
    const waitFor = async (jobId: string, until: (s: ImageJob) => boolean, timeoutMs = 60_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const status = await clientFor(KEY_A).getImageJob(jobId);
        if (until(status)) return status;
        if (Date.now() > deadline)
          throw new Error(`job ${jobId} stuck at ${JSON.stringify(status)}`);
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
    };
    const keysUnder = async (prefix: string) => {
      const keys: string[] = [];
      for await (const item of storage.listAll(prefix)) keys.push(item.key);
      return keys;
    };

    it('uploads through nginx, processes a job, and serves every variant from the CDN', async () => {
      const stored = await upload(photo, 'photo.jpg', 'image/jpeg');
      expect(stored).toMatchObject({ size: photo.length, contentType: 'image/jpeg' });
      expect(stored.key).toMatch(/^uploads\/user-a\/[0-9a-f-]{36}\/photo\.jpg$/);
      const jobId = await submit({ tool: 'dall-e', sourceKey: stored.key });
      const done = await waitFor(jobId, (s) => s.status === 'completed' || s.status === 'failed');
      expect(done.status).toBe('completed');
      expect(done.progress).toBe(100);
      // The shapes the OpenAPI document describes (generated from these schemas), closed: an unlisted field fails.
      storedFileSchema.parse(stored);
      imageJobSchema.parse(done);
      const variants = done.result!.variants;
      expect(variants.map((v) => [v.name, v.format, v.width, v.height])).toEqual([
        ['normal', 'jpeg', 1920, 1440],
        ['high-quality', 'webp', 2400, 1800],
      ]);
      for (const variant of variants) {
        expect(
          variant.url.startsWith(
            `http://localhost:${new URL(stack.cdnUrl).port}/static/processed/dall-e/user-a/${jobId}/`,
          ),
        ).toBe(true);
        const res = await fetch(variant.url);
        expect(res.status).toBe(200);
        expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        const bytes = Buffer.from(await res.arrayBuffer());
        expect(bytes.length).toBe(variant.bytes);
        expect(await sharp(bytes).metadata()).toMatchObject({
          format: variant.format,
          width: variant.width,
          height: variant.height,
        });
        const range = await fetch(variant.url, { headers: { range: 'bytes=0-9' } });
        expect(range.status).toBe(206);
        expect(Buffer.from(await range.arrayBuffer()).equals(bytes.subarray(0, 10))).toBe(true);
        // Another percent-encoding of the same key is the same object (and, over S3, the same cache entry).
        const reEncoded = variant.url.replace('/static/processed/', '/static/%70rocessed/');
        const again = await fetch(reEncoded);
        expect(again.status).toBe(200);
        expect(Buffer.from(await again.arrayBuffer()).equals(bytes)).toBe(true);
        if (storageType === 's3') expect(again.headers.get('x-cache-status')).toBe('HIT');
      }
    });

    it('serves uploads so they cannot run script, and never serves hidden files or listings', async () => {
      const html = await upload(
        '<html><script>alert(document.cookie)</script></html>',
        'page.html',
        'text/html',
      );
      const svg = await upload(
        '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        'x.svg',
        'image/svg+xml',
      );
      for (const file of [html, svg]) {
        const res = await fetch(file.url);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-disposition')).toMatch(/^attachment/);
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        expect(res.headers.get('content-security-policy')).toContain('sandbox');
        expect(res.headers.get('cache-control')).toBe('private, max-age=300');
        expect(await res.text()).toContain('<script>');
      }
      if (storageType === 's3') {
        // The CDN fetched the upload with a signature: the bucket itself never serves uploads anonymously,
        // while job outputs (public by the bucket policy) are readable there.
        const bucketUrl = (key: string) =>
          `${stack.storageEnv.S3_ENDPOINT}/${stack.storageEnv.S3_BUCKET}/${key.split('/').map(encodeURIComponent).join('/')}`;
        expect((await fetch(bucketUrl(html.key))).status).toBe(403);
        await storage.upload('processed/dall-e/user-a/probe/x.txt', 'public', 'text/plain');
        expect((await fetch(bucketUrl('processed/dall-e/user-a/probe/x.txt'))).status).toBe(200);
        await storage.delete('processed/dall-e/user-a/probe/x.txt');
        // The internal signing endpoint is not reachable through the gateway.
        expect((await fetch(`${stack.gatewayUrl}/internal/s3-sign/${html.key}`)).status).toBe(404);
      }
      const folder = html.url.slice(0, html.url.lastIndexOf('/') + 1);
      expect((await fetch(folder)).status).toBe(404);
      expect((await fetch(`${stack.cdnUrl}/static/uploads/`)).status).toBe(404);
      expect((await fetch(`${folder}.~meta%5Canything`)).status).toBe(404);
      expect((await fetch(`${folder}.hidden`)).status).toBe(404);
      // Through the API the same upload also comes back as a sandboxed download.
      const viaApi = await api(
        `/v1/files/${html.key.split('/').map(encodeURIComponent).join('/')}`,
      );
      expect(viaApi.headers.get('content-disposition')).toMatch(/^attachment/);
      expect(viaApi.headers.get('content-security-policy')).toContain('sandbox');
    });

    it('keeps users apart and requires a key', async () => {
      const mine = await upload(photo, 'private.jpg', 'image/jpeg');
      const jobId = await submit({ tool: 'sora', sourceKey: mine.key });
      const encoded = mine.key.split('/').map(encodeURIComponent).join('/');
      expect((await api(`/v1/files/${encoded}`, { key: KEY_B })).status).toBe(404);
      expect((await api(`/v1/files/${encoded}`, { key: KEY_B, method: 'DELETE' })).status).toBe(
        404,
      );
      expect((await api(`/v1/images/${jobId}`, { key: KEY_B })).status).toBe(404);
      const theirs = await api('/v1/images', {
        key: KEY_B,
        method: 'POST',
        body: JSON.stringify({ tool: 'sora', sourceKey: mine.key }),
        headers: { 'content-type': 'application/json' },
      });
      expect(theirs.status).toBe(404);
      const listB = (await (await api('/v1/files', { key: KEY_B })).json()) as { items: unknown[] };
      expect(listB.items).toEqual([]);
      const noKey = await api('/v1/files', { key: null });
      expect(noKey.status).toBe(401);
      expect(await noKey.json()).toEqual({
        error: { code: 'E_UNAUTHORIZED', message: 'Missing or unknown API key' },
      });
      expect((await api('/v1/files', { key: 'not-a-real-key-0000000000' })).status).toBe(401);
      expect((await api(`/v1/files/${encoded}`)).status).toBe(200);
    });

    it('refuses an oversize upload with 413 and stores nothing', async () => {
      const before = await keysUnder('uploads/user-a/');
      const big = Buffer.alloc(MAX_UPLOAD + 1, 7);
      const declared = await api('/v1/files?name=big.bin', {
        method: 'POST',
        body: big,
        headers: { 'content-type': 'application/octet-stream' },
      });
      expect(declared.status).toBe(413);
      expect((await declared.json()) as object).toMatchObject({
        error: { code: expect.stringMatching(/^E_TOO_LARGE|E_HTTP_413$/) },
      });
      // Without Content-Length the limit is enforced while streaming.
      const streamed = await api('/v1/files?name=big2.bin', {
        method: 'POST',
        body: new ReadableStream({
          start(controller) {
            for (let i = 0; i < 4; i++) controller.enqueue(new Uint8Array(1024 * 1024));
            controller.close();
          },
        }),
        headers: { 'content-type': 'application/octet-stream' },
        duplex: 'half',
      } as RequestInit);
      expect(streamed.status).toBe(413);
      expect(await keysUnder('uploads/user-a/')).toEqual(before);
    });

    it('refuses private source URLs at submission', async () => {
      const res = await api('/v1/images', {
        method: 'POST',
        body: JSON.stringify({
          tool: 'sora',
          sourceUrl: 'http://169.254.169.254/latest/meta-data/',
        }),
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
        'E_FORBIDDEN_SOURCE',
      );
    });

    it('recovers a job whose worker was killed mid-job, with exactly one set of variants', async () => {
      const source = await slowSource(photo);
      try {
        const jobId = await submit({ tool: 'stable-diffusion', sourceUrl: source.url });
        await waitFor(jobId, (s) => s.status === 'active');
        // Kill only once the worker is inside the job (its source request is hanging).
        for (
          const deadline = Date.now() + 30_000;
          source.requests() === 0 && Date.now() < deadline;
        ) {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        expect(source.requests()).toBe(1);
        const [victim] = stack.workers.filter((w) => w.running);
        victim!.kill('SIGKILL');
        await victim!.exited();
        await stack.startWorker();
        const done = await waitFor(
          jobId,
          (s) => s.status === 'completed' || s.status === 'failed',
          90_000,
        );
        expect(done.status).toBe('completed');
        expect(source.requests()).toBe(2);
        const keys = await keysUnder(`processed/stable-diffusion/user-a/${jobId}/`);
        expect(keys.sort()).toEqual(done.result!.variants.map((v) => v.key).sort());
        expect(keys).toHaveLength(2);
        expect(await keysUnder(`generated/stable-diffusion/user-a/${jobId}/`)).toEqual([
          `generated/stable-diffusion/user-a/${jobId}/original.jpg`,
        ]);
      } finally {
        source.close();
      }
    }, 120_000);

    it('exposes readiness, metrics and the OpenAPI document on the internal port only', async () => {
      for (const path of ['/readyz', '/metrics', '/openapi.json', '/metrics?x=1', '/%6detrics']) {
        const publicAnswer = await fetch(`${stack.gatewayUrl}${path}`);
        expect(publicAnswer.status, path).toBe(404);
        expect(await publicAnswer.text(), path).not.toContain('api_http_requests_total');
      }
      expect((await fetch(`${stack.gatewayUrl}/healthz`)).status).toBe(200);
      expect(await (await fetch(`${stack.apiUrl}/readyz`)).json()).toMatchObject({
        status: 'ready',
        checks: { storage: 'ok', redis: 'ok' },
      });
      const httpMetrics = await (await fetch(`${stack.apiUrl}/metrics`)).text();
      expect(httpMetrics).toContain('api_http_requests_total');
      // Storage reports through its front layer, labelled by backend and operation, in both services.
      await upload('measured', 'measured.txt', 'text/plain');
      const metrics = await (await fetch(`${stack.apiUrl}/metrics`)).text();
      expect(metrics).toMatch(
        new RegExp(
          `api_storage_operations_total\\{[^}]*backend="${storageType}"[^}]*operation="upload"`,
        ),
      );
      expect(metrics).toMatch(/api_storage_bytes_total\{[^}]*operation="upload"[^}]*\} [1-9]/);
      const running = stack.workers.findIndex((worker) => worker.running);
      const workerMetrics = await (await fetch(`${stack.workerUrls[running]}/metrics`)).text();
      expect(workerMetrics).toMatch(
        new RegExp(
          `worker_storage_operation_ms_bucket\\{[^}]*backend="${storageType}"[^}]*operation="checkHealth"`,
        ),
      );
      // The document served is the one whose schemas the zod schemas generate (and the client's types with them).
      const doc: unknown = await (await fetch(`${stack.apiUrl}/openapi.json`)).json();
      expect(doc).toEqual(JSON.parse(JSON.stringify(OPENAPI_DOCUMENT)));
    });
  });
}

describeEndToEnd('local');
describeEndToEnd('s3');
// The same suite once on Redis Cluster: queues, limits, intents and job waiters under hash tags (#24).
describeEndToEnd('local', 'cluster');
