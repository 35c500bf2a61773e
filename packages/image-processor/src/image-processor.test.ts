import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { StorageError, type Monitoring, type StorageAdapter } from '@monorepo/storage-core';
import { LocalStorageAdapter } from '@monorepo/storage-local';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ImageProcessor } from './image-processor.js';
import { ImageTool } from './contract/image-tool.js';
import { processResultSchema } from './contract/image-job.js';
import {
  SVG,
  TEXT_AS_JPG,
  animatedGif,
  cmykJpeg,
  grayscalePng,
  orientedJpeg,
  photoJpeg,
  pixelBombPng,
  png16WithAlpha,
  truncatedJpeg,
} from '../test/test-images.js';

let root: string;
let storage: LocalStorageAdapter;
let metrics: Array<[string, string, unknown]>;
let monitoring: Monitoring;

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'image-processor-'));
  storage = new LocalStorageAdapter({
    type: 'local',
    baseUrl: 'http://cdn.test/static',
    localBasePath: root,
  });
  metrics = [];
  monitoring = {
    increment: (name, labels) => metrics.push(['increment', name, labels]),
    timing: (name, _ms, labels) => metrics.push(['timing', name, labels]),
  };
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function keys(prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for await (const item of storage.listAll(prefix)) out.push(item.key);
  return out;
}

async function runWithUpload(bytes: Buffer, name: string, options = {}) {
  await storage.upload(`uploads/user-1/${name}`, bytes, 'application/octet-stream');
  const processor = new ImageProcessor(storage, monitoring, options);
  return processor.processImage({
    id: 'job-1',
    tool: ImageTool.DALL_E,
    userId: 'user-1',
    sourceKey: `uploads/user-1/${name}`,
  });
}

