import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LocalStorageAdapter } from '@monorepo/storage-local';
import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isPublicAddress } from './contract/address-policy.js';
import { ImageProcessor } from './image-processor.js';
import { ImageTool } from './contract/image-tool.js';
import { SVG, photoJpeg } from '../test/test-images.js';
import { startSourceServer } from '../test/test-source-server.js';

let server: Awaited<ReturnType<typeof startSourceServer>>;
let root: string;
let storage: LocalStorageAdapter;
let jpeg: Buffer;

beforeAll(async () => {
  jpeg = await photoJpeg(640, 480);
  server = await startSourceServer({
    '/image.jpg': (_req, res) => res.writeHead(200, { 'content-type': 'image/jpeg' }).end(jpeg),
    '/misnamed.txt': (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(jpeg),
    '/vector.svg': (_req, res) => res.writeHead(200, { 'content-type': 'image/jpeg' }).end(SVG),
    '/to-private': (_req, res) =>
      res.writeHead(302, { location: server.url('/image.jpg', '127.0.0.1') }).end(),
    '/to-image': (_req, res) => res.writeHead(301, { location: '/image.jpg' }).end(),
    '/loop': (_req, res) => res.writeHead(302, { location: '/loop' }).end(),
    '/missing': (_req, res) => res.writeHead(404).end(),
    '/status/500': (_req, res) => res.writeHead(500).end(),
    '/status/503': (_req, res) => res.writeHead(503).end(),
    '/status/408': (_req, res) => res.writeHead(408).end(),
    '/status/429': (_req, res) => res.writeHead(429).end(),
    '/huge': (_req, res) => {
      // A real image's first bytes, so the size is what refuses it, not the format.
      res.writeHead(200, { 'content-type': 'image/jpeg' }).write(jpeg);
      const chunk = Buffer.alloc(64 * 1024);
      let sent = 0;
      const push = () => {
        while (sent < 200 && res.write(chunk)) sent++;
        if (sent < 200) res.once('drain', push);
        else res.end();
      };
      push();
    },
    '/huge-declared': (_req, res) =>
      res.writeHead(200, { 'content-length': String(10 ** 9) }).end(),
    '/hang': () => {},
  });
});
afterAll(() => server.close());
beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'ssrf-'));
  storage = new LocalStorageAdapter({
    type: 'local',
    baseUrl: 'http://cdn.test/static',
    localBasePath: root,
  });
  return () => rm(root, { recursive: true, force: true });
});

const job = (sourceUrl: string) => ({
  id: 'job-9',
  tool: ImageTool.STABLE_DIFFUSION,
  userId: 'user-9',
  sourceUrl,
});
// The source server listens on a random port: allowed here, unlike any other port but 80 and 443.
const processor = (options = {}) =>
  new ImageProcessor(storage, undefined, { allowedPorts: [80, 443, server.port], ...options });

async function storedKeys(): Promise<string[]> {
  const keys: string[] = [];
  for await (const item of storage.listAll()) keys.push(item.key);
  return keys;
}

