// Test inputs made on the fly with sharp (and a hand-built PNG header for the pixel bomb).
import { deflateSync } from 'node:zlib';
import { photoJpeg } from '@monorepo/test-utils/images';
import sharp from 'sharp';

export { photoJpeg };

/** 400×200 stored, left half red and right half blue, with EXIF orientation 6 (display: 200×400, red on top). */
export async function orientedJpeg(): Promise<Buffer> {
  const half = (color: string) =>
    sharp({ create: { width: 200, height: 200, channels: 3, background: color } })
      .png()
      .toBuffer();
  return sharp({ create: { width: 400, height: 200, channels: 3, background: 'white' } })
    .composite([
      { input: await half('#ff0000'), left: 0, top: 0 },
      { input: await half('#0000ff'), left: 200, top: 0 },
    ])
    .jpeg({ quality: 95 })
    .withMetadata({ orientation: 6, exif: { IFD0: { Copyright: 'secret-gps-and-camera' } } })
    .toBuffer();
}

export async function cmykJpeg(): Promise<Buffer> {
  return sharp({ create: { width: 300, height: 200, channels: 3, background: '#3366cc' } })
    .toColourspace('cmyk')
    .jpeg()
    .toBuffer();
}

export async function png16WithAlpha(): Promise<Buffer> {
  return sharp({
    create: {
      width: 320,
      height: 240,
      channels: 4,
      background: { r: 10, g: 200, b: 30, alpha: 0.5 },
    },
  })
    .toColourspace('rgb16')
    .png()
    .toBuffer();
}

export async function grayscalePng(): Promise<Buffer> {
  return sharp({ create: { width: 256, height: 128, channels: 3, background: '#808080' } })
    .toColourspace('b-w')
    .png()
    .toBuffer();
}

/** Two frames, 40×30 each: red then blue. */
export async function animatedGif(): Promise<Buffer> {
  const frame = (color: string) =>
    sharp({ create: { width: 40, height: 30, channels: 3, background: color } })
      .png()
      .toBuffer();
  return sharp([await frame('#ff0000'), await frame('#0000ff')], { join: { animated: true } })
    .gif()
    .toBuffer();
}

export async function truncatedJpeg(): Promise<Buffer> {
  const full = await photoJpeg(800, 600);
  return full.subarray(0, Math.floor(full.length / 2));
}

export const TEXT_AS_JPG = Buffer.from(
  'this is not an image, whatever the .jpg name says\n'.repeat(20),
);

export const SVG = Buffer.from(
  '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><script>alert(1)</script><rect width="100" height="100"/></svg>',
);

function crc32(data: Buffer): number {
  let crc = ~0;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A ~100-byte PNG whose header declares width×height pixels (default 20000×20000 = 400 MP). */
export function pixelBombPng(width = 20_000, height = 20_000): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // grayscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(width + 1))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
