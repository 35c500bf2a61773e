import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { AI_DIGITAL_SOURCE_TYPE } from './contract/provenance.js';
import { ImageProcessor } from './image-processor.js';
import { useLocalStorage } from '../test/test-storage.js';

const local = useLocalStorage('provenance');

/** exiftool (Debian's libimage-exiftool-perl): a reader of metadata that nobody here wrote. */
async function exiftool(file: string): Promise<Record<string, unknown>> {
  const { stdout } = await promisify(execFile)('exiftool', ['-j', '-G1', '-a', file]);
  return (JSON.parse(stdout) as Array<Record<string, unknown>>)[0]!;
}

/** A JPEG carrying a camera's private metadata (EXIF with GPS) and, after its SOI, a C2PA manifest box (APP11). */
async function sourceWithPrivateMetadataAndC2pa(): Promise<Buffer> {
  const jpeg = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#c84' } })
    .jpeg()
    .withExif({
      IFD0: { Copyright: 'Private Person', Artist: 'Private Person' },
      IFD3: {
        GPSLatitudeRef: 'N',
        GPSLatitude: '48/1 51/1 0/1',
        GPSLongitudeRef: 'E',
        GPSLongitude: '2/1 21/1 0/1',
      },
    })
    .toBuffer();
  const box = Buffer.concat([
    Buffer.from('JP'),
    Buffer.alloc(6),
    Buffer.from('jumb'),
    Buffer.from('c2pa.manifest'),
  ]);
  const app11 = Buffer.concat([Buffer.from([0xff, 0xeb]), Buffer.from([0, box.length + 2]), box]);
  return Buffer.concat([jpeg.subarray(0, 2), app11, jpeg.subarray(2)]);
}

describe('AI provenance in every output', () => {
  it('writes IPTC DigitalSourceType and the tool into JPEG, WebP and AVIF, strips EXIF and GPS, reports and keeps the source C2PA manifest', async () => {
    const source = await sourceWithPrivateMetadataAndC2pa();
    expect((await exiftool(await write('source.jpg', source)))['GPS:GPSLatitude']).toBeDefined();
    await local.storage().upload('uploads/u/src/source.jpg', source, 'image/jpeg');
    const processor = new ImageProcessor(local.storage(), undefined, {
      variants: [
        { name: 'normal', format: 'jpeg', maxWidth: 320, maxHeight: 320 },
        { name: 'modern', format: 'webp', maxWidth: 320, maxHeight: 320 },
        { name: 'next', format: 'avif', maxWidth: 320, maxHeight: 320 },
      ],
    });
    const result = await processor.processImage({
      id: 'job-prov',
      tool: 'sora',
      userId: 'u',
      sourceKey: 'uploads/u/src/source.jpg',
      model: 'sora-2 "turbo"',
    });
    expect(result.provenance).toMatchObject({
      digitalSourceType: AI_DIGITAL_SOURCE_TYPE,
      creatorTool: 'sora',
      model: 'sora-2 "turbo"',
      c2pa: 'present',
    });
    // The source itself (here an upload) is never rewritten: its manifest stays as it was.
    expect((await local.storage().download('uploads/u/src/source.jpg')).equals(source)).toBe(true);
    for (const variant of result.variants) {
      const tags = await exiftool(path.join(local.root(), variant.key));
      expect(tags['XMP-iptcExt:DigitalSourceType'], variant.format).toBe(AI_DIGITAL_SOURCE_TYPE);
      expect(tags['XMP-xmp:CreatorTool'], variant.format).toBe('sora');
      expect(tags['XMP-iptcExt:AISystemUsed'], variant.format).toBe('sora-2 "turbo"');
      const leaked = Object.keys(tags).filter(
        (tag) => /^(GPS|IFD0|ExifIFD):/.test(tag) || /Private Person/.test(String(tags[tag])),
      );
      expect(leaked, variant.format).toEqual([]);
      const stat = await local.storage().stat(variant.key);
      expect(stat.metadata).toMatchObject({
        tool: 'sora',
        model: 'sora-2 "turbo"',
        'source-sha256': result.provenance.sourceSha256,
      });
    }
  });

  it('reports a source without a manifest as such', async () => {
    const plain = await sharp({
      create: { width: 64, height: 64, channels: 3, background: '#123' },
    })
      .png()
      .toBuffer();
    await local.storage().upload('uploads/u/src/plain.png', plain, 'image/png');
    const result = await new ImageProcessor(local.storage()).processImage({
      id: 'job-plain',
      tool: 'dall-e',
      userId: 'u',
      sourceKey: 'uploads/u/src/plain.png',
    });
    expect(result.provenance.c2pa).toBe('absent');
    expect(result.provenance.model).toBeUndefined();
  });
});

async function write(name: string, bytes: Buffer): Promise<string> {
  const file = path.join(local.root(), name);
  await writeFile(file, bytes);
  return file;
}