describe('ImageProcessor on valid images', () => {
  it('makes the default variants of a large photo, checked by decoding the stored bytes', async () => {
    const photo = await photoJpeg();
    const result = await runWithUpload(photo, 'photo.jpg');
    // The result is exactly the documented shape (the API's OpenAPI ImageJobResult comes from this schema).
    expect(processResultSchema.parse(result)).toEqual(result);
    expect(result.source).toEqual({
      format: 'jpeg',
      width: 2725,
      height: 2225,
      bytes: photo.length,
    });
    expect(result.variants.map((v) => v.name)).toEqual(['normal', 'high-quality']);
    const [normal, hq] = result.variants;
    expect(normal!.key).toMatch(/^processed\/dall-e\/user-1\/job-1\/normal-[0-9a-f]{12}\.jpg$/);
    expect(hq!.key).toMatch(/^processed\/dall-e\/user-1\/job-1\/high-quality-[0-9a-f]{12}\.webp$/);
    expect(normal!.url).toBe(`http://cdn.test/static/${normal!.key}`);

    const normalMeta = await sharp(await storage.download(normal!.key)).metadata();
    expect(normalMeta).toMatchObject({ format: 'jpeg', width: 1920, height: 1568, space: 'srgb' });
    expect(normal).toMatchObject({
      width: 1920,
      height: 1568,
      contentType: 'image/jpeg',
      format: 'jpeg',
    });
    const hqMeta = await sharp(await storage.download(hq!.key)).metadata();
    expect(hqMeta).toMatchObject({ format: 'webp', width: 2725, height: 2225 }); // never enlarged, never shrunk below 4096
    expect((await storage.stat(normal!.key)).cacheControl).toBe(
      'public, max-age=31536000, immutable',
    );
    expect((await storage.stat(hq!.key)).contentType).toBe('image/webp');
    expect(result.original).toBeUndefined();
    expect(await keys('generated/')).toEqual([]);
  });

  it('auto-orients by EXIF and strips metadata', async () => {
    const result = await runWithUpload(await orientedJpeg(), 'rotated.jpg');
    expect(result.source).toMatchObject({ width: 200, height: 400 });
    for (const variant of result.variants) {
      const bytes = await storage.download(variant.key);
      const meta = await sharp(bytes).metadata();
      expect([meta.width, meta.height]).toEqual([200, 400]);
      expect(meta.orientation).toBeUndefined();
      expect(meta.exif).toBeUndefined();
      expect(bytes.includes(Buffer.from('secret-gps-and-camera'))).toBe(false);
      // Orientation 6 turns the stored left (red) half to the top.
      const { data } = await sharp(bytes)
        .extract({ left: 100, top: 50, width: 1, height: 1 })
        .raw()
        .toBuffer({ resolveWithObject: true });
      expect(data[0]).toBeGreaterThan(200);
      expect(data[2]).toBeLessThan(60);
    }
  });

  it('converts CMYK to sRGB', async () => {
    const result = await runWithUpload(await cmykJpeg(), 'cmyk.jpg');
    const bytes = await storage.download(result.variants[0]!.key);
    const meta = await sharp(bytes).metadata();
    expect(meta).toMatchObject({ space: 'srgb', channels: 3, width: 300, height: 200 });
    const { data } = await sharp(bytes)
      .extract({ left: 150, top: 100, width: 1, height: 1 })
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect(Math.abs(data[0]! - 0x33)).toBeLessThan(40);
    expect(Math.abs(data[2]! - 0xcc)).toBeLessThan(40);
  });

  it('keeps alpha in WebP and flattens it onto white for JPEG (16-bit PNG input)', async () => {
    const result = await runWithUpload(await png16WithAlpha(), 'alpha.png');
    expect(result.source.format).toBe('png');
    const jpeg = await sharp(await storage.download(result.variants[0]!.key)).metadata();
    expect(jpeg).toMatchObject({ format: 'jpeg', channels: 3, depth: 'uchar' });
    const webp = await sharp(await storage.download(result.variants[1]!.key)).metadata();
    expect(webp).toMatchObject({ format: 'webp', hasAlpha: true, width: 320, height: 240 });
  });

  it('handles grayscale input', async () => {
    const result = await runWithUpload(await grayscalePng(), 'gray.png');
    const meta = await sharp(await storage.download(result.variants[0]!.key)).metadata();
    expect(meta).toMatchObject({ format: 'jpeg', width: 256, height: 128 });
  });

  it('takes the first frame of an animated GIF', async () => {
    const result = await runWithUpload(await animatedGif(), 'anim.gif');
    expect(result.source).toMatchObject({ format: 'gif', width: 40, height: 30 });
    const bytes = await storage.download(result.variants[1]!.key);
    const meta = await sharp(bytes).metadata();
    expect(meta.pages ?? 1).toBe(1);
    const { data } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
    expect(data[0]).toBeGreaterThan(200); // red: frame one
  });

  it('writes the same keys when a job is processed again, and nothing more', async () => {
    const photo = await photoJpeg(900, 700);
    const first = await runWithUpload(photo, 'again.jpg');
    const second = await runWithUpload(photo, 'again.jpg');
    expect(second.variants.map((v) => v.key)).toEqual(first.variants.map((v) => v.key));
    expect(await keys('processed/')).toEqual(first.variants.map((v) => v.key).sort());
  });

  it('replaces a job’s older outputs when the presets change', async () => {
    const photo = await photoJpeg(900, 700);
    await runWithUpload(photo, 'p.jpg');
    const result = await runWithUpload(photo, 'p.jpg', {
      variants: [{ name: 'thumb', format: 'avif', maxWidth: 200, maxHeight: 200, quality: 50 }],
    });
    expect(await keys('processed/')).toEqual([result.variants[0]!.key]);
    expect(await sharp(await storage.download(result.variants[0]!.key)).metadata()).toMatchObject({
      format: 'heif',
      width: 200,
    });
  });

  it('reports jobs and stage timings through Monitoring', async () => {
    await runWithUpload(await photoJpeg(300, 200), 'm.jpg');
    expect(metrics).toContainEqual([
      'increment',
      'image_jobs_total',
      { tool: 'dall-e', outcome: 'completed' },
    ]);
    for (const stage of ['fetch', 'decode', 'store']) {
      expect(metrics).toContainEqual(['timing', 'image_stage_ms', { stage, variant: '' }]);
    }
    expect(metrics).toContainEqual([
      'timing',
      'image_stage_ms',
      { stage: 'encode', variant: 'normal' },
    ]);
  });
});