describe('sourceUrl fetching is SSRF-safe', () => {
  it('refuses loopback by default', async () => {
    const before = server.hits.length;
    await expect(processor().processImage(job(server.url('/image.jpg')))).rejects.toMatchObject({
      code: 'E_FORBIDDEN_SOURCE',
    });
    expect(server.hits.length).toBe(before); // never connected
    expect(await storedKeys()).toEqual([]);
  });

  it('refuses a DNS name that resolves to a private address', async () => {
    const before = server.hits.length;
    await expect(
      processor().processImage(job(server.url('/image.jpg', 'localhost'))),
    ).rejects.toMatchObject({
      code: 'E_FORBIDDEN_SOURCE',
    });
    expect(server.hits.length).toBe(before);
  });

  it.each([
    'http://127.0.0.1/x.jpg',
    'http://0x7f.1/x.jpg',
    'http://2130706433/x.jpg',
    'http://0177.0.0.1/x.jpg',
    'http://[::1]/x.jpg',
    'http://[::ffff:127.0.0.1]/x.jpg',
    'http://[::ffff:7f00:1]/x.jpg',
    'http://169.254.169.254/latest/meta-data/',
    'http://10.0.0.8/x.jpg',
    'http://172.16.5.4/x.jpg',
    'http://192.168.1.1/x.jpg',
    'http://100.64.0.1/x.jpg',
    'http://224.0.0.1/x.jpg',
    'http://0.0.0.0/x.jpg',
    'http://[fd00::1]/x.jpg',
    'http://[fe80::1]/x.jpg',
    'http://[64:ff9b::7f00:1]/x.jpg',
    'http://[::127.0.0.1]/x.jpg',
    'http://[::7f00:1]/x.jpg',
    'http://[::10.0.0.1]/x.jpg',
    'http://example.com:22/x.jpg',
    'http://example.com:6379/x.jpg',
    'https://example.com:8443/x.jpg',
    'file:///etc/passwd',
    'ftp://example.com/x.jpg',
    'gopher://example.com/x',
    'http://user:pass@example.com/x.jpg',
    'not a url',
  ])('refuses %s with E_FORBIDDEN_SOURCE', async (url) => {
    await expect(processor().processImage(job(url))).rejects.toMatchObject({
      code: 'E_FORBIDDEN_SOURCE',
      permanent: true,
    });
  });

  it('fetches with allowPrivateNetworks, keeps the original under generated/ by its real format', async () => {
    const result = await processor({ allowPrivateNetworks: true }).processImage(
      job(server.url('/misnamed.txt')),
    );
    expect(result.original).toMatchObject({
      key: 'generated/stable-diffusion/user-9/job-9/original.jpg',
      format: 'jpeg',
      bytes: jpeg.length,
    });
    expect((await storage.download(result.original!.key)).equals(jpeg)).toBe(true);
    expect((await storage.stat(result.original!.key)).contentType).toBe('image/jpeg');
    expect(await sharp(await storage.download(result.variants[0]!.key)).metadata()).toMatchObject({
      format: 'jpeg',
      width: 640,
    });
  });

  it('follows redirects within an allowed host', async () => {
    const result = await processor({ allowedHosts: ['127.0.0.1'] }).processImage(
      job(server.url('/to-image')),
    );
    expect(result.variants).toHaveLength(2);
  });

  it('refuses a redirect from an allowed host to a private address', async () => {
    const before = server.hits.length;
    await expect(
      processor({ allowedHosts: ['localhost'] }).processImage(
        job(server.url('/to-private', 'localhost')),
      ),
    ).rejects.toMatchObject({
      code: 'E_FORBIDDEN_SOURCE',
    });
    expect(server.hits.slice(before)).toEqual(['/to-private']);
  });

  it('follows 3 redirects and refuses the 4th: the source is asked 4 times', async () => {
    const before = server.hits.length;
    await expect(
      processor({ allowPrivateNetworks: true }).processImage(job(server.url('/loop'))),
    ).rejects.toMatchObject({
      code: 'E_SOURCE_FETCH',
      message: expect.stringContaining('redirects'),
    });
    expect(server.hits.slice(before)).toEqual(['/loop', '/loop', '/loop', '/loop']);
  });

  it('reports a 4xx answer as E_SOURCE_REFUSED (permanent), and 5xx, 408 and 429 as E_SOURCE_FETCH (retryable)', async () => {
    await expect(
      processor({ allowPrivateNetworks: true }).processImage(job(server.url('/missing'))),
    ).rejects.toMatchObject({
      code: 'E_SOURCE_REFUSED',
      permanent: true,
    });
    for (const status of [500, 503, 408, 429]) {
      await expect(
        processor({ allowPrivateNetworks: true }).processImage(
          job(server.url(`/status/${status}`)),
        ),
      ).rejects.toMatchObject({ code: 'E_SOURCE_FETCH', permanent: false });
    }
  });

  it('lets a host in allowedHosts use any port, and no other host', async () => {
    const strict = new ImageProcessor(storage, undefined, { allowPrivateNetworks: true });
    await expect(strict.processImage(job(server.url('/image.jpg')))).rejects.toMatchObject({
      code: 'E_FORBIDDEN_SOURCE',
      message: expect.stringContaining(`port ${server.port}`),
    });
    const trusted = new ImageProcessor(storage, undefined, { allowedHosts: ['127.0.0.1'] });
    expect((await trusted.processImage(job(server.url('/image.jpg')))).variants).toHaveLength(2);
  });

  it('enforces the byte limit while streaming and from Content-Length', async () => {
    const limited = processor({ allowPrivateNetworks: true, maxSourceBytes: 1024 * 1024 });
    await expect(limited.processImage(job(server.url('/huge')))).rejects.toMatchObject({
      code: 'E_SOURCE_TOO_LARGE',
    });
    await expect(limited.processImage(job(server.url('/huge-declared')))).rejects.toMatchObject({
      code: 'E_SOURCE_TOO_LARGE',
    });
  });

  it('times out a source that never answers', async () => {
    const started = Date.now();
    await expect(
      processor({ allowPrivateNetworks: true, fetchTimeoutMs: 300 }).processImage(
        job(server.url('/hang')),
      ),
    ).rejects.toMatchObject({ code: 'E_SOURCE_FETCH' });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('decides the format from bytes: an SVG served as image/jpeg is refused', async () => {
    await expect(
      processor({ allowPrivateNetworks: true }).processImage(job(server.url('/vector.svg'))),
    ).rejects.toMatchObject({
      code: 'E_UNSUPPORTED_FORMAT',
    });
    expect(await storedKeys()).toEqual([]);
  });
});

describe('isPublicAddress', () => {
  it.each([
    ['8.8.8.8', true],
    ['2606:4700:4700::1111', true],
    ['127.0.0.1', false],
    ['::ffff:10.1.2.3', false],
    ['::ffff:8.8.8.8', true],
    ['::127.0.0.1', false],
    ['::808:808', false], // IPv4-compatible (how URL parsing writes [::8.8.8.8])
    ['::7f00:1', false],
    ['169.254.169.254', false],
    ['100.100.100.200', false],
    ['255.255.255.255', false],
    ['example.com', false],
  ])('%s -> %s', (address, expected) => {
    expect(isPublicAddress(address)).toBe(expected);
  });
});
