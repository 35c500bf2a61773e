import { existsSync } from 'node:fs';
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generateImageUrl } from '@imgproxy/imgproxy-node';
import { StorageApiClient } from '@monorepo/api-client';
import { StorageFactory } from '@monorepo/storage';
import type { StorageAdapter } from '@monorepo/storage';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack } from './stack.js';
import type { Stack } from './stack.js';

const KEY_A = 'imaging-key-0123456789abcdefghij-a';
const KEY_B = 'imaging-key-0123456789abcdefghij-b';

/** The sum over every imaging process of one metric (all label sets). */
async function metric(stack: Stack, name: string): Promise<number> {
  let sum = 0;
  for (const base of stack.imagingUrls) {
    const text = await (await fetch(`${base}/metrics`)).text();
    for (const line of text.split('\n'))
      if (line.startsWith(`${name} `) || line.startsWith(`${name}{`))
        sum += Number(line.split(' ').pop());
  }
  return sum;
}

const pairOf = (stack: Stack, team: string) => {
  const entry = stack.imagingKeys.split(',').find((e) => e.startsWith(`${team}:`))!;
  const [, key, salt] = entry.split(':');
  return { key: key!, salt: salt! };
};

async function get(url: string, accept = 'image/webp') {
  const res = await fetch(url, { headers: { accept } });
  const body = Buffer.from(await res.arrayBuffer());
  return { res, body, json: () => JSON.parse(body.toString()) as { error: { code: string } } };
}

/** A GET over `agent`'s connections, answered as {@link get} answers. */
function getVia(agent: http.Agent, url: string, accept = 'image/webp') {
  return new Promise<{ res: { status: number; headers: Headers }; body: Buffer }>(
    (resolve, reject) => {
      http
        .get(url, { agent, headers: { accept } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const headers = new Headers();
            for (const [name, value] of Object.entries(res.headers))
              if (typeof value === 'string') headers.set(name, value);
            resolve({ res: { status: res.statusCode!, headers }, body: Buffer.concat(chunks) });
          });
        })
        .on('error', reject);
    },
  );
}

/**
 * GETs every URL at once over connections opened first (a `/healthz` on each), so the requests reach the servers
 * together instead of one new connection at a time: on a quick machine a render can otherwise be done and stored
 * before the last connections are even open, and nothing is left to wait for it.
 */
async function getAtOnce(urls: string[]) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: urls.length });
  try {
    await Promise.all(urls.map((url) => getVia(agent, new URL('/healthz', url).href)));
    return await Promise.all(urls.map((url) => getVia(agent, url)));
  } finally {
    agent.destroy();
  }
}

