import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { makeVideo } from '@monorepo/test-utils/videos';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processResultSchema } from './contract/image-job.js';
import { ImageProcessor } from './image-processor.js';
import type { ImageProcessorOptions } from './image-processor-options.js';
import { startSourceServer } from '../test/test-source-server.js';
import { useLocalStorage } from '../test/test-storage.js';

const local = useLocalStorage('video');
let tempDir: string;
let mp4: Buffer;
let webm: Buffer;
let mov: Buffer;
let server: Awaited<ReturnType<typeof startSourceServer>>;
let tools: string;

beforeAll(async () => {
  tempDir = await mkdtemp(path.join(os.tmpdir(), 'video-spool-'));
  tools = await mkdtemp(path.join(os.tmpdir(), 'video-tools-'));
  // An ffprobe that never answers.
  await writeFile(path.join(tools, 'hung-probe'), '#!/bin/sh\nsleep 30\n', { mode: 0o755 });
  [mp4, webm, mov] = await Promise.all([
    makeVideo({ container: 'mp4', seconds: 3, color: '#d02020' }),
    makeVideo({ container: 'webm', seconds: 2, width: 320, height: 240, color: '#2040d0' }),
    makeVideo({ container: 'mov', seconds: 0.4, width: 160, height: 120 }),
  ]);
  const playlist = Buffer.from('#EXTM3U\n#EXTINF:1,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n');
  server = await startSourceServer({
    '/clip.webm': (_req, res) => res.writeHead(200, { 'content-type': 'video/webm' }).end(webm),
    '/clip.m3u8': (_req, res) => res.writeHead(200, { 'content-type': 'video/mp4' }).end(playlist),
  });
});
afterAll(async () => {
  await server.close();
  await rm(tempDir, { recursive: true, force: true });
  await rm(tools, { recursive: true, force: true });
});

const processor = (options: ImageProcessorOptions = {}) =>
  new ImageProcessor(local.storage(), undefined, {
    tempDir,
    allowPrivateNetworks: true,
    allowedHosts: ['127.0.0.1'],
    ...options,
  });

async function fromUpload(id: string, bytes: Buffer, options: ImageProcessorOptions = {}) {
  const key = `uploads/u1/${id}/clip.bin`;
  await local.storage().upload(key, bytes, 'application/octet-stream');
  return processor(options).processImage({ id, userId: 'u1', tool: 'sora', sourceKey: key });
}

async function expectNothingLeft(id: string) {
  expect((await local.storage().list(`processed/sora/u1/${id}/`)).items).toEqual([]);
  expect((await local.storage().list(`generated/sora/u1/${id}/`)).items).toEqual([]);
  expect(await readdir(tempDir)).toEqual([]);
}

describe('video sources', () => {
  it('probes an MP4 upload and makes the variants from a poster frame', async () => {
    const result = await fromUpload('v-mp4', mp4);
    expect(processResultSchema.parse(result)).toEqual(result); // video results: the documented shape too
    expect(result.video).toMatchObject({
      key: 'uploads/u1/v-mp4/clip.bin',
      format: 'mp4',
      contentType: 'video/mp4',
      bytes: mp4.length,
      width: 640,
      height: 360,
      codec: 'h264',
      posterAtSeconds: 1,
    });
    expect(result.video!.durationSeconds).toBeCloseTo(3, 1);
    expect(result.source).toMatchObject({ format: 'mp4', width: 640, height: 360 });
    expect(result.variants.map((v) => [v.name, v.width, v.height])).toEqual([
      ['normal', 640, 360],
      ['high-quality', 640, 360],
    ]);
    const { dominant } = await sharp(
      await local.storage().download(result.variants[0]!.key),
    ).stats();
    expect(dominant.r).toBeGreaterThan(180);
    expect(dominant.g).toBeLessThan(70);
    expect(result.placeholder.dominantColor).toMatch(/^#[c-f][0-9a-f]/);
    expect(await readdir(tempDir)).toEqual([]);
  });

  it('keeps a fetched WebM byte for byte under generated/ and reports where it is served', async () => {
    const result = await processor().processImage({
      id: 'v-webm',
      userId: 'u1',
      tool: 'sora',
      sourceUrl: server.url('/clip.webm'),
    });
    expect(result.original).toMatchObject({
      key: 'generated/sora/u1/v-webm/original.webm',
      format: 'webm',
      bytes: webm.length,
    });
    expect(result.video).toMatchObject({
      key: 'generated/sora/u1/v-webm/original.webm',
      url: 'http://cdn.test/static/generated/sora/u1/v-webm/original.webm',
      codec: 'vp9',
      width: 320,
      height: 240,
      posterAtSeconds: 1,
    });
    expect(Buffer.compare(await local.storage().download(result.video!.key), webm)).toBe(0);
    expect((await local.storage().stat(result.video!.key)).contentType).toBe('video/webm');
    expect(result.provenance.sourceSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(await readdir(tempDir)).toEqual([]);
  });

  it('takes the poster half-way through a video shorter than two seconds', async () => {
    const result = await fromUpload('v-mov', mov);
    expect(result.video).toMatchObject({ format: 'mov', posterAtSeconds: 0.2, width: 160 });
  });

  it('refuses a truncated video for good, leaving nothing behind', async () => {
    await expect(
      fromUpload('v-trunc', mp4.subarray(0, Math.floor(mp4.length / 3))),
    ).rejects.toMatchObject({
      code: 'E_CORRUPT_VIDEO',
      permanent: true,
    });
    await expectNothingLeft('v-trunc');
  });

  it('enforces duration, codec, size and the switch that turns videos off', async () => {
    await expect(fromUpload('v-long', mp4, { maxVideoSeconds: 2 })).rejects.toMatchObject({
      code: 'E_VIDEO_TOO_LONG',
      permanent: true,
    });
    await expect(fromUpload('v-codec', mp4, { videoCodecs: ['vp9'] })).rejects.toMatchObject({
      code: 'E_UNSUPPORTED_FORMAT',
    });
    await expect(fromUpload('v-big', mp4, { maxVideoBytes: 1024 })).rejects.toMatchObject({
      code: 'E_SOURCE_TOO_LARGE',
    });
    await expect(fromUpload('v-off', mp4, { maxVideoBytes: 0 })).rejects.toMatchObject({
      code: 'E_UNSUPPORTED_FORMAT',
    });
    for (const id of ['v-long', 'v-codec', 'v-big', 'v-off']) await expectNothingLeft(id);
  });

  it('never lets ffmpeg pick a demuxer: a playlist served as video/mp4 is refused from its bytes', async () => {
    await expect(
      processor().processImage({
        id: 'v-hls',
        userId: 'u1',
        tool: 'sora',
        sourceUrl: server.url('/clip.m3u8'),
      }),
    ).rejects.toMatchObject({ code: 'E_UNSUPPORTED_FORMAT' });
    await expectNothingLeft('v-hls');
  });

  it('bounds a hung ffmpeg by the timeout', async () => {
    const started = Date.now();
    await expect(
      fromUpload('v-slow', mp4, { ffprobePath: path.join(tools, 'hung-probe'), timeoutSeconds: 1 }),
    ).rejects.toMatchObject({ code: 'E_TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(5000);
    await expectNothingLeft('v-slow');
  });
});
