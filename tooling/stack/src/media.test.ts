import http from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { StorageApiClient } from '@monorepo/api-client';
import type { ImageJobRequest, ImageJobResult } from '@monorepo/api-client';
import { photoJpeg } from '@monorepo/test-utils/images';
import { makeVideo } from '@monorepo/test-utils/videos';
import { processResultSchema } from '@monorepo/image-processor/contract';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack } from './stack.js';
import type { Stack } from './stack.js';

const KEY = 'media-key-user-m-0123456789abcdef-1';
const AVIF_FIRST = 'image/avif,image/webp,image/apng,*/*;q=0.8';
const WEBP_FIRST = 'image/webp,*/*';

function describeMedia(storageType: 'local' | 's3'): void {
  describe(`media through the CDN with ${storageType} storage`, () => {
    let stack: Stack;
    let dataDir: string;
    let client: StorageApiClient;
    let video: Buffer;
    let photo: Buffer;
    let sources: http.Server;
    let sourceUrl: string;
    let sourceOrigin: string;

    beforeAll(async () => {
      dataDir = await mkdtemp(path.join(os.tmpdir(), `media-${storageType}-`));
      video = await makeVideo({ container: 'mp4', seconds: 2, width: 480, height: 270 });
      photo = await photoJpeg(640, 480);
      sources = http.createServer((req, res) => {
        if (req.url === '/hang') return; // never answers: its job stays active
        if (req.url === '/late.jpg') {
          setTimeout(() => res.writeHead(200, { 'content-type': 'image/jpeg' }).end(photo), 1500);
          return;
        }
        res.writeHead(200, { 'content-type': 'video/mp4' }).end(video);
      });
      await new Promise<void>((resolve) => sources.listen(0, '127.0.0.1', resolve));
      sourceOrigin = `http://localhost:${(sources.address() as AddressInfo).port}`;
      sourceUrl = `${sourceOrigin}/clip.mp4`;
      stack = await startStack({
        dataDir,
        storageType,
        apiKeys: { [KEY]: 'user-m' },
        env: {
          IMAGE_ALLOWED_HOSTS: 'localhost',
          API_MAX_JOB_WAITERS_PER_KEY: '2',
          WORKER_SHUTDOWN_TIMEOUT_MS: '2000',
          LOG_LEVEL: 'warn',
        },
      });
      client = new StorageApiClient({ baseUrl: stack.gatewayUrl, apiKey: KEY });
    }, 120_000);

    afterAll(async () => {
      await stack?.stop();
      sources?.closeAllConnections();
      sources?.close();
      await rm(dataDir, { recursive: true, force: true });
    });

    const run = async (body: ImageJobRequest): Promise<ImageJobResult> => {
      const { jobId } = await client.submitImageJob(body);
      const done = await client.waitForImageJob(jobId, { timeoutMs: 60_000 });
      expect(done.error).toBeUndefined();
      // The documented result shape (the OpenAPI document's ImageJobResult) is the one the worker wrote.
      processResultSchema.parse(done.result);
      return done.result!;
    };
    const get = async (url: string, accept?: string) => {
      const res = await fetch(url, accept ? { headers: { accept } } : {});
      return { res, bytes: Buffer.from(await res.arrayBuffer()) };
    };

    it('serves one URL per width as AVIF, WebP or JPEG by Accept, cached per format', async () => {
      const stored = await client.uploadFile(await photoJpeg(1200, 900), {
        name: 'photo.jpg',
        contentType: 'image/jpeg',
      });
      const result = await run({ tool: 'sora', sourceKey: stored.key, presets: 'responsive' });
      // 1200 px wide: w1920 is the source's own width.
      expect(result.negotiated.map((n) => [n.name, n.width])).toEqual([
        ['w320', 320],
        ['w640', 640],
        ['w1024', 1024],
        ['w1920', 1200],
      ]);
      const w640 = result.negotiated.find((n) => n.name === 'w640')!;
      const byFormat = (format: string) =>
        result.variants.find((v) => v.name === 'w640' && v.format === format)!;
      for (const [accept, format] of [
        [AVIF_FIRST, 'avif'],
        [WEBP_FIRST, 'webp'],
        ['image/jpeg', 'jpeg'],
        [undefined, 'jpeg'],
        [AVIF_FIRST, 'avif'],
      ] as const) {
        const { res, bytes } = await get(w640.url, accept);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe(byFormat(format).contentType);
        expect(res.headers.get('vary')).toMatch(/Accept/);
        expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
        expect(bytes.length).toBe(byFormat(format).bytes);
        const meta = await sharp(bytes).metadata();
        expect([meta.width, meta.height]).toEqual([640, 480]);
      }
      if (storageType === 's3') {
        // The cache key holds the format: a WebP client after AVIF ones is never handed the cached AVIF.
        const again = await get(w640.url, WEBP_FIRST);
        expect(again.res.headers.get('x-cache-status')).toBe('HIT');
        expect(again.res.headers.get('content-type')).toBe('image/webp');
      }
      // The srcset of each format lists the per-format URLs, which keep working.
      const first = result.srcset['webp']!.split(', ')[0]!.split(' ');
      expect(first[1]).toBe('320w');
      expect((await get(first[0]!)).res.headers.get('content-type')).toBe('image/webp');
    });

    it('falls back to JPEG for a name stored in JPEG only, and 404s an unknown name', async () => {
      const stored = await client.uploadFile(await photoJpeg(800, 600), {
        name: 'photo.jpg',
        contentType: 'image/jpeg',
      });
      await expect(
        client.submitImageJob({ tool: 'dall-e', sourceKey: stored.key, presets: 'nope' }),
      ).rejects.toMatchObject({ status: 400, code: 'E_VALIDATION' });
      const result = await run({ tool: 'dall-e', sourceKey: stored.key });
      const normal = result.negotiated.find((n) => n.name === 'normal')!;
      expect(normal.formats).toEqual(['jpeg']);
      const { res } = await get(normal.url, AVIF_FIRST);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/jpeg');
      const missing = await get(normal.url.replace(/-[0-9a-f]{12}$/, '-000000000000'), AVIF_FIRST);
      expect(missing.res.status).toBe(404);
      expect(JSON.parse(missing.bytes.toString())).toMatchObject({
        error: { code: 'E_NOT_FOUND' },
      });
    });

    it("signs a private job's negotiated URLs where the CDN checks signatures (local), else leaves them out", async () => {
      const stored = await client.uploadFile(await photoJpeg(700, 500), {
        name: 'photo.jpg',
        contentType: 'image/jpeg',
      });
      const result = await run({
        tool: 'sora',
        sourceKey: stored.key,
        presets: 'responsive',
        visibility: 'private',
      });
      if (storageType === 's3') {
        expect(result.negotiated).toEqual([]);
        return;
      }
      const w320 = result.negotiated.find((n) => n.name === 'w320')!;
      expect(w320.url).toMatch(/[?&]sig=/);
      const signed = await get(w320.url, AVIF_FIRST);
      expect(signed.res.status).toBe(200);
      expect(signed.res.headers.get('content-type')).toBe('image/avif');
      expect(signed.res.headers.get('cache-control')).toBe('private, max-age=300');
      const unsigned = await get(w320.url.split('?')[0]!, AVIF_FIRST);
      expect(unsigned.res.status).toBe(403);
      // The srcset is rebuilt from the signed per-format URLs.
      expect(result.srcset['avif']).toContain(result.variants[0]!.url);
    });

    // The queue's waiters: the store plays no part, so this runs once, with local storage.
    if (storageType === 'local') {
      it('holds ?wait=N until the job finishes, and at most API_MAX_JOB_WAITERS_PER_KEY requests at once', async () => {
        const late = await client.submitImageJob({
          tool: 'sora',
          sourceUrl: `${sourceOrigin}/late.jpg`,
        });
        const started = Date.now();
        const done = await client.getImageJob(late.jobId, { waitSeconds: 20 });
        expect(done.status).toBe('completed');
        expect(Date.now() - started).toBeGreaterThan(1000);
        expect(Date.now() - started).toBeLessThan(10_000);

        const hung = await client.submitImageJob({
          tool: 'sora',
          sourceUrl: `${sourceOrigin}/hang`,
        });
        const holders = Array.from({ length: 2 }, () => new AbortController());
        const held = holders.map((c) =>
          fetch(`${stack.gatewayUrl}/v1/images/${hung.jobId}?wait=20`, {
            headers: { authorization: `Bearer ${KEY}` },
            signal: c.signal,
          }).catch(() => undefined),
        );
        await new Promise((resolve) => setTimeout(resolve, 500));
        // Both slots of this key are taken: a third request is answered at once, with the status as it stands.
        const third = Date.now();
        expect((await client.getImageJob(hung.jobId, { waitSeconds: 20 })).status).toMatch(
          /queued|active/,
        );
        expect(Date.now() - third).toBeLessThan(1500);
        for (const c of holders) c.abort();
        await Promise.all(held);
        await new Promise((resolve) => setTimeout(resolve, 300));
        // A client that went away frees its slot: the next one is held again.
        const again = Date.now();
        await client.getImageJob(hung.jobId, { waitSeconds: 2 });
        expect(Date.now() - again).toBeGreaterThan(1500);
      });
    }

    it('keeps a fetched video under generated/, serves it with byte ranges, and its poster as variants', async () => {
      const result = await run({ tool: 'sora', sourceUrl });
      expect(result.video).toMatchObject({
        key: expect.stringMatching(/^generated\/sora\/user-m\/.+\/original\.mp4$/),
        contentType: 'video/mp4',
        bytes: video.length,
        width: 480,
        height: 270,
        codec: 'h264',
      });
      const range = await fetch(result.video!.url, { headers: { range: 'bytes=0-99' } });
      expect(range.status).toBe(206);
      expect(range.headers.get('content-type')).toBe('video/mp4');
      expect(Buffer.from(await range.arrayBuffer()).equals(video.subarray(0, 100))).toBe(true);
      const whole = await get(result.video!.url);
      expect(whole.bytes.equals(video)).toBe(true);
      const poster = await get(result.variants[0]!.url);
      expect(await sharp(poster.bytes).metadata()).toMatchObject({ format: 'jpeg', width: 480 });
    });

    // The worker's shutdown: the store plays no part, so this runs once, with local storage.
    if (storageType === 'local') {
      it('stops a worker stuck on a source that never answers within its shutdown timeout', async () => {
        const hung = await client.submitImageJob({
          tool: 'sora',
          sourceUrl: `${sourceOrigin}/hang`,
        });
        await expect
          .poll(async () => (await client.getImageJob(hung.jobId)).status, { timeout: 10_000 })
          .toBe('active');
        const worker = stack.workers[0]!;
        const started = Date.now();
        worker.kill('SIGTERM');
        await worker.exited();
        // WORKER_SHUTDOWN_TIMEOUT_MS is 2000 here; the forced close gets one more second.
        expect(Date.now() - started).toBeLessThan(5_000);
        expect(await readFile(worker.logFile, 'utf8')).toContain('shutdown timeout');
      });
    }
  });
}

describeMedia('local');
describeMedia('s3');