describe('ImageProcessor on hostile or broken input', () => {
  const cases: Array<[string, () => Promise<Buffer> | Buffer, string, string]> = [
    ['a truncated JPEG', truncatedJpeg, 'cut.jpg', 'E_CORRUPT_IMAGE'],
    ['a text file named .jpg', () => TEXT_AS_JPG, 'text.jpg', 'E_UNSUPPORTED_FORMAT'],
    ['an SVG', () => SVG, 'vector.svg', 'E_UNSUPPORTED_FORMAT'],
    [
      'a pixel bomb (400 MP header in ~100 bytes)',
      () => pixelBombPng(),
      'bomb.png',
      'E_TOO_MANY_PIXELS',
    ],
    ['an empty file', () => Buffer.alloc(0), 'empty.jpg', 'E_UNSUPPORTED_FORMAT'],
  ];
  for (const [label, make, name, code] of cases) {
    it(`refuses ${label} with ${code} and stores nothing`, async () => {
      const error = await runWithUpload(await make(), name).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'ImageProcessingError', code, permanent: true });
      expect(await keys()).toEqual([`uploads/user-1/${name}`]);
      expect(metrics).toContainEqual(['increment', 'image_job_failures_total', { code }]);
    });
  }

  it('refuses a source over the byte limit', async () => {
    await expect(
      runWithUpload(await photoJpeg(600, 400), 'big.jpg', { maxSourceBytes: 1000 }),
    ).rejects.toMatchObject({
      code: 'E_SOURCE_TOO_LARGE',
    });
  });

  it('refuses a source over a custom pixel limit', async () => {
    await expect(
      runWithUpload(await photoJpeg(600, 400), 'px.jpg', { maxInputPixels: 100_000 }),
    ).rejects.toMatchObject({
      code: 'E_TOO_MANY_PIXELS',
    });
  });

  it.each([
    [{ id: 'bad id!', tool: 'dall-e', userId: 'u', sourceKey: 'k' }],
    [{ id: 'j', tool: 'dall-e', userId: '../u', sourceKey: 'k' }],
    [{ id: 'j', tool: 'midjourney', userId: 'u', sourceKey: 'k' }],
    [{ id: 'j', tool: 'sora', userId: 'u' }],
    [{ id: 'j', tool: 'sora', userId: 'u', sourceKey: 'k', sourceUrl: 'http://x' }],
    [{ id: 'x'.repeat(129), tool: 'sora', userId: 'u', sourceKey: 'k' }],
  ])('rejects malformed job %j before any I/O', async (job) => {
    const touched: string[] = [];
    const spy = new Proxy(storage, {
      get: (target, prop) => {
        const value = Reflect.get(target, prop, target);
        return typeof value === 'function'
          ? (...args: unknown[]) => {
              touched.push(String(prop));
              return value.apply(target, args);
            }
          : value;
      },
    }) as StorageAdapter;
    await expect(new ImageProcessor(spy).processImage(job as never)).rejects.toMatchObject({
      code: 'E_INVALID_JOB',
    });
    expect(touched).toEqual([]);
  });

  it('reports a missing sourceKey as E_NOT_FOUND', async () => {
    await expect(
      new ImageProcessor(storage).processImage({
        id: 'j',
        tool: ImageTool.SORA,
        userId: 'u',
        sourceKey: 'uploads/u/none.jpg',
      }),
    ).rejects.toMatchObject({ code: 'E_NOT_FOUND', permanent: true });
  });

  /** The storage, with uploads of the `high-quality` variant failing with `failure`. */
  const failingVariantUploads = (failure: Error) =>
    new Proxy(storage, {
      get: (target, prop) => {
        if (prop === 'upload') {
          return (key: string, ...rest: unknown[]) =>
            key.includes('high-quality')
              ? Promise.reject(failure)
              : (target.upload as (...a: unknown[]) => Promise<string>).call(target, key, ...rest);
        }
        const value = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as StorageAdapter;

  it.each([
    ['a storage failure', new StorageError('EIO', 'disk on fire'), 'E_STORAGE'],
    ['anything unexpected', new TypeError('a bug'), 'E_INTERNAL'],
  ])(
    'removes what it wrote when storing a variant fails (%s), and reports %s',
    async (_, failure, code) => {
      await storage.upload('uploads/u/s.jpg', await photoJpeg(500, 400), 'image/jpeg');
      const error = await new ImageProcessor(failingVariantUploads(failure))
        .processImage({ id: 'j', tool: ImageTool.SORA, userId: 'u', sourceKey: 'uploads/u/s.jpg' })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code, permanent: false, cause: failure });
      expect(await keys('processed/')).toEqual([]);
    },
  );

  it('stops and stores nothing when aborted', async () => {
    await storage.upload('uploads/u/a.jpg', await photoJpeg(500, 400), 'image/jpeg');
    const controller = new AbortController();
    const processing = new ImageProcessor(storage).processImage(
      { id: 'j', tool: ImageTool.SORA, userId: 'u', sourceKey: 'uploads/u/a.jpg' },
      { signal: controller.signal, onProgress: (p) => p >= 25 && controller.abort() },
    );
    await expect(processing).rejects.toMatchObject({ name: 'AbortError' });
    expect(await keys('processed/')).toEqual([]);
  });
});
