// The design document's "Image Processing" example, with the processor handed a StorageAdapter built by
// StorageFactory (it no longer takes a config) and the source served from a local test server.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { StorageFactory } from '@monorepo/storage';
import type { StorageConfig } from '@monorepo/storage';
import { noopMonitoring } from '@monorepo/storage-core';
import { afterAll, expect, it } from 'vitest';
import { ImageProcessor, ImageTool } from './index.js';
import { photoJpeg } from '../test/test-images.js';
import { startSourceServer } from '../test/test-source-server.js';

const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'seed-image-'));
afterAll(() => fs.rmSync(tmpDir, { recursive: true, force: true }));

it('runs the seed Image Processing example', async () => {
  const image = await photoJpeg(1200, 900);
  const server = await startSourceServer({
    '/image.jpg': (_req, res) => res.writeHead(200).end(image),
  });
  const monitoring = noopMonitoring;
  const logs: string[] = [];
  const console = { log: (...args: unknown[]) => logs.push(args.join(' ')) };
  try {
    const storageConfig: StorageConfig = {
      type: 'local',
      baseUrl: 'http://localhost/static',
      localBasePath: tmpDir,
    };

    const processor = new ImageProcessor(StorageFactory.createAdapter(storageConfig), monitoring, {
      allowedHosts: ['127.0.0.1'], // the test server is on loopback, on a random port
    });

    const result = await processor.processImage({
      id: 'job-123',
      tool: ImageTool.DALL_E,
      sourceUrl: server.url('/image.jpg'),
      userId: 'user-123',
    });

    // Access processed images (`!` only because this repo compiles with noUncheckedIndexedAccess)
    console.log('Normal quality:', result.variants[0]!.url);
    console.log('High quality:', result.variants[1]!.url);

    expect(logs[0]).toMatch(
      /^Normal quality: http:\/\/localhost\/static\/processed\/dall-e\/user-123\/job-123\/normal-[0-9a-f]+\.jpg$/,
    );
    expect(logs[1]).toMatch(
      /^High quality: http:\/\/localhost\/static\/processed\/dall-e\/user-123\/job-123\/high-quality-[0-9a-f]+\.webp$/,
    );
    const normalPath = path.join(tmpDir, result.variants[0]!.key);
    expect(fs.statSync(normalPath).size).toBe(result.variants[0]!.bytes);
  } finally {
    await server.close();
  }
});
