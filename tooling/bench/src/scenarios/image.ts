import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  BUILTIN_PRESET_SETS,
  DEFAULT_VARIANTS,
  ImageProcessor,
  ImageTool,
  configureSharp,
} from '@monorepo/image-processor';
import type { VariantPreset } from '@monorepo/image-processor';
import { LocalStorageAdapter } from '@monorepo/storage';
import sharp from 'sharp';
import { compare } from '../harness.js';
import type { Comparison, Measurement } from '../harness.js';
import { photoJpeg } from '@monorepo/test-utils/images';

const run = promisify(execFile);

/** What raw sharp does for the same outputs: one pipeline per preset, each decoding the source (and shrinking on load). */
async function rawSharp(
  input: Buffer,
  presets: readonly VariantPreset[] = DEFAULT_VARIANTS,
): Promise<void> {
  await Promise.all(
    presets.map((preset) => {
      const resized = sharp(input)
        .rotate()
        .resize({
          width: preset.maxWidth,
          height: preset.maxHeight,
          fit: preset.fit ?? 'inside',
          withoutEnlargement: true,
        });
      switch (preset.format) {
        case 'jpeg':
          return resized.jpeg({ quality: preset.quality ?? 80, mozjpeg: true }).toBuffer();
        case 'webp':
          return resized.webp({ quality: preset.quality ?? 80 }).toBuffer();
        case 'avif':
          return resized.avif({ quality: preset.quality ?? 50, effort: 2 }).toBuffer();
        default:
          return resized.png().toBuffer();
      }
    }),
  );
}

/** Scenario 4: processImage (fetch from storage, decode once, two variants, store) vs raw sharp making the same two outputs. */
export async function imageScenario(quick: boolean): Promise<{
  comparisons: Comparison[];
  measurements: Measurement[];
  directRate: Record<number, number>;
}> {
  configureSharp();
  const input = await photoJpeg();
  const root = await mkdtemp(path.join(os.tmpdir(), 'bench-image-'));
  const storage = new LocalStorageAdapter({
    type: 'local',
    baseUrl: 'http://x',
    localBasePath: root,
  });
  await storage.upload('uploads/u/source.jpg', input, 'image/jpeg');
  const processor = new ImageProcessor(storage);
  const comparisons: Comparison[] = [];
  const measurements: Measurement[] = [];
  const directRate: Record<number, number> = {};
  let job = 0;
  try {
    for (const inFlight of quick ? [1, 2] : [1, 2, 4]) {
      const result = await compare({
        scenario: 'image',
        case: `2725×2225 JPEG → normal + high-quality, ${inFlight} in flight`,
        unit: 'images/s',
        rounds: quick ? 3 : 5,
        work: quick ? 2 : 3,
        unitsPerOp: inFlight,
        target: 0.9,
        raw: () => Promise.all(Array.from({ length: inFlight }, () => rawSharp(input))),
        ours: () =>
          Promise.all(
            Array.from({ length: inFlight }, () =>
              processor.processImage({
                id: `bench-${job++ % 8}`,
                tool: ImageTool.DALL_E,
                userId: 'u',
                sourceKey: 'uploads/u/source.jpg',
              }),
            ),
          ),
      });
      comparisons.push(result);
      directRate[inFlight] = result.ours.median;
    }
    // Preset sets and a large source, one job at a time: the responsive set (12 outputs) and shrink-on-load.
    const large = await photoJpeg(8000, 6000);
    await storage.upload('uploads/u/large.jpg', large, 'image/jpeg');
    const sets: [string, Buffer, string, string][] = [
      [
        '2725×2225 JPEG → responsive (4 widths × AVIF, WebP, JPEG)',
        input,
        'source.jpg',
        'responsive',
      ],
      [
        '8000×6000 JPEG → normal + high-quality (full decode: 4096 > half)',
        large,
        'large.jpg',
        'default',
      ],
      ['8000×6000 JPEG → responsive (shrink-on-load to 1920)', large, 'large.jpg', 'responsive'],
    ];
    for (const [label, source, key, presets] of sets) {
      comparisons.push(
        await compare({
          scenario: 'image',
          case: label,
          unit: 'images/s',
          rounds: quick ? 3 : 5,
          work: quick ? 1 : 2,
          target: 0.9,
          raw: () => rawSharp(source, BUILTIN_PRESET_SETS[presets]),
          ours: () =>
            processor.processImage({
              id: `bench-set-${job++ % 8}`,
              tool: ImageTool.SORA,
              userId: 'u',
              sourceKey: `uploads/u/${key}`,
              presets,
            }),
        }),
      );
    }
    const vips = ['/usr/bin/vipsthumbnail', '/usr/local/bin/vipsthumbnail'].find((p) =>
      existsSync(p),
    );
    if (vips) {
      const file = path.join(root, 'in.jpg');
      await writeFile(file, input);
      const times: number[] = [];
      for (let i = 0; i < (quick ? 3 : 7); i++) {
        const started = performance.now();
        await run(vips, [file, '--size', '1920x1920', '-o', path.join(root, 'thumb.jpg[Q=80]')]);
        times.push(performance.now() - started);
      }
      times.sort((a, b) => a - b);
      measurements.push({
        scenario: 'image',
        name: 'vipsthumbnail (CLI, incl. process start): same resize to 1920, JPEG q80',
        value: times[Math.floor(times.length / 2)]!,
        unit: 'ms',
        notes: { reference: 'outside reference, not a target' },
      });
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  return { comparisons, measurements, directRate };
}