function describeImaging(storageType: 'local' | 's3'): void {
  describe(`on-request renders on ${storageType} (real nginx, Redis${storageType === 's3' ? ', radosgw' : ''}; URLs from @imgproxy/imgproxy-node)`, () => {
    let dataDir: string;
    let stack: Stack;
    let storage: StorageAdapter;
    let upload: string;
    const url = (team: string, source: string, options: Record<string, unknown>, plain = false) =>
      generateImageUrl({
        endpoint: `${stack.cdnUrl}/img`,
        url: plain ? { value: source, displayAs: 'plain' } : source,
        options,
        ...pairOf(stack, team),
      });

    beforeAll(async () => {
      dataDir = await mkdtemp(path.join(os.tmpdir(), `imaging-${storageType}-`));
      stack = await startStack({
        dataDir,
        storageType,
        workers: 0,
        imaging: storageType === 'local' ? 2 : 1,
        apiKeys: { [KEY_A]: 'team-a', [KEY_B]: 'team-b' },
        env: { LOG_LEVEL: 'warn', IMAGING_TEAM_RENDER_RATE: '20' },
      });
      storage = StorageFactory.fromEnv(stack.storageEnv);
      const client = new StorageApiClient({ baseUrl: stack.gatewayUrl, apiKey: KEY_A });
      const photo = await sharp({
        create: { width: 1600, height: 1200, channels: 3, background: '#3366cc' },
      })
        .jpeg()
        .toBuffer();
      upload = (await client.uploadFile(photo, { name: 'photo.jpg', contentType: 'image/jpeg' }))
        .key;
    }, 120_000);

    afterAll(async () => {
      await stack?.stop();
      await rm(dataDir, { recursive: true, force: true });
    });

    it('renders URLs of the official client (plain and base64 sources) and answers stored renders after', async () => {
      for (const plain of [true, false]) {
        const target = url(
          'team-a',
          `local:///${upload}`,
          { resizing_type: 'fill', width: 300, height: 200, format: 'webp' },
          plain,
        );
        const first = await get(target);
        expect(first.res.status).toBe(200);
        expect(first.res.headers.get('content-type')).toBe('image/webp');
        // A private upload: for the URL's holder only (no exp), so not kept by shared caches.
        expect(first.res.headers.get('cache-control')).toBe('private, max-age=3600');
        expect(await sharp(first.body).metadata()).toMatchObject({
          format: 'webp',
          width: 300,
          height: 200,
        });
        const hits = await metric(stack, 'imaging_cache_hits_total');
        const again = await get(target);
        expect(again.body.equals(first.body)).toBe(true);
        expect(await metric(stack, 'imaging_cache_hits_total')).toBe(hits + 1);
      }
      // s3://<the bucket>/<key> names the same object; another bucket is refused.
      if (storageType === 's3') {
        const ok = await get(
          url('team-a', `s3://${stack.storageEnv.S3_BUCKET}/${upload}`, {
            width: 64,
            format: 'png',
          }),
        );
        expect(ok.res.status).toBe(200);
        const other = await get(url('team-a', `s3://elsewhere/${upload}`, { width: 64 }));
        expect([other.res.status, other.json().error.code]).toEqual([400, 'E_FORBIDDEN_SOURCE']);
      }
    });

    it('refuses tampered, expired and cross-team URLs with 403, and malformed ones with 400, without reading a source', async () => {
      const reads = await metric(stack, 'imaging_source_reads_total');
      const renders = await metric(stack, 'imaging_renders_total');
      const good = url('team-a', `local:///${upload}`, { width: 120 });
      const expired = url('team-a', `local:///${upload}`, {
        width: 120,
        expires: Math.floor(Date.now() / 1000) - 5,
      });
      const cases: Array<[string, number, string]> = [
        [good.replace('/w:120/', '/w:121/'), 403, 'E_BAD_SIGNATURE'],
        [good.replace(/\/img\/[^/]+\//, '/img/insecure/'), 403, 'E_BAD_SIGNATURE'],
        [expired, 403, 'E_URL_EXPIRED'],
        [url('team-b', `local:///${upload}`, { width: 120 }), 403, 'E_ACCESS_DENIED'],
        [
          url('team-b', 'local:///uploads/team-a/missing.jpg', { width: 120 }),
          403,
          'E_ACCESS_DENIED',
        ],
        [url('team-a', 'local:///uploads/team-a/missing.jpg', { width: 120 }), 404, 'E_NOT_FOUND'],
        [
          url('team-a', `local:///${upload}`, { width: 120, strip_metadata: 1 }),
          400,
          'E_VALIDATION',
        ],
        [url('team-a', 'https://example.com/a.jpg', { width: 120 }), 400, 'E_FORBIDDEN_SOURCE'],
      ];
      for (const [target, status, code] of cases) {
        const { res, json } = await get(target);
        expect([res.status, json().error.code], target).toEqual([status, code]);
        expect(res.headers.get('cache-control')).toBe('no-store');
      }
      expect(await metric(stack, 'imaging_source_reads_total')).toBe(reads);
      expect(await metric(stack, 'imaging_renders_total')).toBe(renders);
    });

    it('serves public sources to every team, immutable and from the gateway cache, with provenance; negotiates by Accept', async () => {
      const key = 'processed/dall-e/team-b/job-1/w640-0123456789ab.jpg';
      const photo = await sharp({
        create: { width: 800, height: 600, channels: 3, background: '#cc6633' },
      })
        .jpeg()
        .toBuffer();
      await storage.upload(key, photo, 'image/jpeg', {
        metadata: { tool: 'dall-e', model: 'dall-e-3' },
      });
      const target = url('team-a', `local:///${key}`, { width: 200 });
      const avif = await get(target, 'image/avif,image/webp,*/*');
      expect(avif.res.status).toBe(200);
      expect(avif.res.headers.get('content-type')).toBe('image/avif');
      expect(avif.res.headers.get('vary')).toContain('Accept');
      expect(avif.res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      const jpeg = await get(target, '*/*');
      expect(jpeg.res.headers.get('content-type')).toBe('image/jpeg');
      const xmp = (await sharp(jpeg.body).metadata()).xmp?.toString() ?? '';
      expect(xmp).toContain('trainedAlgorithmicMedia');
      expect(xmp).toContain('dall-e-3');
      const reads = await metric(stack, 'imaging_source_reads_total');
      const cached = await get(target, 'image/avif');
      expect(cached.res.headers.get('x-cache-status')).toBe('HIT');
      expect(cached.body.equals(avif.body)).toBe(true);
      expect(await metric(stack, 'imaging_source_reads_total')).toBe(reads);
    });

    it('mints URLs for its callers: POST /v1/transform-urls, options checked, other teams’ files not found', async () => {
      const client = new StorageApiClient({ baseUrl: stack.gatewayUrl, apiKey: KEY_A });
      const minted = await client.transformUrl({
        sourceKey: upload,
        options: 'rs:fit:90:90/q:70',
        format: 'png',
        expiresIn: 600,
      });
      expect(minted.url.startsWith(`http://localhost:${new URL(stack.cdnUrl).port}/img/`)).toBe(
        true,
      );
      const { res, body } = await get(minted.url.replace('localhost', '127.0.0.1'));
      expect(res.status).toBe(200);
      // An expiring URL may be kept by shared caches until it expires.
      expect(res.headers.get('cache-control')).toMatch(/^public, max-age=(59\d|600), immutable$/);
      expect(await sharp(body).metadata()).toMatchObject({ format: 'png', width: 90, height: 68 });
      await expect(
        client.transformUrl({ sourceKey: upload, options: ['zz:1'] }),
      ).rejects.toMatchObject({ status: 400 });
      const other = new StorageApiClient({ baseUrl: stack.gatewayUrl, apiKey: KEY_B });
      await expect(other.transformUrl({ sourceKey: upload })).rejects.toMatchObject({
        status: 404,
      });
    });

    if (storageType === 'local') {
      it('renders one URL once for 50 concurrent requests across 2 imaging processes, all answered alike', async () => {
        const target = url('team-a', `local:///${upload}`, {
          resizing_type: 'fit',
          width: 257,
          format: 'webp',
        });
        const pathPart = new URL(target).pathname;
        const renders = await metric(stack, 'imaging_renders_total');
        // Straight at the processes (nginx's own cache lock would collapse them first): 25 each.
        const answers = await getAtOnce(
          Array.from({ length: 50 }, (_, i) => `${stack.imagingUrls[i % 2]}${pathPart}`),
        );
        expect(await metric(stack, 'imaging_renders_total')).toBe(renders + 1);
        expect(await metric(stack, 'imaging_coalesced_waits_total')).toBeGreaterThan(0);
        const first = answers.find((a) => a.res.status === 200 && a.body.length > 0)!;
        for (const answer of answers) {
          expect(answer.res.status).toBe(200);
          // Stored renders are X-Accel-Redirect answers here (nginx serves derived/); the render itself is a body.
          if (answer.body.length === 0)
            expect(answer.res.headers.get('x-accel-redirect')).toMatch(
              /^\/__imaging\/derived\/[0-9a-f]{64}\.webp$/,
            );
          else expect(answer.body.equals(first.body)).toBe(true);
        }
        expect(await sharp(first.body).metadata()).toMatchObject({ width: 257, height: 193 });
        const stored = answers
          .find((a) => a.body.length === 0)!
          .res.headers.get('x-accel-redirect')!;
        expect(existsSync(path.join(dataDir, 'storage', 'derived', path.basename(stored)))).toBe(
          true,
        );
      });

      it('limits each team’s renders (cache hits are free), answering 429 with Retry-After', async () => {
        const statuses: number[] = [];
        for (let width = 10; width < 32; width++) {
          const { res } = await get(
            url('team-b', 'local:///processed/dall-e/team-b/job-1/w640-0123456789ab.jpg', {
              width,
              format: 'jpg',
            }),
          );
          statuses.push(res.status);
          if (res.status === 429) expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
        }
        expect(statuses.filter((s) => s === 200)).toHaveLength(20);
        expect(statuses.slice(20)).toEqual([429, 429]);
      });
    }
  });
}

describeImaging('local');
describeImaging('s3');
