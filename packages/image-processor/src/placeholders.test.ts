import { decode, isBlurhashValid } from 'blurhash';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ImageProcessor } from './image-processor.js';
import { useLocalStorage } from '../test/test-storage.js';

const local = useLocalStorage('placeholders');

describe('placeholders in the job result', () => {
  it('gives a BlurHash, a tiny WebP data URI (≤ 1 KB) and the dominant colour of the source', async () => {
    // Mostly a strong blue, with a red stripe: the dominant colour is the blue.
    const source = await sharp({
      create: { width: 1200, height: 800, channels: 3, background: '#1040c0' },
    })
      .composite([
        {
          input: await sharp({
            create: { width: 1200, height: 100, channels: 3, background: '#e02020' },
          })
            .png()
            .toBuffer(),
          top: 0,
          left: 0,
        },
      ])
      .jpeg()
      .toBuffer();
    await local.storage().upload('uploads/u/p/source.jpg', source, 'image/jpeg');
    const { placeholder } = await new ImageProcessor(local.storage()).processImage({
      id: 'job-ph',
      tool: 'dall-e',
      userId: 'u',
      sourceKey: 'uploads/u/p/source.jpg',
    });
    expect(isBlurhashValid(placeholder.blurhash)).toEqual({ result: true });
    const pixels = decode(placeholder.blurhash, 8, 8);
    expect(pixels[4 * (7 * 8 + 4) + 2]).toBeGreaterThan(pixels[4 * (7 * 8 + 4)]!); // blue over red low down
    expect(placeholder.lqip).toMatch(/^data:image\/webp;base64,/);
    expect(placeholder.lqip.length).toBeLessThanOrEqual(1024);
    const tiny = await sharp(Buffer.from(placeholder.lqip.split(',')[1]!, 'base64')).metadata();
    expect(tiny.format).toBe('webp');
    expect(tiny.width! / tiny.height!).toBeCloseTo(1.5, 0);
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(placeholder.dominantColor.slice(i, i + 2), 16));
    expect(b! - r!).toBeGreaterThan(80);
    expect(g).toBeLessThan(120);
  });
});
