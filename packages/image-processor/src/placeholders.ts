import { encode } from 'blurhash';
import sharp from 'sharp';
import type { Decoded } from './codecs.js';
import type { Placeholder } from './contract/image-job.js';

const LQIP_MAX_BYTES = 1024;

/**
 * Computes the placeholders of a decoded source: one pass over the full pixels makes a 128 px sample, and the
 * BlurHash, the dominant colour and the tiny WebP all come from that sample.
 */
export async function placeholders(decoded: Decoded): Promise<Placeholder> {
  const full = decoded.info;
  const sample = await sharp(decoded.data, {
    raw: { width: full.width, height: full.height, channels: full.channels as 1 | 2 | 3 | 4 },
  })
    .resize(128, 128, { fit: 'inside', withoutEnlargement: true })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const { width, height, channels } = sample.info;
  const raw = () =>
    sharp(sample.data, { raw: { width, height, channels: channels as 1 | 2 | 3 | 4 } });
  const [small, stats, lqip] = await Promise.all([
    raw()
      .resize(32, 32, { fit: 'inside' })
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true }),
    raw().stats(),
    tinyWebp(raw),
  ]);
  const { r, g, b } = stats.dominant;
  return {
    blurhash: encode(new Uint8ClampedArray(small.data), small.info.width, small.info.height, 4, 3),
    lqip,
    dominantColor: `#${[r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('')}`,
  };
}

/** The largest of 24, 16 and 8 px wide WebP placeholders whose data URI fits in 1 KB. */
async function tinyWebp(raw: () => sharp.Sharp): Promise<string> {
  for (const size of [24, 16, 8]) {
    const bytes = await raw()
      .resize(size, size, { fit: 'inside' })
      .webp({ quality: 40 })
      .toBuffer();
    const uri = `data:image/webp;base64,${bytes.toString('base64')}`;
    if (uri.length <= LQIP_MAX_BYTES) return uri;
  }
  return `data:image/webp;base64,${(await raw().resize(4, 4, { fit: 'inside' }).webp({ quality: 20 }).toBuffer()).toString('base64')}`;
}
